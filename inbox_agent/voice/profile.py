"""A style profile from the user's own sent mail: how they greet, sign off, and how much they write.

Pure: parsed messages in, a `Profile` out; no clock read and no I/O (`voicefile.py` reads the
mailbox and keeps the profile on disk). A message is split into greeting, core and closing
(`split`); the profile counts those over a bounded, recent sample and keeps, for each trait,
where it came from: how many messages showed it and which ones. `style.py` applies a profile
to one draft.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from inbox_agent.mail import language
from inbox_agent.mail.letter import (
    EMOJI,
    LIKELY_NAME,
    NOT_NAMES,
    SENTENCE,
    VALEDICTION_LINE,
    Parts,
    expand_names,
    form,
    formality,
    name_tokens,
    split,
    words,
)
from inbox_agent.tracker.threads import Thread

SAMPLE_LIMIT = 200
_FOLLOWUP_CUE = re.compile(
    r"\b(follow(?:ing)?[ -]up|checking in|check in|circl(?:e|ing) back|any (?:news|update|"
    r"thoughts)|did you (?:get|have) a chance|just (?:wanted to )?(?:bump|ping|check)|"
    r"haven't heard|have you had a chance|gentle reminder|friendly reminder|nachfragen|"
    r"relancer|je me permets|seguimiento)\b",
    re.IGNORECASE,
)


# -- the profile ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SentMail:
    """One message the user sent, as the learner sees it."""

    message_id: str
    date: datetime | None
    to: tuple[str, ...]
    subject: str
    text: str  # the new text (quotes cut); the signature is still on
    names: Mapping[str, str] = field(default_factory=dict)  # recipient address → display name
    followup: bool = False  # the user nudged this thread by hand with it


@dataclass(frozen=True)
class Sample:
    """What the profile keeps of one message: enough to show it to the model as an example."""

    message_id: str
    date: str
    to: tuple[str, ...]
    subject: str
    text: str  # greeting, core and sign-off; no signature block
    core: str
    words: int
    formality: float
    language: str
    followup: bool
    edited: bool = False  # a nudge of ours the user edited before it went out (their text)


@dataclass(frozen=True)
class Habit:
    """One trait and where it came from: how many of how many messages, and which ones."""

    value: str
    count: int
    total: int
    seen_in: tuple[str, ...] = ()  # "2001-05-02 to bob@x.com: Q3 contract"

    @property
    def share(self) -> float:
        return self.count / self.total if self.total else 0.0

    def basis(self) -> str:
        if not self.total:
            return "no messages to learn from"
        return f"{self.count} of {self.total} messages ({round(100 * self.share)}%)"


@dataclass(frozen=True)
class Profile:
    learned_at: str
    sample_size: int
    oldest: str
    newest: str
    names: tuple[str, ...]  # the ways the user signs: "Mike", "DF"
    greeting: Habit  # a template: "Hi {name},", "" for none
    group_greeting: Habit  # the same, to several people at once
    greetings: Mapping[str, Habit]  # per recipient, as written: "Larry,"
    greetings_by_language: Mapping[str, Habit]
    signoff: Habit  # "Thanks,\nMike"
    signoffs: Mapping[str, Habit]  # per recipient
    signature: Habit  # the block under the name; "" when the user rarely adds one
    length: Mapping[str, int]  # words in the core: p10, p25, median, p75, p90
    nudge_words: tuple[int, int, int]  # low, target, high for a nudge's core
    nudge_basis: str
    formality: float
    languages: Mapping[str, int]
    followups: tuple[Habit, ...]  # phrases the user used to follow up by hand
    emoji: Habit  # value: the emoji used most, count: messages with any
    samples: tuple[Sample, ...] = ()

    @property
    def language(self) -> str:
        return max(self.languages, key=lambda k: self.languages[k]) if self.languages else ""


def _top(counter: Counter[str], total: int, seen: Mapping[str, list[str]]) -> Habit:
    """The habit seen most, counted by its form (`letter.form`: "Thanks,\nMike", "… thanks
    Mike" and "Thanks Mike" are one), written the way the user wrote it most."""
    if not counter:
        return Habit("", 0, total)
    forms: Counter[str] = Counter()
    for value, count in counter.items():
        forms[form(value)] += count
    winner = forms.most_common(1)[0][0]
    written = [v for v, _ in counter.most_common() if form(v) == winner]
    where = [w for v in written for w in seen.get(v, [])]
    return Habit(written[0], forms[winner], total, tuple(where[:3]))


def _quantile(values: Sequence[int], q: float) -> int:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0


def _signing_names(mails: Sequence[SentMail], user_names: Iterable[str]) -> set[str]:
    """The user's names, plus any short last line or last word that ends many of their messages."""
    names = expand_names(user_names)
    endings: Counter[str] = Counter()
    for mail in mails:
        lines = [line.strip() for line in mail.text.strip().split("\n") if line.strip()]
        if not lines:
            continue
        tail = lines[-1].lstrip("-–—~ ").rstrip(".!")
        last_word = tail.split()[-1] if tail.split() else ""
        for candidate in {tail, last_word}:
            if (
                candidate
                and LIKELY_NAME.match(candidate)
                and words(candidate) <= 3
                and candidate.lower() not in NOT_NAMES
                and not VALEDICTION_LINE.match(candidate)
            ):
                endings[candidate.lower()] += 1
    floor = max(3, len(mails) // 10)
    return names | {name for name, count in endings.items() if count >= floor}


def _where(mail: SentMail) -> str:
    day = mail.date.date().isoformat() if mail.date else "undated"
    return f"{day} to {', '.join(mail.to[:2]) or 'nobody'}: {mail.subject or '(no subject)'}"


def _rendered(parts: Parts) -> str:
    greeting = parts.greeting_literal
    core = parts.core
    if greeting and parts.greeting.endswith(" …"):
        core, greeting = f"{greeting} {core}", ""
    closing = parts.closing
    if closing.startswith("… "):
        core, closing = f"{core}  {closing[2:]}", ""
    return "\n\n".join(p for p in (greeting, core, closing) if p)


def _nudge_band(nudges: list[int], cores: list[int]) -> tuple[tuple[int, int, int], str]:
    if len(nudges) >= 3:
        target = int(statistics.median(nudges))
        high = max(20, int(max(nudges) * 1.5))
        return (2, target, high), f"from {len(nudges)} follow-ups you wrote by hand"
    # no follow-ups of theirs in the sample: their typical message. On the Enron users the
    # median message is within 0.5-2x of their own hand follow-ups, older ones included, for all
    # six (fossum-d: 23 words to his follow-ups' 37); the shorter quarter was 0.1-0.4x of them
    median, p90 = _quantile(cores, 0.5), _quantile(cores, 0.9)
    target = min(40, max(8, median))
    high = min(150, max(40, p90))
    return (2, target, high), "from your typical message (no hand follow-ups seen)"


def learn(mails: Iterable[SentMail], user_names: Iterable[str], learned_at: datetime) -> Profile:
    """A profile from the newest `SAMPLE_LIMIT` messages that have any text of their own."""
    undated = datetime.min.replace(tzinfo=learned_at.tzinfo)
    chosen = sorted(
        (m for m in mails if m.text.strip()), key=lambda m: m.date or undated, reverse=True
    )[:SAMPLE_LIMIT]
    names = _signing_names(chosen, user_names)
    total = len(chosen)
    greet: Counter[str] = Counter()
    group: Counter[str] = Counter()
    by_lang: dict[str, Counter[str]] = {}
    per_greet: dict[str, Counter[str]] = {}
    signoff: Counter[str] = Counter()
    per_signoff: dict[str, Counter[str]] = {}
    signature: Counter[str] = Counter()
    seen: dict[str, list[str]] = {}
    phrases: Counter[str] = Counter()
    phrase_text: dict[str, str] = {}
    emoji: Counter[str] = Counter()
    with_emoji = 0
    cores: list[int] = []
    nudges: list[int] = []
    scores: list[float] = []
    langs: Counter[str] = Counter()
    samples: list[Sample] = []
    for mail in chosen:
        tokens: set[str] = set()
        for address in mail.to:
            tokens |= name_tokens(mail.names.get(address, ""), address)
        parts = split(mail.text, names, tokens)
        where = _where(mail)
        lang = language.detect(parts.core)
        score = formality(parts.core, parts)
        n = words(parts.core)
        greet[parts.greeting] += 1
        seen.setdefault("greeting:" + parts.greeting, []).append(where)
        if len(mail.to) > 1:
            group[parts.greeting] += 1
        if lang:
            by_lang.setdefault(lang, Counter())[parts.greeting] += 1
            langs[lang] += 1
        signoff[parts.closing] += 1
        seen.setdefault("signoff:" + parts.closing, []).append(where)
        if parts.signature:
            signature[parts.signature] += 1
            seen.setdefault("signature:" + parts.signature, []).append(where)
        if len(mail.to) == 1:
            literal = parts.greeting_literal + (" …" if parts.greeting.endswith(" …") else "")
            per_greet.setdefault(mail.to[0], Counter())[literal] += 1
            per_signoff.setdefault(mail.to[0], Counter())[parts.closing] += 1
        found = EMOJI.findall(mail.text)
        if found:
            with_emoji += 1
            emoji.update(found)
        cue: list[str] = []
        if mail.followup:  # only what the user wrote when they really followed up by hand
            flowing = re.sub(r"(?<!\n)\n(?!\n)", " ", parts.core)  # hard-wrapped lines
            sentences = [s.strip() for s in SENTENCE.findall(flowing) if s.strip()]
            cue = [s for s in sentences if _FOLLOWUP_CUE.search(s) and words(s) <= 20]
        for sentence in dict.fromkeys(cue):
            key = " ".join(sentence.lower().split())
            phrases[key] += 1
            phrase_text.setdefault(key, " ".join(sentence.split()))
            seen.setdefault("followup:" + key, []).append(where)
        cores.append(n)
        if mail.followup:
            nudges.append(n)
        scores.append(score)
        samples.append(
            Sample(
                message_id=mail.message_id,
                date=mail.date.isoformat() if mail.date else "",
                to=mail.to,
                subject=mail.subject,
                text=_rendered(parts),
                core=parts.core,
                words=n,
                formality=score,
                language=lang,
                followup=mail.followup,
            )
        )

    def prefixed(prefix: str) -> dict[str, list[str]]:
        return {k[len(prefix) :]: v for k, v in seen.items() if k.startswith(prefix)}

    band, band_basis = _nudge_band(nudges, cores)
    top_signature = _top(signature, total, prefixed("signature:"))
    if top_signature.share < 0.5:
        top_signature = replace(top_signature, value="")
    dates = [m.date for m in chosen if m.date]
    return Profile(
        learned_at=learned_at.isoformat(),
        sample_size=total,
        oldest=min(dates).isoformat() if dates else "",
        newest=max(dates).isoformat() if dates else "",
        names=tuple(sorted(names)),
        greeting=_top(greet, total, prefixed("greeting:")),
        group_greeting=_top(group, sum(group.values()), prefixed("greeting:")),
        greetings={a: _top(c, sum(c.values()), {}) for a, c in per_greet.items()},
        greetings_by_language={
            lang: _top(c, sum(c.values()), prefixed("greeting:")) for lang, c in by_lang.items()
        },
        signoff=_top(signoff, total, prefixed("signoff:")),
        signoffs={a: _top(c, sum(c.values()), {}) for a, c in per_signoff.items()},
        signature=top_signature,
        length={
            "p10": _quantile(cores, 0.1),
            "p25": _quantile(cores, 0.25),
            "median": _quantile(cores, 0.5),
            "p75": _quantile(cores, 0.75),
            "p90": _quantile(cores, 0.9),
        },
        nudge_words=band,
        nudge_basis=band_basis,
        formality=round(statistics.median(scores), 2) if scores else 0.5,
        languages=dict(langs.most_common()),
        followups=tuple(
            Habit(phrase_text[k], c, total, tuple(seen.get("followup:" + k, [])[:3]))
            for k, c in phrases.most_common(5)
        ),
        emoji=Habit(emoji.most_common(1)[0][0] if emoji else "", with_emoji, total),
        samples=tuple(samples),
    )


def hand_nudges(threads: Iterable[Thread], user: frozenset[str], ours: frozenset[str]) -> set[str]:
    """Message-IDs of the user's own follow-ups: a message of theirs right after another of theirs
    on the same thread, with nobody answering in between. Our own nudges do not count."""
    found: set[str] = set()
    for thread in threads:
        previous_from_user = False
        for message in thread.messages:
            if message.kind != "normal":
                continue
            from_user = message.from_addr in user
            if from_user and previous_from_user and message.message_id not in ours:
                found.add(message.message_id)
            previous_from_user = from_user
    return found


# -- the profile as JSON ----------------------------------------------------------------------

FORMAT = 1


def to_json(profile: Profile) -> dict[str, Any]:
    """The whole profile, samples included, as plain JSON values."""
    return {"format": FORMAT, **asdict(profile)}


def _habit(data: Mapping[str, Any]) -> Habit:
    return Habit(
        str(data["value"]), int(data["count"]), int(data["total"]), tuple(data.get("seen_in", ()))
    )


def from_json(data: Mapping[str, Any]) -> Profile:
    """A profile read back; raises ValueError when the data is not one this version wrote."""
    if data.get("format") != FORMAT:
        raise ValueError(f"voice profile format {data.get('format')!r}, expected {FORMAT}")
    try:
        return Profile(
            learned_at=str(data["learned_at"]),
            sample_size=int(data["sample_size"]),
            oldest=str(data["oldest"]),
            newest=str(data["newest"]),
            names=tuple(data["names"]),
            greeting=_habit(data["greeting"]),
            group_greeting=_habit(data["group_greeting"]),
            greetings={k: _habit(v) for k, v in data["greetings"].items()},
            greetings_by_language={k: _habit(v) for k, v in data["greetings_by_language"].items()},
            signoff=_habit(data["signoff"]),
            signoffs={k: _habit(v) for k, v in data["signoffs"].items()},
            signature=_habit(data["signature"]),
            length={k: int(v) for k, v in data["length"].items()},
            nudge_words=(
                int(data["nudge_words"][0]),
                int(data["nudge_words"][1]),
                int(data["nudge_words"][2]),
            ),
            nudge_basis=str(data["nudge_basis"]),
            formality=float(data["formality"]),
            languages={k: int(v) for k, v in data["languages"].items()},
            followups=tuple(_habit(h) for h in data["followups"]),
            emoji=_habit(data["emoji"]),
            samples=tuple(Sample(**{**s, "to": tuple(s["to"])}) for s in data.get("samples", ())),
        )
    except (KeyError, TypeError, IndexError) as exc:
        raise ValueError(f"voice profile is incomplete ({exc})") from None
