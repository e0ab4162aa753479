"""One contract for every `Mailbox`: the in-memory one, the embedded demo server (pymap), a real
Dovecot and a real Cyrus (as Fastmail runs it: separator `.`, special-use flags in lower case)
must give the same answers (vdirsyncer's `StorageTests` is the model).

Each test gets a fresh, empty account with INBOX, Sent and Drafts, a `Mailbox` session on it, and
`other`: what another client of the same account does (file a message, set a flag), through a
connection of its own where there is a server.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from imapclient import IMAPClient

from inbox_agent.errors import FolderMissing
from inbox_agent.sync import imap
from inbox_agent.sync.imap import ImapMailbox
from inbox_agent.sync.mailbox import Mailbox
from inbox_agent.sync.memory import MemoryMailbox
from tests.infra.mail import MailUser

WHEN = datetime(2026, 11, 24, 9, 14, tzinfo=UTC)


@dataclass
class Account:
    """A fresh account on one backend."""

    open: Callable[[], Any]  # a context manager yielding a Mailbox session
    add_flag: Callable[[str, int, str], None]  # another client sets a flag on one message
    name: str


def message(
    mid: str, subject: str = "Lunch?", extra: str = "", body: str = "Are you free?"
) -> bytes:
    text = (
        f"Message-ID: <{mid}@example.test>\r\nFrom: Alice <alice@example.test>\r\n"
        f"To: Bob <bob@example.test>\r\nSubject: {subject}\r\n"
        f"Date: {format_datetime(WHEN)}\r\n{extra}X-Unrelated: not a sync field\r\n"
        f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    return text.encode()


@contextmanager
def _imap(port: int, login: str, password: str) -> Iterator[ImapMailbox]:
    client = IMAPClient("127.0.0.1", port=port, ssl=False, timeout=10)
    client.login(login, password)
    mailbox = ImapMailbox(client)
    try:
        yield mailbox
    finally:
        mailbox.logout()


def _imap_flagger(port: int, login: str, password: str) -> Callable[[str, int, str], None]:
    def add_flag(folder: str, uid: int, flag: str) -> None:
        with IMAPClient("127.0.0.1", port=port, ssl=False, timeout=10) as client:
            client.login(login, password)
            client.select_folder(folder)
            client.add_flags([uid], [flag.encode()])

    return add_flag


@pytest.fixture(params=["memory", "pymap", "dovecot", "cyrus"])
def account(request: pytest.FixtureRequest) -> Iterator[Account]:
    if request.param == "memory":
        memory = MemoryMailbox()
        memory.create_folder("Sent", "\\Sent")
        memory.create_folder("Drafts", "\\Drafts")

        @contextmanager
        def opened() -> Iterator[Mailbox]:
            yield memory

        def add_flag(folder: str, uid: int, flag: str) -> None:
            current = memory.fetch_raw(folder, uid)
            assert current is not None
            memory.set_flags(folder, uid, {*current.flags, flag})

        yield Account(opened, add_flag, "memory")
    elif request.param == "pymap":
        from inbox_agent.demo.embedded import EmbeddedMailServer

        with EmbeddedMailServer({"alice": "alice-pw"}) as server:
            yield Account(
                lambda: _imap(server.imap_port, "alice", "alice-pw"),
                _imap_flagger(server.imap_port, "alice", "alice-pw"),
                "pymap",
            )
    else:
        server = "new_user" if request.param == "dovecot" else "cyrus_user"
        new_user: Callable[[str], MailUser] = request.getfixturevalue(server)
        port = request.getfixturevalue(request.param).imap_port
        user = new_user("alice")
        yield Account(
            lambda: _imap(port, user.login, user.password),
            _imap_flagger(port, user.login, user.password),
            request.param,
        )


def test_the_special_folders_are_listed_with_their_attributes(account: Account) -> None:
    with account.open() as box:
        listed = {f.name: {a.lower() for a in f.attributes} for f in box.list_folders()}
    assert "INBOX" in listed  # attributes are case-insensitive (RFC 3501): Cyrus says \sent
    assert "\\sent" in listed["Sent"] and "\\drafts" in listed["Drafts"]


def test_append_gives_growing_uids_and_status_counts_them(account: Account) -> None:
    with account.open() as box:
        before = box.status("Drafts")
        first = box.append("Drafts", message("a"), ["\\Draft"], WHEN)
        second = box.append("Drafts", message("b"), [], WHEN)
        after = box.status("Drafts")
        assert first is not None and second is not None and first < second  # UIDPLUS everywhere
        assert after.uidvalidity == before.uidvalidity
        assert after.messages == before.messages + 2 and after.uidnext == second + 1
        assert box.uids("Drafts") == [first, second]


def test_uids_from_start_leave_out_older_ones_even_past_the_end(account: Account) -> None:
    """`n:*` matches the highest UID even when it is below n (RFC 3501): that one is not new."""
    with account.open() as box:
        uids = [box.append("INBOX", message(str(i)), [], WHEN) for i in range(3)]
        assert box.uids("INBOX", uids[1]) == uids[1:]
        assert box.uids("INBOX", box.status("INBOX").uidnext) == []


def test_uids_of_a_big_folder_come_a_span_at_a_time_all_of_them(
    account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One SEARCH of a folder of 140,000 messages answers in a line longer than imaplib reads:
    the UIDs are asked for a span at a time (here 2), and every one comes back once, from any
    start, past the end too; a deleted one leaves a gap."""
    monkeypatch.setattr(imap, "UID_SPAN", 2)
    with account.open() as box:
        assert box.uids("INBOX") == []
        uids = [box.append("INBOX", message(str(i)), [], WHEN) for i in range(5)]
        assert all(u is not None for u in uids)
        assert box.uids("INBOX") == uids
        uidnext = box.status("INBOX").uidnext
        for i in range(5):
            assert box.uids("INBOX", uids[i]) == uids[i:]
            # with the UIDNEXT of a STATUS, or one taken before more mail came
            assert box.uids("INBOX", uids[i], uidnext) == uids[i:]
            assert box.uids("INBOX", uids[i], uids[i] + 1) == uids[i:]
        assert box.uids("INBOX", uidnext) == [] and box.uids("INBOX", uidnext, uidnext) == []
        box.delete("INBOX", uids[2])
        assert box.uids("INBOX") == [u for u in uids if u != uids[2]]
        assert box.uids("INBOX", 1, uidnext) == [u for u in uids if u != uids[2]]


def test_headers_carry_the_sync_fields_flags_size_and_arrival(account: Account) -> None:
    raw = message("h", extra="In-Reply-To: <x@example.test>\r\n")
    with account.open() as box:
        uid = box.append("INBOX", raw, ["\\Seen", "$NoFollowUp"], WHEN)
        assert uid is not None
        fetched = box.fetch_headers("INBOX", [uid, uid + 50])
    assert list(fetched) == [uid]  # the UID that is not there is left out
    got = fetched[uid]
    assert b"Message-ID: <h@example.test>" in got.header and b"In-Reply-To:" in got.header
    assert b"Subject: Lunch?" in got.header and b"X-Unrelated" not in got.header
    assert {"\\Seen", "$NoFollowUp"} <= set(got.flags)
    assert got.size == len(raw)
    assert got.internaldate is not None
    assert abs(got.internaldate.astimezone(UTC) - WHEN) < timedelta(seconds=1)


def test_bodies_are_cut_at_max_bytes_and_not_marked_seen(account: Account) -> None:
    raw = message("b", body="x" * 5000)
    with account.open() as box:
        uid = box.append("INBOX", raw, [], WHEN)
        assert uid is not None
        assert box.fetch_bodies("INBOX", [uid], max_bytes=100) == {uid: raw[:100]}
        assert box.fetch_bodies("INBOX", [uid]) == {uid: raw}
        assert box.fetch_bodies("INBOX", []) == {}
        whole = box.fetch_raw("INBOX", uid)
        assert whole is not None and whole.data == raw
        assert "\\Seen" not in whole.flags
        assert box.fetch_raw("INBOX", uid + 50) is None


def test_header_search_is_a_case_insensitive_substring(account: Account) -> None:
    with account.open() as box:
        one = box.append("Drafts", message("one", extra="X-Inbox-Agent-Id: abc123\r\n"), [], WHEN)
        box.append("Drafts", message("two", subject="Other"), [], WHEN)
        assert box.search("Drafts", "Message-ID", "<one@example.test>") == [one]
        assert box.search("Drafts", "x-inbox-agent-id", "ABC123") == [one]
        assert box.search("Drafts", "Subject", "lunch") == [one]
        assert box.search("Drafts", "Message-ID", "") == []
        assert box.search("Drafts", "Message-ID", "<none@example.test>") == []


def test_delete_removes_that_message_only(account: Account) -> None:
    """With UIDPLUS a message the user marked deleted in their client stays until they purge."""
    with account.open() as box:
        mine = box.append("Drafts", message("mine"), ["\\Draft"], WHEN)
        theirs = box.append("Drafts", message("theirs"), ["\\Draft"], WHEN)
        assert mine is not None and theirs is not None
    account.add_flag("Drafts", theirs, "\\Deleted")
    with account.open() as box:
        box.delete("Drafts", mine)
        assert box.uids("Drafts") == [theirs]
        kept = box.fetch_raw("Drafts", theirs)
        assert kept is not None and "\\Deleted" in kept.flags


def test_flag_changes_since_a_modseq_name_the_changed_message(account: Account) -> None:
    with account.open() as box:
        if "CONDSTORE" not in box.capabilities():
            pytest.skip(f"{account.name} has no CONDSTORE")
        uid = box.append("INBOX", message("f"), [], WHEN)
        other = box.append("INBOX", message("g"), [], WHEN)
        assert uid is not None and other is not None
        since = box.status("INBOX").highestmodseq
        assert since is not None
    account.add_flag("INBOX", uid, "$NoFollowUp")
    with account.open() as box:
        changed = box.flag_changes("INBOX", since)
        # a superset is allowed (Dovecot reports a message whose MODSEQ it set lazily), and
        # harmless: each UID comes with the flags it has now
        assert uid in changed and "$NoFollowUp" in changed[uid]
        assert "$NoFollowUp" not in changed.get(other, ())
        assert (box.status("INBOX").highestmodseq or 0) > since


def test_flags_from_a_uid_are_what_another_client_set(account: Account) -> None:
    # what sync reads where there is no CONDSTORE (pymap): the flags as they are now
    with account.open() as box:
        old = box.append("Sent", message("old"), ["\\Seen"], WHEN)
        new = box.append("Sent", message("new"), ["\\Seen"], WHEN)
        assert old is not None and new is not None
    account.add_flag("Sent", new, "$NoFollowUp")
    with account.open() as box:
        assert set(box.flags("Sent", new)) == {new}
        assert set(box.flags("Sent", new)[new]) - {"\\Recent"} == {"\\Seen", "$NoFollowUp"}
        assert set(box.flags("Sent")) == {old, new}
        assert box.flags("Sent", new + 1) == {}  # `new+1:*` names the newest: not asked for


def test_a_folder_that_is_not_there_is_folder_missing(account: Account) -> None:
    with account.open() as box:
        for call in (
            lambda: box.status("Nowhere"),
            lambda: box.uids("Nowhere"),
            lambda: box.fetch_raw("Nowhere", 1),
        ):
            with pytest.raises(FolderMissing):
                call()
        assert box.uids("INBOX") == []  # the session goes on


def test_idle_wakes_on_new_mail_and_times_out_without(account: Account) -> None:
    with account.open() as box:
        if "IDLE" not in box.capabilities():
            pytest.skip(f"{account.name} has no IDLE")
        started = time.monotonic()
        assert box.idle("INBOX", 0.5) is False  # type: ignore[attr-defined]
        assert time.monotonic() - started < 5

        woke = threading.Event()

        def deliver() -> None:
            # a message filed before the IDLE command reached the server is not news to every
            # server (pymap reports only what comes after): file one every half second until
            # the IDLE wakes, at most 20
            with account.open() as other:
                for n in range(20):
                    if woke.wait(0.5):
                        return
                    other.append("INBOX", message(f"new{n}"), [], WHEN)

        thread = threading.Thread(target=deliver)
        thread.start()
        try:
            assert box.idle("INBOX", 10) is True  # type: ignore[attr-defined]
        finally:
            woke.set()
            thread.join(15)
