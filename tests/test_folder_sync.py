"""Folder sync as plan then execute: the plan's rules as properties, and the whole sync against a
mailbox model. After any run of deliveries, expunges, flag changes and UIDVALIDITY resets, a sync
leaves the store holding exactly what the mailbox holds, and a poll with nothing new costs one
STATUS and nothing else.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from inbox_agent.store.db import Store
from inbox_agent.store.records import FolderRow
from inbox_agent.sync.folder_sync import EMPTY_GUARD, FLAG_WINDOW, plan_folder, sync_folder
from inbox_agent.sync.mailbox import FolderStatus
from inbox_agent.sync.memory import MemoryMailbox
from tests.infra.faults import Faults

STAMP = "2026-11-24T09:00:00+00:00"
statuses = st.builds(
    FolderStatus,
    uidvalidity=st.integers(1, 3),
    uidnext=st.integers(1, 60),
    messages=st.integers(0, 60),
    highestmodseq=st.none() | st.integers(1, 5),
)
known_rows = st.none() | st.builds(
    FolderRow,
    account=st.just("main"),
    name=st.just("INBOX"),
    role=st.just("inbox"),
    uidvalidity=st.integers(1, 3),
    uidnext=st.integers(1, 60),
    highestmodseq=st.none() | st.integers(1, 5),
    synced_at=st.just(datetime(2026, 11, 24, tzinfo=UTC)),
)


@given(known_rows, st.integers(0, 60), statuses)
def test_the_plan_follows_the_rules(
    known: FolderRow | None, count: int, status: FolderStatus
) -> None:
    plan = plan_folder(known, count, status)
    reset = known is not None and known.uidvalidity != status.uidvalidity
    assert plan.reset == (reset and plan.fetch)
    if known is None:
        assert plan.fetch and plan.start == 1 and not plan.suspect
    if plan.suspect:  # only a folder we knew well, same UIDVALIDITY, now reporting nothing
        assert not plan.fetch and status.messages == 0 and count > EMPTY_GUARD and not reset
    if plan.fetch and not plan.reset and known is not None:
        assert plan.start == known.uidnext
    if reset:
        assert plan.fetch and plan.start == 1 and plan.known_count == 0
    if (
        known is not None
        and not reset
        and (known.uidnext, count) == (status.uidnext, status.messages)
    ) and (status.highestmodseq in (None, known.highestmodseq) or known.highestmodseq is None):
        assert not plan.fetch  # nothing moved: nothing is read
    if plan.flags_since is not None:
        assert known is not None and plan.flags_since == known.highestmodseq != status.highestmodseq
    # without CONDSTORE a folder read before has the flags of its newest messages read again,
    # a bounded window; with it, or on a first read, a reset or an empty folder, never
    reread = status.highestmodseq is None and known is not None and not reset
    if reread and status.messages and not plan.suspect:
        assert plan.flags_from is not None
        assert plan.flags_from >= 1 and status.uidnext - plan.flags_from <= FLAG_WINDOW
    else:
        assert plan.flags_from is None


def _message(n: int) -> bytes:
    return (
        f"Message-ID: <m{n}@example.test>\r\nFrom: a@example.test\r\nTo: b@example.test\r\n"
        f"Subject: n{n}\r\nDate: Tue, 24 Nov 2026 09:00:00 +0000\r\n\r\nbody\r\n"
    ).encode()


operations = st.lists(
    st.one_of(
        st.tuples(st.just("deliver"), st.integers(0, 3)),
        st.tuples(st.just("expunge"), st.integers(0, 30)),
        st.tuples(st.just("flag"), st.integers(0, 30)),
        st.tuples(st.just("renumber"), st.just(0)),
        st.tuples(st.just("sync"), st.just(0)),
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(operations)
def test_a_sync_leaves_the_store_holding_what_the_mailbox_holds(ops: list[tuple[str, int]]) -> None:
    mailbox = MemoryMailbox()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "agent.db")
        made = 0
        for op, n in ops:
            present = mailbox.uids("INBOX")
            if op == "deliver":
                for _ in range(n + 1):
                    mailbox.deliver("INBOX", _message(made))
                    made += 1
            elif op == "expunge" and present:
                mailbox.expunge("INBOX", present[n % len(present)])
            elif op == "flag" and present:
                mailbox.set_flags("INBOX", present[n % len(present)], {"$NoFollowUp"})
            elif op == "renumber":
                mailbox.renumber("INBOX")
            elif op == "sync":
                sync_folder(mailbox, store, "main", "INBOX", "inbox", STAMP)
        sync_folder(mailbox, store, "main", "INBOX", "inbox", STAMP)
        stored = {m.uid: set(m.flags) for m in store.messages("main")}
        expected = {}
        for uid in mailbox.uids("INBOX"):
            raw = mailbox.fetch_raw("INBOX", uid)
            assert raw is not None
            expected[uid] = set(raw.flags)
        assert stored == expected
        # and a poll with nothing new is one STATUS
        faults = Faults()
        assert sync_folder(faults.wrap(mailbox), store, "main", "INBOX", "inbox", STAMP).new == 0
        assert faults.calls == ["status"]
        store.conn.close()
