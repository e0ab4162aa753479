"""The daemon's real decision replayed on the labelled Enron set (see eval_judgement_impl).

Per user: the maildir goes into a private Dovecot (sent folders into Sent, the rest into INBOX,
as eval_threads does), is synced, and then for each as-of time T the clock is set to T, the
bodies the decision wants are read (`Engine.read_bodies`, as a cycle does), and every thread is
decided fresh as of T with no sequence stored (`Engine.assessments(as_of=T)`), the way a first
run at T decides. A labelled message is drafted when its thread has a nudge due at T anchored
at it, T being its date plus the first gap and an hour. The weekly figure: over the user's 8
busiest weeks of sent mail, the nudges that fell due in each week, split by the label of their
message (useful: expects, unnecessary: no, and unlabelled ones), and the threads left unsure
that would have fallen due in it (listed for the user to decide).
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import keyring

from inbox_agent import clock, config, paths
from inbox_agent.config import secrets
from inbox_agent.engine import Engine
from inbox_agent.mail.headers import Header
from inbox_agent.store.db import Store
from inbox_agent.tracker import Assessment
from inbox_agent.tracker.sequence import Due, Start
from inbox_agent.tracker.threads import last_human
from scripts.eval_threads_impl import load
from scripts.judgement_labels import (
    CORPUS,
    TUNE,
    USERS,
    WEEKLY,
    WEEKLY2,
    WEEKLY_FINAL,
    Copy,
    Label,
    copy_key,
    labels,
    score,
)
from tests.infra.dovecot import DovecotServer
from tests.infra.memkeyring import MemoryKeyring

BUSY_WEEKS = 8


def _engine(server: DovecotServer, user: str, home: Path, unsure: str) -> Engine:
    login = user.replace("-", "")
    server.add_user(login, "eval-pw")
    _inbox, _sent, address = load(CORPUS / "enron" / user, server.maildir(login))
    server.chown_tree()
    path = paths.accounts_dir() / f"{login}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'email = "{address}"\n[imap]\nhost = "127.0.0.1"\nport = {server.imap_port}\n'
        f'security = "none"\nusername = "{login}"\n[smtp]\nhost = "127.0.0.1"\nport = 9\n'
        f'security = "none"\n[tracking]\nunsure = "{unsure}"\n'
    )
    secrets.set_secret(login, "imap", "eval-pw")
    settings = config.load_settings()
    return Engine(config.load_account(path, settings), settings, Store(home / f"{login}.db"))


def copy_of(h: Header | None) -> Copy | None:
    """`copy_key`, for a message that may be missing."""
    return copy_key(h) if h is not None else None


def _decide(engine: Engine, mailbox: object, when: datetime) -> list[Assessment]:
    clock.set_now(when)
    # the threads as they stood at T: what the daemon would have read then
    engine.read_bodies(mailbox, limit=20_000, threads=engine.threads(as_of=when))  # type: ignore[arg-type]
    return engine.assessments(as_of=when)


def replay_user(
    server: DovecotServer, user: str, rows: list[Label], home: Path, unsure: str
) -> dict[str, object]:
    engine = _engine(server, user, home, unsure)
    mine = [r for r in rows if r.user == user]
    drafted: dict[str, bool] = {}
    weekly = Counter[str]()
    undecided: set[object] = set()  # unsure threads, listed for the user to decide
    apart = Counter[str]()  # labelled messages not waiting at draft time, left out of the score
    counted: set[object] = set()
    try:
        with engine.session() as mailbox:
            engine.sync(mailbox)
            headers = {m.message_id: m for t in engine.threads() for m in t.messages}
            cadence = engine.account.cadence.cadence
            # every label counts for the weekly figure (the tune set's too); only `mine` is scored
            every = (*labels(WEEKLY), *labels(TUNE), *labels(WEEKLY_FINAL), *labels(WEEKLY2))
            weekly_rows = [r for r in every if r.user == user]
            labelled = {copy_of(headers.get(r.message_id)): r for r in (*weekly_rows, *mine)}
            for row in mine:
                h = headers.get(row.message_id)
                if h is None or h.date is None:
                    print(f"  {user}: {row.message_id} not in the mailbox", file=sys.stderr)
                    drafted[row.message_id] = False
                    continue
                when = cadence.due_after(0, h.date) + timedelta(hours=1)
                found = _decide(engine, mailbox, when)
                drafted[row.message_id] = any(
                    isinstance(a, Due) and copy_of(headers.get(a.anchor_message_id)) == copy_of(h)
                    for x in found
                    for a in x.actions
                )
                mine_x = next(x for x in found if row.message_id in x.thread.message_ids)
                later = [
                    m
                    for m in mine_x.thread.messages
                    if m.date
                    and m.date > h.date
                    and m.kind == "normal"
                    and copy_of(m) != copy_of(h)
                ]
                if not drafted[row.message_id] and later:
                    # not waiting at draft time: they answered, or the user wrote again (then
                    # the thread waits on that later message, which is judged instead)
                    theirs = any(m.from_addr not in engine.user_addresses() for m in later)
                    apart["answered" if theirs else "wrote_again"] += 1
                    del drafted[row.message_id]
                    continue
                wrong = drafted[row.message_id] != (row.label == "expects")
                if wrong and row.label != "unclear" and row.split == "dev":  # never tune on test
                    last = mine_x.thread.messages[-1]
                    print(
                        f"  miss {row.split} {row.label:7} {row.path}: {mine_x.state}: "
                        f"{mine_x.reason[:140]} [{len(mine_x.thread.messages)} msgs, last "
                        f"{last.from_addr} {last.subject[:30]!r}]",
                        file=sys.stderr,
                    )
            user_addresses = engine.user_addresses()
            weeks = Counter(
                (m.date - timedelta(days=m.date.weekday())).date()
                for m in headers.values()
                if m.date and m.from_addr in user_addresses
            )
            for monday, _count in weeks.most_common(BUSY_WEEKS):
                start = datetime.combine(monday, datetime.min.time(), tzinfo=clock.now().tzinfo)
                end = start + timedelta(days=7)
                assessed = _decide(engine, mailbox, end)
                for x in assessed:  # left for the user to decide, when it would have been due
                    said = last_human(x.thread) if x.state == "unsure" else None
                    if said and said.date and start < cadence.due_after(0, said.date) <= end:
                        undecided.add(copy_of(said))
                for action in (a for x in assessed for a in x.actions):
                    if isinstance(action, Start) and start < action.next_due_at <= end:
                        key = copy_of(headers.get(action.anchor_message_id))
                        if key in counted:
                            continue
                        counted.add(key)
                        label = labelled.get(key)
                        weekly[label.label if label else "unlabelled"] += 1
                        if label is None:  # for the next round of labelling
                            print(
                                f"  unlabelled weekly nudge {user} {action.anchor_message_id}",
                                file=sys.stderr,
                            )
    finally:
        clock.set_now(None)
    pairs = [(r, drafted[r.message_id]) for r in mine if r.message_id in drafted]
    return {
        "pairs": pairs,
        "left_out": dict(apart),
        "weekly": {
            "weeks": BUSY_WEEKS,
            "nudges_per_week": round(sum(weekly.values()) / BUSY_WEEKS, 2),
            "labelled_no_per_week": round(weekly["no"] / BUSY_WEEKS, 2),
            "labelled_expects_per_week": round(weekly["expects"] / BUSY_WEEKS, 2),
            "unlabelled_per_week": round(weekly["unlabelled"] / BUSY_WEEKS, 2),
            "nudges": dict(weekly),
            "undecided_per_week": round(len(undecided) / BUSY_WEEKS, 2),
            # the unlabelled ones counted at the share of "no" among the labelled ones
            "unnecessary_per_week_estimated": round(
                sum(weekly.values())
                / BUSY_WEEKS
                * weekly["no"]
                / max(1, weekly["no"] + weekly["expects"] + weekly["unclear"]),
                2,
            ),
        },
    }


def replay(
    rows: list[Label], splits: tuple[str, ...], unsure_drafts: bool, users: list[str] | None = None
) -> dict[str, object]:
    """Precision and recall per split and per user, and the weekly nudge counts per user."""
    server = DovecotServer({})
    server.start()
    home = Path(tempfile.mkdtemp(prefix="eval-judgement-"))
    os.environ["INBOX_AGENT_HOME"] = str(home)
    keyring.set_keyring(MemoryKeyring())
    unsure = "draft" if unsure_drafts else "skip"
    per_user: dict[str, dict[str, object]] = {}
    pairs: list[tuple[Label, bool]] = []
    try:
        for user in users or sorted(USERS):
            print(f"replaying {user} …", file=sys.stderr)
            got = replay_user(server, user, rows, home, unsure)
            mine = got["pairs"]
            assert isinstance(mine, list)
            pairs.extend(mine)
            per_user[user] = {
                split: score((r, d) for r, d in mine if r.split == split) for split in splits
            }
            per_user[user]["weekly"] = got["weekly"]
            per_user[user]["left_out"] = got["left_out"]
            print(f"  {user}: {per_user[user]}", file=sys.stderr)
    finally:
        server.cleanup()
    out: dict[str, object] = {"mode": "replay", "unsure": unsure}
    for split in splits:
        out[split] = score((r, d) for r, d in pairs if r.split == split)
    out["weekly"] = weekly_summary(per_user)
    out["per_user"] = per_user
    return out


def weekly_summary(per_user: dict[str, dict[str, object]]) -> dict[str, object]:
    """The nudges of the busiest weeks for all users together: how many a week, and of the
    labelled ones the share that waited for an answer (what a person gets in a busy week)."""
    total = Counter[str]()
    undecided = 0.0
    for got in per_user.values():
        weekly = got["weekly"]
        assert isinstance(weekly, dict)
        total.update(weekly["nudges"])
        undecided += weekly["undecided_per_week"]
    clear = total["expects"] + total["no"]
    return {
        "undecided_per_week_per_user": round(undecided / max(1, len(per_user)), 2),
        "nudges_per_week": round(sum(total.values()) / BUSY_WEEKS, 2),
        "unnecessary_per_week": round(total["no"] / BUSY_WEEKS, 2),
        "unnecessary_per_week_per_user": round(total["no"] / BUSY_WEEKS / max(1, len(per_user)), 2),
        "precision": round(total["expects"] / clear, 3) if clear else None,
        "counts": dict(total),
    }
