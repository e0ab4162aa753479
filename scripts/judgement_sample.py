"""Draw new, unlabelled candidates for the judgement labels (scripts/data/judgement-*.jsonl).

Eligible, as for the other sets: a thread (tracker.threads.build_threads over all of a user's
folders, copies of one message counted once) whose last message written by a person is the
owner's own (USERS), kept in a sent folder (sent, sent_items, _sent_mail). Left out: every
message already in a label file, by Message-ID, by copy (sender, date, subject) and by body (the
same text under another Message-ID in another folder). Per user the candidates are sorted by
date, cut into `--per-user` equal slices and one is picked at random from each (fixed seed), so
the set spreads over time. Prints one JSON line per pick: path, message_id, user, date.

Usage: python -m scripts.judgement_sample [--per-user 40] [--seed 20261202] [--set aside2]

`--set` names the set drawn for (aside2, drawn 2026-12-02; aside3, --seed 20261203, and aside4,
--seed 20261204, drawn 2026-12-03 as the one before had been read): its own label files
(scripts/data/judgement-<set>-labels*.jsonl) never change its draw; every other file is left out.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
from pathlib import Path

from inbox_agent.mail import headers
from inbox_agent.mail.headers import Header
from inbox_agent.tracker.threads import build_threads, last_human
from scripts.judgement_labels import CORPUS, SENT_FOLDERS, USERS, Copy, copy_key

DATA = Path(__file__).resolve().parent / "data"
_SPACE = re.compile(r"\s+")


def prefix(name: str) -> str:
    """The label files of set `name` (judgement-<name>-labels*.jsonl): they hold its own picks."""
    return f"judgement-{name}-labels"


def folder(rel: str) -> str:
    """The mailbox folder of a corpus path ("enron/allen-p/sent/12." -> "sent")."""
    return rel.split("/")[2]


def body_key(raw: bytes) -> str:
    """The body's text with spaces folded: the same message in two folders has the same key."""
    _head, _, body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    text = _SPACE.sub(" ", body.decode("utf-8", "replace")).strip()[:4000]
    return hashlib.sha256(text.encode()).hexdigest()


def labelled(name: str = "aside2") -> tuple[set[str], set[Copy], set[str]]:
    """Message-IDs, copies and bodies of every labelled message (all files in scripts/data but
    set `name`'s own)."""
    ids: set[str] = set()
    copies: set[Copy] = set()
    bodies: set[str] = set()
    for path in sorted(DATA.glob("judgement-*.jsonl")):
        if path.name.startswith(prefix(name)):  # its own picks: the draw stays the same
            continue
        for line in path.read_text().splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            ids.add(row["message_id"])
            raw = (CORPUS / row["path"]).read_bytes()
            copies.add(copy_key(headers.parse(raw)))
            bodies.add(body_key(raw))
    return ids, copies, bodies


def candidates(user: str) -> list[tuple[Header, str, str]]:
    """The user's last-in-thread messages kept in a sent folder: (header, path, body key)."""
    root = CORPUS / "enron" / user
    own = USERS[user]
    seen: dict[Copy, tuple[Header, str, str]] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        raw = path.read_bytes()
        h = headers.parse(raw)
        key = copy_key(h)
        rel = str(path.relative_to(CORPUS))
        if key not in seen:  # the first copy by path; kept only if it is in a sent folder
            seen[key] = (h, rel, body_key(raw))
    by_id = {h.message_id: (h, rel, b) for h, rel, b in seen.values()}
    out = []
    for thread in build_threads(h for h, _, _ in seen.values()):
        last = last_human(thread)
        if last is None or last.from_addr not in own or last.kind != "normal" or not last.date:
            continue
        h, rel, b = by_id[last.message_id]
        if folder(rel) in SENT_FOLDERS:
            out.append((h, rel, b))
    return sorted(out, key=lambda c: (c[0].date, c[1]))


def sample(per_user: int, seed: int, name: str = "aside2") -> list[dict[str, str]]:
    ids, copies, bodies = labelled(name)
    rng = random.Random(seed)
    picks: list[dict[str, str]] = []
    for user in sorted(USERS):
        taken: set[str] = set()
        pool = [
            c
            for c in candidates(user)
            if c[0].message_id not in ids and copy_key(c[0]) not in copies and c[2] not in bodies
        ]
        for i in range(per_user):
            part = pool[i * len(pool) // per_user : (i + 1) * len(pool) // per_user]
            part = [c for c in part if c[2] not in taken]
            if not part:
                continue
            h, rel, b = rng.choice(part)
            taken.add(b)
            assert h.date is not None
            picks.append(
                {
                    "path": rel,
                    "message_id": h.message_id,
                    "user": user,
                    "date": f"{h.date:%Y-%m-%d}",
                }
            )
    return picks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-user", type=int, default=40)
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--set", default="aside2", help="the set drawn for (its files kept out)")
    args = parser.parse_args()
    for pick in sample(args.per_user, args.seed, args.set):
        print(json.dumps(pick))


if __name__ == "__main__":
    main()
