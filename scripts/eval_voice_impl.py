"""Learn a style profile from the older 80% of one Enron user's sent mail, then, for each message
of the newer 20%, draft a nudge on it and compare with what the user really wrote there: the same
greeting (template: "Hi {name}," matches "Hi Bob,"), the same sign-off, and the draft's length
over the real message's length (greeting, text and sign-off; no signature, no quotes).

The offline drafter always runs; an LLM runs too when an endpoint is configured. One JSON object
per drafter is printed, each on its own line, the last drafter's last; a plain baseline (no
profile: "Hi {name}," and "Best,") is shown for comparison. The corpus is only read.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from inbox_agent import config
from inbox_agent.drafter.writers import Drafter, LlmDrafter, OfflineDrafter, Quoted, prepare
from inbox_agent.mail import headers
from inbox_agent.mail.body import text_of
from inbox_agent.mail.letter import first_name, name_tokens, split, words
from inbox_agent.tracker.threads import build_threads
from inbox_agent.voice.profile import Profile, SentMail, hand_nudges, learn

SENT_FOLDERS = ("sent", "_sent_mail", "sent_items")
_X_NAME = re.compile(r"\s*<[^>]*>\s*")


@dataclass(frozen=True)
class Case:
    mail: SentMail
    recipient_name: str


def _x_name(raw: str) -> str:
    """An Enron X-From / X-To display name without the Exchange address in angle brackets."""
    return _X_NAME.sub(" ", raw).strip().strip("'\"")


def read_user(corpus: Path) -> tuple[list[Case], list[str], str]:
    """The user's own sent messages (one per date, subject and text), their names, their address."""
    parsed: list[tuple[headers.Header, str, str, str]] = []
    every: list[headers.Header] = []
    for path in sorted(p for p in corpus.rglob("*") if p.is_file()):
        raw = path.read_bytes()
        header = headers.parse(raw)
        every.append(header)
        if path.relative_to(corpus).parts[0] not in SENT_FOLDERS:
            continue
        block = raw.split(b"\n\n", 1)[0].decode("latin-1")
        x_from = re.search(r"^X-From: (.*)$", block, re.M)
        x_to = re.search(r"^X-To: (.*)$", block, re.M)
        from_name = _x_name(x_from.group(1)) if x_from else ""
        to_name = _x_name(x_to.group(1)) if x_to else ""
        parsed.append((header, text_of(raw), from_name, to_name))
    # the user's addresses: every From that signs a good share of the sent folders
    # (allen-p is phillip.allen@ in Notes and k..allen@ in Outlook)
    senders = Counter(h.from_addr for h, *_ in parsed)
    user = frozenset(a for a, n in senders.items() if n >= len(parsed) * 0.05)
    owner = senders.most_common(1)[0][0]
    names = Counter(x for h, _, x, _ in parsed if h.from_addr in user and x)
    followups = hand_nudges(build_threads(every), user, frozenset())
    seen: set[tuple[str, str, str]] = set()
    cases: list[Case] = []
    for header, text, _, to_name in parsed:
        key = (str(header.date), header.subject, " ".join(text.split())[:200])
        if header.from_addr not in user or key in seen or not header.to:
            continue
        seen.add(key)
        single = len(header.to) == 1
        mail = SentMail(
            message_id=header.message_id,
            date=header.date,
            to=header.to,
            subject=header.subject,
            text=text,
            names={header.to[0]: to_name} if single and to_name else {},
            followup=header.message_id in followups,
        )
        name = first_name(to_name, header.to[0]) if single else first_name("", header.to[0])
        cases.append(Case(mail, name))
    cases.sort(key=lambda c: c.mail.date or datetime.min.replace(tzinfo=UTC))
    return cases, [n for n, _ in names.most_common(2)], owner


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w{}]+", " ", text.replace("…", " ").lower()).split())


def evaluate(
    label: str,
    drafter: Drafter,
    cases: Iterable[Case],
    profile: Profile | None,
    user_name: str,
    show: int = 0,
) -> dict[str, float | int | str]:
    greet = sign = total = 0
    ratios: list[float] = []
    names = profile.names if profile else (user_name,)
    for n, case in enumerate(cases):
        mail = case.mail
        tokens: set[str] = set()
        for address in mail.to:
            tokens |= name_tokens(mail.names.get(address, ""), address)
        real = split(mail.text, names, tokens)
        real_text = " ".join((real.greeting_literal, real.core, real.closing))
        stamp = f"{mail.date:%Y-%m-%d %H:%M}" if mail.date else ""
        request = prepare(
            touch=1,
            touches=3,
            kind="bump",
            subject=mail.subject,
            user_name=user_name,
            to=mail.to,
            recipient_name=case.recipient_name,
            thread=(Quoted(user_name, True, stamp, mail.subject, mail.text),),
            profile=profile,
            exclude=(mail.message_id,),
        )
        body = drafter.draft(request).body
        drafted = split(body, names, tokens)
        total += 1
        greet += _norm(drafted.greeting) == _norm(real.greeting)
        sign += _norm(drafted.closing) == _norm(real.closing)
        draft_words = words(" ".join((drafted.greeting_literal, drafted.core, drafted.closing)))
        if words(real_text):
            ratios.append(draft_words / words(real_text))
        if n < show:
            print(
                f"--- {label} #{n + 1}: real greeting {real.greeting!r}, sign-off {real.closing!r}"
            )
            print("    draft: " + body.strip().replace("\n", "\n           "))
    return {
        "samples": total,
        "greeting_match_rate": round(greet / total, 3) if total else 0.0,
        "signoff_match_rate": round(sign / total, 3) if total else 0.0,
        "length_ratio_median": round(statistics.median(ratios), 3) if ratios else 0.0,
    }


def llm_config(args: argparse.Namespace) -> tuple[config.LlmConfig, str | None] | None:
    base = args.base_url or os.environ.get("INBOX_AGENT_LLM_BASE_URL", "")
    model = args.model or os.environ.get("INBOX_AGENT_LLM_MODEL", "")
    key = os.environ.get("INBOX_AGENT_LLM_KEY") or os.environ.get("OPENAI_API_KEY")
    if not (base and model):
        try:
            settings = config.load_settings()
        except Exception:  # no config, or a broken one: the offline run still stands
            return None
        if not settings.llm.enabled:
            return None
        return settings.llm, key
    return config.LlmConfig(base_url=base, model=model, timeout_s=60.0), key


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--corpus", required=True, help="one user's maildir, e.g. enron/allen-p")
    parser.add_argument("--base-url", default="", help="an OpenAI-compatible endpoint")
    parser.add_argument("--model", default="", help="the model at that endpoint")
    parser.add_argument("--limit", type=int, default=40, help="at most this many LLM drafts")
    parser.add_argument("--show", type=int, default=3, help="print this many drafts per drafter")
    args = parser.parse_args(argv)
    corpus = Path(args.corpus)
    if not corpus.is_absolute():
        corpus = Path(os.environ.get("INBOX_AGENT_EVAL_CWD", ".")) / corpus
    if not corpus.is_dir():
        print(f"error: {corpus} is not a directory", file=sys.stderr)
        return 2
    cases, user_names, owner = read_user(corpus)
    cut = int(len(cases) * 0.8)
    train, test = cases[:cut], [c for c in cases[cut:] if c.mail.text.strip()]
    last = train[-1].mail.date if train and train[-1].mail.date else datetime.now(UTC)
    profile = learn([c.mail for c in train], user_names, last)
    user_name = user_names[0] if user_names else owner
    print(
        f"{corpus.name}: {len(cases)} sent messages by {owner}; learning from {cut}, testing {len(test)}"
    )
    print(
        f"profile: greeting {profile.greeting.value!r} ({profile.greeting.basis()}), "
        f"sign-off {profile.signoff.value!r} ({profile.signoff.basis()}), "
        f"signature {profile.signature.value!r}, {len(profile.greetings)} per-recipient greetings, "
        f"median {profile.length['median']} words, formality {profile.formality}, "
        f"languages {dict(profile.languages)}, {sum(s.followup for s in profile.samples)} hand follow-ups"
    )
    baseline = evaluate("baseline", OfflineDrafter(), test, None, user_name)
    print(f"baseline without a profile: {json.dumps(baseline)}")
    results = [
        ("offline", evaluate("offline", OfflineDrafter(), test, profile, user_name, args.show))
    ]
    llm = llm_config(args)
    if llm is not None:
        drafter = LlmDrafter(llm[0], llm[1])
        results.append(
            (
                f"llm:{llm[0].model}",
                evaluate("llm", drafter, test[: args.limit], profile, user_name, args.show),
            )
        )
    for name, figures in results:
        print(json.dumps({"user": corpus.name, "drafter": name, **figures}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
