"""How close the drafted nudges come to what the corpus users really wrote (not in the suite).

For each Enron user under `--corpus` (one user's maildir, or a folder of them), the user's own
messages in date order are cut at 80% (`--period test`, the default: learn from the older 80%,
score the newest 20%) or at 60% and 80% (`--period dev`: learn from the older 60%, score the
next 20%; every choice of rule is made there, so the reported period is not tuned to):
1. every file is read once: the copies Enron keeps in `sent`, `_sent_mail` and `all_documents`
   (same date, or 12 h apart as Enron's folders sometimes disagree, subject, sender and first
   200 characters of new text) count once; an assistant's mail from the owner's mailbox
   (`_voice_corpus.assistants`) is not the owner's: never learned from, never scored;
2. **real follow-ups** written in the period scored: two messages of the user in a row on one
   thread, 20 h to 45 days apart, the second to at least one of the first's recipients and to
   nobody new but cc, with text of its own, and not an answer to someone else's mail (its
   quoted part, if any, is the user's own). For each, a profile is learned only from the
   user's mail dated before it, and both drafters write touch 1 on the first message; the
   draft is compared with the real follow-up;
3. **other mail**: each message of the period
   scored that is short (40 words or fewer: shaped like a nudge) and asks something (the ask
   `mail.expects` quotes) is taken as the message being followed up, drafted with the profile
   learned from the user's mail dated strictly before it (`profile_before`: never the message
   itself nor anything later, as the daemon would have had it); the draft's greeting and
   sign-off are compared with that message's own, its length with the user's follow-ups up to
   the end of the period (their median; with fewer than 5, their short asks in the period).

Metrics: greeting and sign-off match rates, by form (`letter.form`: "Hi {name}," matches "Hi
Bob,", "… thanks df" matches "Thanks,\nDF"), with the ceiling beside each (the share of the
one greeting or sign-off the user wrote most in those very messages: the best any single
habit could score, chosen knowing the answers); the median length ratio (greeting, text and
sign-off; no signature, no quotes) and the share of drafts within 0.5-2x; grounding (the
draft's text names a content word of the subject, two of the ask, or what the ask waits for in
its words, `grounding.ask_about`); invented facts (drafts
with a number, date, name, amount, address or link not in the thread: `grounding.invented`, the
guard's own function). Touches 2 and 3 are drafted too, for grounding and invented facts.
Beside the other-mail block, the user scored against themself (`self_agreement`): over all
their real follow-ups, the share whose greeting and sign-off have the form of the message
they followed up, which is what that block asks of a drafter.
The offline targets, on the other-mail block: greeting >= 0.9, sign-off >= 0.8, length
0.5-2x, grounding >= 0.8, invented 0; the exit code is 1 when one is missed (`--no-targets`:
report only).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from inbox_agent import config
from inbox_agent.drafter.grounding import ask_about, ask_for, invented, key_words, topic
from inbox_agent.drafter.writers import Drafter, LlmDrafter, OfflineDrafter, Quoted, prepare
from inbox_agent.mail.letter import first_name, form, name_tokens, split, words
from inbox_agent.voice.profile import SAMPLE_LIMIT, Profile, SentMail, learn
from scripts._voice_corpus import Mail, User, followups, read_user, users_under

SHORT_WORDS = 40  # a message this short is shaped like a nudge

TARGETS = {"greeting": 0.9, "signoff": 0.8, "grounding": 0.8}


@dataclass(frozen=True)
class Case:
    original: Mail  # the message followed up
    real: Mail | None  # the user's real follow-up (None in the other-mail block)
    profile: Profile


def _sent_mail(m: Mail, flagged: set[str]) -> SentMail:
    h = m.header
    single = len(h.to) == 1
    return SentMail(
        h.message_id,
        h.date,
        h.to,
        h.subject,
        m.text,
        {h.to[0]: m.to_name} if single and m.to_name else {},
        h.message_id in flagged,
    )


def profile_before(
    user: User, when: datetime, flagged: set[str], cache: dict[int, Profile]
) -> Profile:
    """The profile from the user's mail dated strictly before `when`: never the scored message
    itself, nor anything written after it (cached by how many messages that is, so two cases
    share a profile only when they see the very same mail)."""
    own = user.own
    dates = [m.header.date for m in own]
    count = bisect_left(dates, when)  # type: ignore[arg-type]
    if count not in cache:
        prior = own[:count]
        cache[count] = learn(
            [_sent_mail(m, flagged) for m in prior[-SAMPLE_LIMIT:]], user.names, when
        )
    return cache[count]


def _letter_words(parts: object) -> int:
    return words(" ".join((parts.greeting_literal, parts.core, parts.closing)))  # type: ignore[attr-defined]


def score(
    drafter: Drafter,
    cases: Sequence[Case],
    user: User,
    reference_words: float,
    show: Callable[[str], None] | None = None,
) -> dict[str, float | int]:
    greet = sign = grounded = bad = 0
    ratios: list[float] = []
    greetings: Counter[str] = Counter()  # what the user really wrote, by form
    signoffs: Counter[str] = Counter()
    for case in cases:
        o = case.original
        h = o.header
        recipient = first_name(o.to_name, h.to[0]) if len(h.to) == 1 else first_name("", h.to[0])
        tokens: set[str] = set()
        for address in h.to:
            tokens |= name_tokens(o.to_name if len(h.to) == 1 else "", address)
        thread = (
            Quoted(
                user.names[0] if user.names else "",
                True,
                f"{h.date:%Y-%m-%d %H:%M}" if h.date else "",
                h.subject,
                o.text,
            ),
        )
        names = case.profile.names
        real_text = case.real.text if case.real else o.text
        real = split(real_text, names, tokens)
        for touch, kind in ((1, "bump"), (2, "context"), (3, "close")):
            request = prepare(
                touch=touch,
                touches=3,
                kind=kind,
                subject=h.subject,
                user_name=user.names[0] if user.names else user.name,
                to=h.to,
                recipient_name=recipient,
                thread=thread,
                profile=case.profile,
                exclude=(h.message_id,),
                quoted=True,
            )
            body = drafter.draft(request).body
            drafted = split(body, names, tokens)
            subject_words = key_words(topic(h.subject))
            ask_words = key_words(request.ask)
            core_words = key_words(drafted.core)
            about = ask_about(request.ask)  # "Any news on the contract?" names what it waits for
            ok = (
                bool(subject_words & core_words)
                or len(ask_words & core_words) >= 2
                or bool(about and about in drafted.core)
            )
            known = f"{request.known_text}\n{recipient}\n{' '.join(names)}\n{case.profile.signature.value}"
            facts = invented(drafted.core, known, request.language)
            grounded += ok
            bad += bool(facts)
            if touch == 1:
                greet += form(drafted.greeting) == form(real.greeting)
                sign += form(drafted.closing) == form(real.closing)
                greetings[form(real.greeting)] += 1
                signoffs[form(real.closing)] += 1
                reference = _letter_words(real) if case.real else reference_words
                if reference:
                    ratios.append(_letter_words(drafted) / reference)
                if show:
                    show(
                        f"  {h.subject[:50]!r}: real {' '.join(real_text.split())[:90]!r}\n"
                        f"      draft {' / '.join(body.strip().split(chr(10)))[:160]!r}"
                        + (f" INVENTED {facts}" if facts else "")
                    )
    n = len(cases)
    return {
        "n": n,
        "greeting": round(greet / n, 3) if n else 0.0,
        "signoff": round(sign / n, 3) if n else 0.0,
        "length_ratio_median": round(statistics.median(ratios), 3) if ratios else 0.0,
        "length_in_band": round(sum(0.5 <= r <= 2 for r in ratios) / len(ratios), 3)
        if ratios
        else 0.0,
        "grounding": round(grounded / (3 * n), 3) if n else 0.0,
        "invented": bad,
        # the best any one greeting or sign-off could have scored, chosen knowing the answers
        "greeting_ceiling": round(greetings.most_common(1)[0][1] / n, 3) if n else 0.0,
        "signoff_ceiling": round(signoffs.most_common(1)[0][1] / n, 3) if n else 0.0,
    }


def blocks(user: User, period: str = "test") -> tuple[list[Case], list[Case], float, str]:
    """The follow-up cases, the other-mail cases, the length reference and where it came from.
    `period` "test": learn from the older 80%, score the newest 20%; "dev": learn from the older
    60%, score the next 20% (where choices are made, so the reported period is not tuned to)."""
    pairs = followups(user)
    flagged = {f.header.message_id for _, f in pairs}
    cache: dict[int, Profile] = {}
    own = [m for m in user.own if m.text.strip()]
    low, high = (0.6, 0.8) if period == "dev" else (0.8, 1.0)
    older, newer = own[: int(len(own) * low)], own[int(len(own) * low) : int(len(own) * high)]
    ids = {m.header.message_id for m in newer}
    fcases = [  # the follow-ups written in the period scored, each with the profile before it
        Case(o, f, profile_before(user, f.header.date, flagged, cache))  # type: ignore[arg-type]
        for o, f in pairs
        if f.header.message_id in ids
    ]
    last = older[-1].header.date if older else None
    profile = learn(
        [_sent_mail(m, flagged) for m in older[-SAMPLE_LIMIT:]],
        user.names,
        last,  # type: ignore[arg-type]
    )
    # mail shaped like a follow-up: short, and asking something (a nudge is a short message);
    # each drafted with the profile of the mail sent before it, as the daemon would have it
    asking = [
        m
        for m in newer
        if prepare_ask(m) and words(split(m.text, profile.names).core) <= SHORT_WORDS
    ]
    ocases = [
        Case(m, None, profile_before(user, m.header.date, flagged, cache))  # type: ignore[arg-type]
        for m in asking
    ]
    # their own follow-ups up to the end of the period scored (not only those in it: a few)
    end = newer[-1].header.date if newer else None
    follow_words = [
        _letter_words(split(f.text, profile.names))
        for _, f in pairs
        if end and f.header.date and f.header.date <= end
    ]
    if len(follow_words) >= 5:
        return fcases, ocases, statistics.median(follow_words), f"{len(follow_words)} follow-ups"
    # too few follow-ups of their own: their short asking messages, the mail shaped like one
    lengths = [_letter_words(split(m.text, profile.names)) for m in asking]
    return fcases, ocases, statistics.median(lengths) if lengths else 0.0, "short asks"


def self_agreement(user: User, names: Sequence[str]) -> dict[str, float | int]:
    """How the user themself would score on the other-mail block: over their real follow-ups
    (the whole mailbox), the share whose greeting and sign-off have the form of the message
    they follow up. A drafter scored against the followed-up message's own greeting cannot
    be expected to beat the user's own follow-ups by much."""
    greet = sign = 0
    pairs = followups(user)
    for first, then in pairs:
        tokens: set[str] = set()
        for address in first.header.to:
            tokens |= name_tokens(first.to_name if len(first.header.to) == 1 else "", address)
        a, b = split(first.text, names, tokens), split(then.text, names, tokens)
        greet += form(a.greeting) == form(b.greeting)
        sign += form(a.closing) == form(b.closing)
    n = len(pairs)
    return {
        "self_n": n,
        "greeting_self": round(greet / n, 3) if n else 0.0,
        "signoff_self": round(sign / n, 3) if n else 0.0,
    }


def prepare_ask(m: Mail) -> str:
    return ask_for("", m.text)


def llm_config(args: argparse.Namespace) -> tuple[config.LlmConfig, str | None] | None:
    base = args.base_url or os.environ.get("INBOX_AGENT_LLM_BASE_URL", "")
    model = args.model or os.environ.get("INBOX_AGENT_LLM_MODEL", "")
    key = os.environ.get("INBOX_AGENT_LLM_KEY") or os.environ.get("OPENAI_API_KEY")
    if not (base and model):
        return None
    return config.LlmConfig(base_url=base, model=model, timeout_s=60.0), key


def missed(figures: dict[str, float | int]) -> list[str]:
    out = [f"{k} {figures[k]} < {v}" for k, v in TARGETS.items() if float(figures[k]) < v]
    if not 0.5 <= float(figures["length_ratio_median"]) <= 2:
        out.append(f"length {figures['length_ratio_median']} outside 0.5-2")
    if figures["invented"]:
        out.append(f"invented {figures['invented']}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--corpus", required=True, help="enron/, or one user's maildir")
    parser.add_argument("--base-url", default="", help="an OpenAI-compatible endpoint")
    parser.add_argument("--model", default="", help="the model at that endpoint")
    parser.add_argument("--limit", type=int, default=20, help="at most this many LLM cases a block")
    parser.add_argument("--list", action="store_true", help="print every case and its draft")
    parser.add_argument("--no-targets", action="store_true", help="report only; exit 0")
    parser.add_argument(
        "--period",
        choices=("test", "dev"),
        default="test",
        help="dev: score the 60-80%% slice instead of the newest 20%%",
    )
    args = parser.parse_args(argv)
    corpus = Path(args.corpus)
    if not corpus.is_absolute():
        corpus = Path(os.environ.get("INBOX_AGENT_EVAL_CWD", ".")) / corpus
    if not corpus.is_dir():
        print(f"error: {corpus} is not a directory", file=sys.stderr)
        return 2
    drafters: list[tuple[str, Drafter, int]] = [("offline", OfflineDrafter(), 10**9)]
    llm = llm_config(args)
    if llm is not None:
        drafters.append((f"llm:{llm[0].model}", LlmDrafter(llm[0], llm[1]), args.limit))
    failures: list[str] = []
    for path in users_under(corpus):
        user = read_user(path)
        fcases, ocases, reference, source = blocks(user, args.period)
        print(
            f"{user.name}: {len(user.mails)} unique messages, {len(user.own)} by the user; "
            f"{len(fcases)} real follow-ups; {len(ocases)} other asks; length reference "
            f"{reference} words ({source})",
            flush=True,
        )
        names = ocases[-1].profile.names if ocases else tuple(user.names)
        own_score = self_agreement(user, names)
        for label, drafter, limit in drafters:
            for block, cases in (("follow-ups", fcases), ("other mail", ocases)):
                show = print if args.list else None
                figures = score(drafter, cases[:limit], user, reference, show)
                if block == "other mail":
                    figures = {**figures, **own_score}
                print(
                    json.dumps(
                        {
                            "user": user.name,
                            "drafter": label,
                            "block": block,
                            "length_reference": source,
                            **figures,
                        }
                    ),
                    flush=True,
                )
                if label == "offline" and block == "other mail":
                    failures += [f"{user.name}: {m}" for m in missed(figures)]
    for line in failures:
        print(f"target missed: {line}")
    return 1 if failures and not args.no_targets else 0


if __name__ == "__main__":
    raise SystemExit(main())
