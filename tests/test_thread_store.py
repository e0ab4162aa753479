"""The threads the store keeps are the threads `build_threads` makes of every stored message.

Random mailboxes (references, missing parents, replies without threading headers and the
subject rule, Gmail thread ids, copies in two folders, drafts) are stored in random batches,
each threaded as it arrives, then some messages are forgotten; the store's partition must equal
`build_threads` over the rows left. A late link that joins two threads rewrites one thread's
ids, not the mailbox (counted through SQLite's trace callback)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inbox_agent.engine import threading
from inbox_agent.mail.headers import Header
from inbox_agent.store import Store
from inbox_agent.tracker import build_threads

PEOPLE = ("alice@x", "bob@x", "carol@x")
SUBJECTS = ("Contract", "Lunch", "Contract", "Q3 plan")
T0 = datetime(2026, 1, 1, tzinfo=UTC)


@st.composite
def mailboxes(draw: st.DrawFn) -> list[tuple[Header, bool]]:
    n = draw(st.integers(1, 18))
    out: list[tuple[Header, bool]] = []
    for i in range(n):
        earlier = [f"<m{j}@x>" for j in range(i)] + ["<gone@x>"]
        refs = tuple(draw(st.lists(st.sampled_from(earlier), max_size=2, unique=True)))
        subject = draw(st.sampled_from(SUBJECTS))
        if draw(st.booleans()):
            subject = f"Re: {subject}"
        sender, to = draw(st.sampled_from(PEOPLE)), draw(st.sampled_from(PEOPLE))
        when = T0 + timedelta(days=draw(st.integers(0, 90)), seconds=i)
        hint = draw(st.sampled_from(["", "", "", "g1", "g2"]))
        header = Header(
            f"<m{i}@x>", refs[-1:], refs, subject, sender, "", (to,), (), (), when, "normal", ""
        )
        out.append(
            (
                replace(header, thread_hint=hint),
                draw(st.booleans()),
            )
        )
    return out


def _store(store: Store, items: list[tuple[int, Header, list[str], int]], folder: str) -> None:
    with store.tx():
        store.add_messages("main", folder, 1, items)
    threading.thread_new(store, "main")


def _persisted(store: Store) -> set[frozenset[str]]:
    rows = store.thread_rows("main", None)
    return {frozenset(h.message_id for h in members) for members in rows.values()}


def _expected(store: Store) -> set[frozenset[str]]:
    headers = [m.header for m in store.messages("main") if "\\Draft" not in m.flags]
    return {frozenset(t.message_ids) for t in build_threads(headers)}


@settings(max_examples=60, deadline=None)
@given(
    mailbox=mailboxes(),
    cuts=st.lists(st.integers(1, 6), min_size=1, max_size=6),
    drafts=st.sets(st.integers(0, 17), max_size=3),
    forget=st.sets(st.integers(1, 18), max_size=4),
)
def test_the_kept_threads_are_the_threads_of_every_stored_message(
    mailbox: list[tuple[Header, bool]], cuts: list[int], drafts: set[int], forget: set[int]
) -> None:
    store = Store(":memory:")
    at = 0
    items: list[tuple[int, Header, list[str], int]] = []
    copies: list[tuple[int, Header, list[str], int]] = []
    for i, (header, copied) in enumerate(mailbox):
        uid = i + 1
        flags = ["\\Draft"] if i in drafts else []
        items.append((uid, header, flags, 1))
        if copied:
            copies.append((uid, header, [], 1))
    for cut in cuts * 4:
        if at >= len(items):
            break
        _store(store, items[at : at + cut], "INBOX")
        at += cut
    _store(store, items[at:], "INBOX")
    _store(store, copies, "Sent")
    assert _persisted(store) == _expected(store)

    with store.tx():
        store.forget_uids("main", "INBOX", sorted(forget))
    threading.thread_new(store, "main")
    assert _persisted(store) == _expected(store)


def test_a_late_link_joining_two_threads_rewrites_one_threads_ids() -> None:
    store = Store(":memory:")

    def header(i: int, refs: tuple[str, ...], subject: str) -> Header:
        when = T0 + timedelta(days=i)
        return Header(
            f"<{i}@x>", refs[-1:], refs, subject, "a@x", "", ("b@x",), (), (), when, "normal", ""
        )

    big = [header(i, (f"<{i - 1}@x>",) if i else (), "Big") for i in range(50)]
    small = [header(100 + i, (f"<{99 + i}@x>",) if i else (), "Small") for i in range(3)]
    _store(store, [(i + 1, h, [], 1) for i, h in enumerate(big + small)], "INBOX")
    assert len(_persisted(store)) == 2
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    threading.link(store, "main", "<101@x>", "<7@x>")  # a bounce names a message of the other
    store.conn.set_trace_callback(None)
    assert len(_persisted(store)) == 1
    merges = [s for s in statements if s.startswith("UPDATE thread_ids SET thread")]
    assert len(merges) == 1
    assert not [s for s in statements if "FROM messages" in s and "message_id IN" not in s]


def test_a_stored_reply_without_threading_headers_joins_a_later_batch_that_has_them() -> None:
    """The batch's messages all have threading headers, so only stored replies without them
    are looked up for its subject: the one stored earlier, dated after, still joins."""
    store = Store(":memory:")

    def header(mid: str, refs: tuple[str, ...], subject: str, sender: str, day: int) -> Header:
        to = "bob@x" if sender == "alice@x" else "alice@x"
        when = T0 + timedelta(days=day)
        return Header(mid, refs[-1:], refs, subject, sender, "", (to,), (), (), when, "normal", "")

    reply = header("<reply@x>", (), "Re: Contract", "bob@x", 3)  # Outlook: no References
    _store(store, [(1, reply, [], 1)], "INBOX")
    sent = header("<sent@x>", ("<older@x>",), "Contract", "alice@x", 1)  # synced later
    _store(store, [(1, sent, [], 1)], "Sent")
    assert _persisted(store) == _expected(store) == {frozenset({"<reply@x>", "<sent@x>"})}


@settings(max_examples=4, deadline=None)
@given(mailbox=mailboxes(), cut=st.integers(1, 5))
def test_threading_behind_a_sync_in_a_process_of_its_own_makes_the_same_threads(
    mailbox: list[tuple[Header, bool]], cut: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("behind") / "store.sqlite3"
    store = Store(path)
    behind = threading.Behind(store, path, "main")
    behind.start()
    items = [(i + 1, h, [], 1) for i, (h, _copied) in enumerate(mailbox)]
    for at in range(0, len(items), cut):  # the sync stores batch after batch meanwhile
        with store.tx():
            store.add_messages("main", "INBOX", 1, items[at : at + cut])
    touched = behind.finish()
    assert touched == {h.message_id for h, _copied in mailbox}  # it threaded all it was given
    assert threading.thread_new(store, "main") == set()
    assert _persisted(store) == _expected(store)
    store.close()


def test_the_threading_process_imports_the_threading_and_the_store_only() -> None:
    """It starts beside a long sync and takes CPU from it while it starts: importing the whole
    engine (the drafter, the voice) doubled its start-up."""
    probe = (
        "import sys, inbox_agent.engine.behind; "
        "print(sorted(m for m in sys.modules if m.startswith(('inbox_agent.drafter', "
        "'inbox_agent.voice', 'inbox_agent.sender', 'inbox_agent.engine.account'))))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_an_account_looks_once_past_the_rows_other_accounts_stored_after_its_own() -> None:
    store = Store(":memory:")

    def items(n: int, who: str) -> list[tuple[int, Header, list[str], int]]:
        when = T0 + timedelta(days=1)
        return [
            (
                i + 1,
                Header(f"<{who}{i}@x>", (), (), "s", "a@x", "", (), (), (), when, "normal", ""),
                [],
                1,
            )
            for i in range(n)
        ]

    with store.tx():
        store.add_messages("main", "INBOX", 1, items(3, "main"))
    threading.thread_new(store, "main")
    with store.tx():  # another account's mail, stored after this one's
        store.add_messages("other", "INBOX", 1, items(50, "other"))
    assert threading.thread_new(store, "main") == set()  # walks the other's rows once
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    threading.thread_new(store, "main")
    store.conn.set_trace_callback(None)
    assert [s for s in statements if "FROM messages" in s] == ["SELECT MAX(id) FROM messages"]


def test_a_message_stored_after_the_newest_row_was_forgotten_is_threaded(tmp_path: Path) -> None:
    """Row ids are never handed out twice: the threading cursor (and every 'rows since' reader)
    takes a row at or below it as seen, so a new message given the id of an expunged newest one
    would never join its thread, and a reply to a followed thread would go unseen."""
    when = datetime(2026, 11, 2, 9, tzinfo=UTC)

    def h(mid: str, parent: str = "") -> Header:
        refs = (parent,) if parent else ()
        return Header(mid, refs, refs, "Q", "a@x", "", ("b@x",), (), (), when, "normal", "")

    store = Store(tmp_path / "s.db")
    with store.tx():
        store.add_messages("main", "INBOX", 1, [(1, h("<q@x>"), (), 1), (2, h("<other@x>"), (), 1)])
    threading.thread_new(store, "main")
    with store.tx():
        store.forget_uids("main", "INBOX", [2])  # the newest row, expunged
    threading.thread_new(store, "main")
    with store.tx():
        store.add_messages("main", "INBOX", 1, [(3, h("<answer@x>", "<q@x>"), (), 1)])
    threading.thread_new(store, "main")
    numbers = store.thread_numbers("main", ["<q@x>", "<answer@x>"])
    assert numbers.get("<answer@x>") is not None and numbers["<answer@x>"] == numbers["<q@x>"]


def test_a_batch_worked_out_before_another_writer_threaded_is_worked_out_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The threading of a batch is worked out before the write lock is taken (the sync beside
    it waits for that lock); when the account's threads were written in between (a bounce's
    link merging the thread its reply joins, here from another connection), it is worked out
    again under the lock instead of writing to a thread that is gone."""
    path = tmp_path / "s.db"
    store, other = Store(path), Store(path)

    def h(mid: str, parent: str = "", subject: str = "Q") -> Header:
        refs = (parent,) if parent else ()
        when = T0 + timedelta(days=len(mid))
        return Header(mid, refs, refs, subject, "a@x", "", ("b@x",), (), (), when, "normal", "")

    with store.tx():
        store.add_messages("main", "INBOX", 1, [(1, h("<a@x>", subject="A"), (), 1)])
        store.add_messages("main", "INBOX", 1, [(2, h("<b@x>", subject="B"), (), 1)])
    threading.thread_new(store, "main")
    with store.tx():
        store.add_messages("main", "INBOX", 1, [(3, h("<reply@x>", "<b@x>", "B"), (), 1)])
    found = threading._found
    calls = 0

    def meanwhile(*args: object) -> object:
        nonlocal calls
        calls += bool(args[2])  # the batch's, not the link's own
        out = found(*args)  # type: ignore[arg-type]
        if (
            calls == 1 and args[2]
        ):  # after the first working out, before the lock: <b@x>'s thread merges
            threading.link(other, "main", "<a@x>", "<b@x>")
        return out

    monkeypatch.setattr(threading, "_found", meanwhile)
    threading.thread_new(store, "main")
    assert calls == 2  # worked out again under the lock
    assert _persisted(store) == {frozenset({"<a@x>", "<b@x>", "<reply@x>"})}
    store.close(), other.close()
