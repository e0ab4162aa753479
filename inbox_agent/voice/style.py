"""What one draft takes from the style profile, and the profile described for people.

Pure. `brief()` resolves the greeting and sign-off the user would use with these recipients in
this language (per recipient first, then for groups, then per language, then overall), with the
length band and tone; `pick_examples()` chooses two or three of the user's own messages to show
the model; `describe()` says each trait and where it came from, for `inbox-agent voice`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from inbox_agent.mail import language
from inbox_agent.mail.letter import first_name, formality, formality_label, split, words
from inbox_agent.voice.edits import EditHabits
from inbox_agent.voice.profile import Habit, Profile, Sample


@dataclass(frozen=True)
class Brief:
    """What one draft needs from the profile, resolved for its recipients and language."""

    greeting: str  # as it will be written: "Hi Bob,"; ends in " …" when it opens the first line
    signoff: str  # "Thanks,\nMike"; starts with "… " when it ends the last line
    signature: str
    low: int  # words in the nudge's core
    target: int
    high: int
    formality: str
    emoji: bool
    followups: tuple[str, ...]  # the user's own follow-up phrases, most used first
    names: tuple[str, ...]  # how the user signs: a model's sign-off with these is cut
    basis: str  # one line for people: where this brief came from
    phrases: tuple[str, ...] = ()  # sentences the user adds to our nudges (learned from edits)


def _render(template: str, name: str) -> str:
    if "{name}" not in template:
        return template
    if name:
        return template.replace("{name}", name)
    without = template.replace("{name}", "").strip()
    return "" if without.strip(" ,:-…!") == "" else re.sub(r"\s+([,:!])", r"\1", without)


def plain_brief(user_name: str, recipient: str) -> Brief:
    """Without a profile: a plain greeting and sign-off that fit most people."""
    sign = first_name(user_name) or user_name
    return Brief(
        greeting=_render("Hi {name},", recipient),
        signoff=f"Best,\n{sign}" if sign else "Best,",
        signature="",
        low=2,
        target=30,
        high=120,
        formality="neutral",
        emoji=False,
        followups=(),
        names=tuple(n.lower() for n in (sign, user_name) if n),
        basis="no style profile yet: a plain greeting and sign-off",
    )


def brief(
    profile: Profile | None,
    to: Sequence[str],
    recipient_name: str,
    user_name: str,
    thread_language: str = "",
    edits: EditHabits | None = None,
) -> Brief:
    """The greeting and sign-off the user would use with these people, in this language. What
    the user's edits of earlier nudges say comes first: for this recipient, then overall."""
    found = _from_profile(profile, to, recipient_name, user_name, thread_language)
    return _with_edits(found, edits, to, recipient_name) if edits is not None else found


def _with_edits(found: Brief, edits: EditHabits, to: Sequence[str], recipient: str) -> Brief:
    mine, overall = edits.for_recipient(to)
    basis = [found.basis]
    greeting, signoff = found.greeting, found.signoff
    low, target, high = found.low, found.target, found.high
    for learned, where in ((overall, "in your edits"), (mine, f"as you edited it for {to[0]}")):
        if learned is None:
            continue
        if learned.greeting is not None:
            greeting = _render(learned.greeting, recipient)
            basis.append(f"greeting {where}")
        if learned.signoff is not None:
            signoff = learned.signoff
            basis.append(f"sign-off {where}")
        if learned.words:
            n = learned.words
            low, target, high = max(2, n // 2), n, max(n * 2, n + 6)
            basis.append(f"length {where}")
    return replace(
        found,
        greeting=greeting,
        signoff=signoff,
        low=low,
        target=target,
        high=high,
        phrases=edits.phrases,
        basis="; ".join(basis),
    )


def _clear(habit: Habit) -> bool:
    """A sign-off to one person that is a habit: two messages or more, three in four the same."""
    return habit.count >= 2 and habit.share >= 0.75


def _from_profile(
    profile: Profile | None,
    to: Sequence[str],
    recipient_name: str,
    user_name: str,
    thread_language: str,
) -> Brief:
    if profile is None or profile.sample_size == 0:
        return plain_brief(user_name, recipient_name)
    basis = [f"learned from {profile.sample_size} of your sent messages"]
    greeting = profile.greeting.value
    single = to[0] if len(to) == 1 else ""
    other_language = thread_language and thread_language != profile.language
    if single and single in profile.greetings:
        greeting = profile.greetings[single].value
        basis.append(f"greeting as you wrote it to {single}")
    elif len(to) > 1 and profile.group_greeting.count >= 2:
        greeting = profile.group_greeting.value
    elif other_language and thread_language in profile.greetings_by_language:
        greeting = profile.greetings_by_language[thread_language].value
        basis.append(f"greeting as you write in {language.name(thread_language)}")
    signoff = profile.signoff.value
    # one message is enough to say how the user greets someone, not how they sign off to them:
    # on the Enron corpus (the 60-80% slice) a sign-off to one person beat the overall habit
    # only when it was clear: two messages or more, three in four of them signed the same
    mine = profile.signoffs.get(single) if single else None
    if mine is not None and _clear(mine):
        signoff = mine.value
        basis.append(f"sign-off as you wrote it to {single}")
    low, target, high = profile.nudge_words
    return Brief(
        greeting=_render(greeting, recipient_name),
        signoff=signoff,
        signature=profile.signature.value,
        low=low,
        target=target,
        high=high,
        formality=formality_label(profile.formality),
        emoji=profile.emoji.share >= 0.2,
        followups=tuple(h.value for h in profile.followups),
        names=profile.names,
        basis="; ".join(basis),
    )


def pick_examples(
    profile: Profile | None,
    to: Sequence[str],
    exclude: Iterable[str] = (),
    target_formality: float | None = None,
    k: int = 3,
    edits: EditHabits | None = None,
) -> tuple[Sample, ...]:
    """Up to `k` of the user's own messages: first the newest nudge of ours they edited before
    it went out (to this person, else anyone; `Sample.edited`), the best example of how they
    want a nudge to read; then mail to the same person, then the same domain, then the ones
    closest in formality. Hand-written follow-ups and newer ones come first."""
    edited = _edited(edits, to)
    if profile is None:
        return edited[:k]
    skip = set(exclude)
    people = {a.lower() for a in to}
    domains = {a.rpartition("@")[2] for a in people}
    aim = profile.formality if target_formality is None else target_formality
    usable = [s for s in profile.samples if 3 <= s.words <= 180 and s.message_id not in skip]

    def rank(s: Sample) -> tuple[int, int, float]:
        tier = (
            0 if people & set(s.to) else 1 if domains & {a.rpartition("@")[2] for a in s.to} else 2
        )
        closeness = abs(s.formality - aim) if tier == 2 else 0.0
        return tier, 0 if s.followup else 1, closeness

    # newest first (undated last), then by rank: the sort is stable
    usable.sort(key=lambda s: (bool(s.date), s.date), reverse=True)
    return (*edited, *sorted(usable, key=rank))[:k]


def _edited(edits: EditHabits | None, to: Sequence[str]) -> tuple[Sample, ...]:
    if edits is None:
        return ()
    mine, overall = edits.for_recipient(to)
    edit = (mine.latest if mine is not None else None) or overall.latest
    if edit is None or not edit.written.strip():
        return ()
    parts = split(edit.written)
    return (
        Sample(
            message_id=edit.message_id,
            date=edit.at,
            to=edit.to,
            subject=edit.subject,
            text=edit.written.strip(),
            core=parts.core,
            words=words(parts.core),
            formality=formality(parts.core, parts),
            language=language.detect(parts.core),
            followup=True,
            edited=True,
        ),
    )


def _seen(habit: Habit) -> str:
    return f"; e.g. {habit.seen_in[0]}" if habit.seen_in else ""


def _shown(value: str) -> str:
    return " / ".join(line.strip() for line in value.split("\n")) if value else "(none)"


def describe(profile: Profile, top: int = 5) -> list[dict[str, str]]:
    """Each trait of the profile with its value and where it came from, for people."""
    rows: list[tuple[str, str, str]] = [
        (
            "greeting",
            _shown(profile.greeting.value),
            profile.greeting.basis() + _seen(profile.greeting),
        )
    ]
    if profile.group_greeting.count:
        g = profile.group_greeting
        rows.append(("greeting to several", _shown(g.value), g.basis() + " sent to several people"))
    per = sorted(profile.greetings.items(), key=lambda kv: -kv[1].total)[:top]
    rows += [(f"greeting to {a}", _shown(h.value), h.basis() + f" to {a}") for a, h in per]
    for code, h in profile.greetings_by_language.items():
        if code != profile.language:
            rows.append((f"greeting in {language.name(code)}", _shown(h.value), h.basis()))
    rows.append(
        (
            "sign-off",
            _shown(profile.signoff.value),
            profile.signoff.basis() + _seen(profile.signoff),
        )
    )
    per = sorted(
        ((a, h) for a, h in profile.signoffs.items() if _clear(h)), key=lambda kv: -kv[1].total
    )[:top]
    rows += [(f"sign-off to {a}", _shown(h.value), h.basis() + f" to {a}") for a, h in per]
    sig = profile.signature
    rows.append(
        (
            "signature",
            _shown(sig.value),
            f"a signature block in {sig.basis()}"
            + ("" if sig.value else "; added to nudges only when in half of them or more"),
        )
    )
    length = profile.length
    low, target, high = profile.nudge_words
    rows.append(
        (
            "length",
            f"median {length['median']} words (middle half {length['p25']}–{length['p75']})",
            f"the text between greeting and sign-off in {profile.sample_size} messages",
        )
    )
    rows.append(("nudge length", f"about {target} words, {low}–{high}", profile.nudge_basis))
    rows.append(
        (
            "formality",
            f"{formality_label(profile.formality)} ({profile.formality})",
            "median over the messages: greetings, sign-offs, contractions, exclamation marks, emoji",
        )
    )
    langs = ", ".join(f"{language.name(c)} {n}" for c, n in profile.languages.items())
    rows.append(("languages", langs or "(not told)", "messages long enough to tell"))
    if profile.followups:
        for h in profile.followups:
            rows.append(
                (
                    "follow-up phrase",
                    h.value,
                    f"{h.count} follow-up(s) you wrote by hand" + _seen(h),
                )
            )
    else:
        rows.append(("follow-up phrase", "(none seen)", "no follow-up by hand in this sample"))
    rows.append(
        (
            "emoji",
            profile.emoji.value or "(none)",
            f"in {profile.emoji.basis()}"
            + ("; used in nudges" if profile.emoji.share >= 0.2 else ""),
        )
    )
    return [{"trait": t, "value": v, "source": s} for t, v, s in rows]
