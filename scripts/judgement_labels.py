"""The labelled set for "does this message of the user expect an answer" (scripts/data/
judgement-labels.jsonl): 432 of the six Enron owners' own last-in-thread messages, each with its
path in the corpus, Message-ID, label (expects / no / unclear), a one-line why, and its split
(dev: tune on it; test: looked at only to report; WEEKLY below is a second set, for the nudges
per week; ASIDE a third, scored once at the end). The mail itself stays in
../shared/corpus; this module finds it there and scores predictions against the labels.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from inbox_agent.mail.headers import Header
from inbox_agent.tracker.threads import normalize_subject

LABELS = Path(__file__).resolve().parent / "data" / "judgement-labels.jsonl"
# a second set, labelled after the rules were written and never tuned on: a sample of 10 per
# user of the nudges the daemon would draft in that user's 8 busiest weeks (split "weekly")
WEEKLY = Path(__file__).resolve().parent / "data" / "judgement-weekly-labels.jsonl"
# more to tune on, for the kinds the first set has few of: 89 of the owners' last messages, 10
# per user that the rules of the time drafted and 5 they did not, labelled blind to which (split
# "tune")
TUNE = Path(__file__).resolve().parent / "data" / "judgement-tune-labels.jsonl"
# the nudges of the busiest weeks that no other label covered in the final replay of the rules
# tuned on dev, weekly and tune: 8 per user, sampled and labelled after that run, for the
# nudges-per-week figure only (split "weekly_final")
WEEKLY_FINAL = Path(__file__).resolve().parent / "data" / "judgement-weekly-final-labels.jsonl"
# every nudge of the busiest weeks that no other label covered in the replay of 2026-12-03 (128,
# all six users), labelled after that run by two readers, for the nudges-per-week figures only
# (split "weekly2")
WEEKLY2 = Path(__file__).resolve().parent / "data" / "judgement-weekly2-labels.jsonl"
# a third set, picked and labelled like the first before the rules were tuned again, kept aside:
# scored only by `eval_judgement --final`, at the end (split "aside")
ASIDE = Path(__file__).resolve().parent / "data" / "judgement-aside-labels.jsonl"
# a fresh aside set drawn 2026-12-02 by scripts/judgement_sample.py (seed 20261202, 40 per user
# over equal time slices of the owners' last-in-thread sent messages, disjoint by Message-ID, copy
# and body from every other label file) and labelled blind, before the tuning of that session:
# scored only by `eval_judgement --final` (split "aside2"): all 240 picks, the last 180 labelled
# 2026-12-03 before that day's rule changes were run on them
ASIDE2 = Path(__file__).resolve().parent / "data" / "judgement-aside2-labels.jsonl"
# a third aside set, drawn 2026-12-03 by scripts/judgement_sample.py --set aside3 --seed 20261203
# (as aside2, and disjoint from it too) once aside2's figure had been taken and read, and
# labelled blind by three readers before any rule was run on it: scored only by `--final`
ASIDE3 = Path(__file__).resolve().parent / "data" / "judgement-aside3-labels.jsonl"
# a fourth, drawn the same day with --set aside4 --seed 20261204 once aside3, the weekly2 nudges
# and a second reading had been read and tuned on, labelled blind by three readers: scored only
# by `--final` (split "aside4")
ASIDE4 = Path(__file__).resolve().parent / "data" / "judgement-aside4-labels.jsonl"
# a fifth, drawn 2026-12-03 (evening) with --set aside5 --seed 20261205 once aside4 had been read
# and tuned on, labelled blind by three readers (80 each) before any rule was run on it: scored
# only by `--final` (split "aside5")
ASIDE5 = Path(__file__).resolve().parent / "data" / "judgement-aside5-labels.jsonl"
# a sixth, drawn the same evening with --set aside6 --seed 20261206 once aside5's figure had been
# taken, and labelled blind by three readers while aside5 was read: scored only by `--final`
ASIDE6 = Path(__file__).resolve().parent / "data" / "judgement-aside6-labels.jsonl"
# a seventh, drawn the same evening with --set aside7 --seed 20261207 once the day's last rules
# had landed, labelled blind by three readers: the first look of those rules
ASIDE7 = Path(__file__).resolve().parent / "data" / "judgement-aside7-labels.jsonl"
# an eighth, drawn 2026-12-04 with --set aside8 --seed 20261208 while aside7 was read, labelled
# blind by three readers (80 each, scripts/judgement_brief.md): the first look of the rules
# tuned on aside7 (JUDGED_BY 10)
ASIDE8 = Path(__file__).resolve().parent / "data" / "judgement-aside8-labels.jsonl"
# a ninth, drawn the same day with --set aside9 --seed 20261209 once aside8 had been read (206:
# buy-r had 6 messages left that no other set holds), labelled blind by three readers: the first
# look of JUDGED_BY 12
ASIDE9 = Path(__file__).resolve().parent / "data" / "judgement-aside9-labels.jsonl"
# the sets kept aside, in the order they were drawn (split "aside", "aside2" … "aside9")
ASIDES = (ASIDE, ASIDE2, ASIDE3, ASIDE4, ASIDE5, ASIDE6, ASIDE7, ASIDE8, ASIDE9)
# the aside sets not read yet: `eval_judgement --offline` shows them only with --final
UNREAD: tuple[str, ...] = ("aside9",)
# aside6 labelled again on 2026-12-04 by three other readers (80 each, the same brief), blind to
# the first labels: how far two readings agree (split "aside6_reread"; never tuned on)
REREAD = Path(__file__).resolve().parent / "data" / "judgement-aside6-reread-labels.jsonl"
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
# the folders an Enron mailbox keeps the owner's sent mail in, most authoritative first
SENT_FOLDERS = ("sent", "_sent_mail", "sent_items")

Copy = tuple[str, object, str]


def copy_key(h: Header) -> Copy:
    """What copies of one message share: the Enron folders (sent, sent_items, _sent_mail,
    all_documents) hold one sent message several times under different Message-IDs."""
    return (h.from_addr, h.date, normalize_subject(h.subject))


# the owners' own addresses (and their assistants', who send from the owner's account)
USERS = {
    "allen-p": {"phillip.allen@enron.com", "k..allen@enron.com", "ina.rangel@enron.com"},
    "buy-r": {"rick.buy@enron.com", "karen.heathman@enron.com"},
    "delainey-d": {
        "david.delainey@enron.com",
        "w..delainey@enron.com",
        "kay.chapman@enron.com",
        "beverly.stephens@enron.com",
    },
    "fossum-d": {"drew.fossum@enron.com"},
    "grigsby-m": {"mike.grigsby@enron.com"},
    "presto-k": {"kevin.presto@enron.com", "m..presto@enron.com"},
}


@dataclass(frozen=True)
class Label:
    path: str
    message_id: str
    user: str
    date: str
    label: str  # expects | no | unclear
    why: str
    split: (
        str  # dev | test (LABELS), weekly, tune, aside, aside2, aside3 (their files), weekly_final
    )


def labels(path: Path = LABELS) -> list[Label]:
    with path.open() as f:
        return [Label(**json.loads(line)) for line in f if line.strip()]


def score(pairs: Iterable[tuple[Label, bool]]) -> dict[str, float | int]:
    """Precision and recall of "drafted" against "expects" (unclear ones left out)."""
    tp = fp = fn = tn = 0
    for row, drafted in pairs:
        if row.label == "unclear":
            continue
        expected = row.label == "expects"
        tp += drafted and expected
        fp += drafted and not expected
        fn += (not drafted) and expected
        tn += (not drafted) and not expected
    return {
        "precision": round(tp / (tp + fp), 3) if tp + fp else 0.0,
        "recall": round(tp / (tp + fn), 3) if tp + fn else 0.0,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
    }


def agreement(first: list[Label], second: list[Label]) -> dict[str, float | int]:
    """The second reading scored as if it were the rules, the first reading taken as right, and
    the share of messages both gave the same label."""
    said = {row.message_id: row.label for row in second}
    both = [row for row in first if row.message_id in said]
    agreed = sum(1 for row in both if said[row.message_id] == row.label)
    return {
        **score((row, said[row.message_id] == "expects") for row in both),
        "same_label": round(agreed / len(both), 3) if both else 0.0,
    }


def report(
    rows: list[Label], drafted: Callable[[Label], bool], splits: Iterable[str]
) -> dict[str, object]:
    """Scores per split and per user within each split."""
    got = [(r, drafted(r)) for r in rows]
    out: dict[str, object] = {}
    for split in splits:
        mine = [(r, d) for r, d in got if r.split == split]
        out[split] = {
            **score(mine),
            "per_user": {u: score((r, d) for r, d in mine if r.user == u) for u in sorted(USERS)},
        }
    return out
