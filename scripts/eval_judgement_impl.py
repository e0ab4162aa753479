"""How well inbox-agent tells a message that waits for an answer from one that does not, on the
labelled Enron set (scripts/data/judgement-labels.jsonl, read against ../shared/corpus).

`--offline` (the tuning loop, seconds): each labelled message is read the way the daemon reads
the user's last message (headers.parse, classify.read) and put through the header rules of
`tracker.start.judge`; drafted = a sequence would start. What the rules are tuned on is printed:
the dev split, the weekly and tune sets, and the aside sets once read (all but `UNREAD`).
The test split and the sets kept aside (each scored first with `--final`, once, before it was
read; all of them are read now) only with `--final`.

Without `--offline`: the daemon's real decision, replayed. Each user's maildir goes into a private
Dovecot, is synced and its bodies read; then, as of each labelled message's date plus the first
gap and an hour (when the daemon would draft it), `engine.planning.assessments` decides every
thread fresh. Drafted = the message's thread has a nudge due, anchored at it. Weekly as-of
times over each user's 8 busiest weeks count the nudges per week whose message is labelled
`no` (unnecessary) or `expects` (useful), and the drafts with no label.

The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta

from inbox_agent.cadence import Cadence, Gap
from inbox_agent.mail import classify, headers
from inbox_agent.mail.expects import Outcome
from inbox_agent.tracker.start import judge
from inbox_agent.tracker.threads import build_threads
from scripts.judgement_labels import (
    ASIDE6,
    ASIDES,
    CORPUS,
    REREAD,
    TUNE,
    UNREAD,
    USERS,
    WEEKLY,
    WEEKLY2,
    WEEKLY_FINAL,
    Label,
    agreement,
    labels,
    report,
)

GAP = Cadence(3, (Gap(3, "bd"),))


def offline_drafted(
    row: Label,
    unsure_drafts: bool = False,
    why: dict[str, str] | None = None,
    unsure: set[str] | None = None,
) -> bool:
    """Would a sequence start on this labelled message, read alone (its body and headers)?
    `why` gets the verdict's reason, `unsure` the Message-ID when the verdict is unsure."""
    why = {} if why is None else why
    raw = (CORPUS / row.path).read_bytes()
    h = headers.parse(raw)
    facts = classify.read(raw, h.kind, h.date or datetime.now(UTC), h.subject, from_user=True)
    verdict = facts.verdict
    why[row.message_id] = verdict.reason if verdict else "not judged"
    if verdict is not None and verdict.outcome == Outcome.UNSURE and unsure is not None:
        unsure.add(row.message_id)
    thread = build_threads([h])[0]
    when = (h.date or datetime.now(UTC)) + timedelta(days=30)
    seen = judge(thread, frozenset(USERS[row.user]), when, GAP, verdict, unsure_drafts)
    return seen.candidate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--offline", action="store_true", help="message level, no server")
    parser.add_argument("--final", action="store_true", help="also print the test split")
    parser.add_argument("--unsure", choices=("skip", "draft"), default="skip")
    parser.add_argument("--user", action="append", help="replay only this user (repeatable)")
    parser.add_argument(
        "--show", choices=("fp", "fn", "unsure", "all"), help="list misses (not the test split)"
    )
    args = parser.parse_args()
    if not CORPUS.is_dir():
        sys.exit(f"no corpus at {CORPUS}: put the Enron maildirs in shared/corpus beside the repo")
    kept = [row for path in ASIDES for row in labels(path)]
    asides = tuple(dict.fromkeys(row.split for row in kept))
    rows = labels() + (kept if args.final else [])
    splits = ("dev", "test", *asides) if args.final else ("dev",)
    why: dict[str, str] = {}
    undecided: set[str] = set()
    if not args.offline:
        from scripts.eval_judgement_replay import replay

        result = replay(rows, splits, args.unsure == "draft", args.user)
        for split in splits:
            s = result[split]
            assert isinstance(s, dict)
            print(f"{split}: precision {s['precision']} recall {s['recall']}")
        print(json.dumps(result))
        return
    # judged alone, as the others; tuned on too (the aside sets too, once they have been seen:
    # aside from 2026-12-02, aside2 to aside6 from 2026-12-03, aside7 from 2026-12-04)
    rows += labels(WEEKLY) + labels(WEEKLY_FINAL) + labels(WEEKLY2) + labels(TUNE)
    read = [row for row in kept if row.split not in UNREAD]  # a set not yet read: --final only
    rows += [] if args.final else read
    seen = (
        "dev",
        "weekly",
        "weekly_final",
        "weekly2",
        "tune",
        *(a for a in asides if a not in UNREAD),
    )
    splits = tuple(dict.fromkeys((*seen, *splits[1:])))
    drafted = {
        r.message_id: offline_drafted(r, args.unsure == "draft", why, undecided) for r in rows
    }
    result = report(rows, lambda r: drafted[r.message_id], splits)
    kinds = Counter(why[r.message_id].split(":")[0] for r in rows if r.split in splits)
    for split in splits:
        mine = [r for r in rows if r.split == split]
        unsure = sum(1 for r in mine if r.message_id in undecided)
        assert isinstance(result[split], dict)
        result[split]["unsure_share"] = round(unsure / len(mine), 3)  # type: ignore[index]
    if args.show:
        for r in rows:
            if r.split not in seen:  # never the test split
                continue
            d, e = drafted[r.message_id], r.label == "expects"
            unsure = r.message_id in undecided
            if (
                args.show == "all"
                or (args.show == "fp" and d and r.label == "no")
                or (args.show == "fn" and not d and e)
                or (args.show == "unsure" and unsure)
            ):
                print(f"{r.label:8} {'D' if d else '-'} {r.path:40} {why[r.message_id][:100]}")
                print(f"{'':10} label: {r.why[:110]}")
    for split in splits:
        s = result[split]
        assert isinstance(s, dict)
        print(
            f"{split}: precision {s['precision']} recall {s['recall']} unsure {s['unsure_share']}"
        )
        for user, u in s["per_user"].items():
            print(f"  {user:11} precision {u['precision']:.3f} recall {u['recall']:.3f}")
    print("verdict kinds:", dict(kinds.most_common()))
    # two readings of aside6: what a second careful reader scores against the first
    readers = agreement(labels(ASIDE6), labels(REREAD))
    print(
        f"aside6 read twice: the second reading's precision {readers['precision']} recall "
        f"{readers['recall']} against the first, the same label on {readers['same_label']}"
    )
    print(json.dumps({"mode": "offline", "unsure": args.unsure, **result, "readers": readers}))


if __name__ == "__main__":
    main()
