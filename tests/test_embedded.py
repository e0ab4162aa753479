"""The embedded demo mail server, checked with the same clients the product uses: imapclient for
every IMAP command the agent sends, aiosmtplib for submission."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP

import aiosmtplib
import pytest
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, LoginError

from inbox_agent.demo.embedded import EmbeddedMailServer

USERS = {"alice": "alice-pw", "bob": "bob-pw"}


@pytest.fixture
def server() -> Iterator[EmbeddedMailServer]:
    with EmbeddedMailServer(USERS) as srv:
        yield srv


def client(server: EmbeddedMailServer, user: str = "alice") -> IMAPClient:
    imap = IMAPClient(server.host, port=server.imap_port, ssl=False, timeout=5)
    imap.login(user, USERS[user.split("@")[0]])
    return imap


def message(message_id: str, subject: str = "Lunch?", to: str = "bob@example.test") -> bytes:
    msg = EmailMessage()
    msg["From"] = "Alice <alice@example.test>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = "Mon, 03 Jun 2024 09:30:00 +0000"
    msg["Message-ID"] = message_id
    msg.set_content("Shall we meet on Thursday?\n")
    return msg.as_bytes(policy=SMTP)


def test_starts_and_stops_fast_and_leaves_no_thread() -> None:
    before = set(threading.enumerate())
    started = time.monotonic()
    srv = EmbeddedMailServer(USERS).start()
    startup = time.monotonic() - started
    assert srv.host == "127.0.0.1"
    assert 0 < srv.imap_port != srv.smtp_port > 0
    imap = client(srv)  # an open session must not hold up stop()
    started = time.monotonic()
    srv.stop()
    srv.stop()  # idempotent
    stopping = time.monotonic() - started
    assert startup < 1.0 and stopping < 1.0, (startup, stopping)
    # threads that other tests left finishing may end meanwhile; none may be new
    assert set(threading.enumerate()) - before == set()
    with pytest.raises((IMAPClientAbortError, OSError)):  # the server hung up on it
        imap.noop()


def test_logins_by_local_part_or_address_plain_and_authenticate(
    server: EmbeddedMailServer,
) -> None:
    caps = client(server).capabilities()
    for cap in (b"IDLE", b"UIDPLUS", b"MOVE", b"MULTIAPPEND"):
        assert cap in caps
    assert b"CONDSTORE" not in caps and b"STARTTLS" not in caps
    assert client(server, "alice@example.test").select_folder("INBOX")[b"EXISTS"] == 0
    imap = IMAPClient(server.host, port=server.imap_port, ssl=False, timeout=5)
    imap.plain_login("alice@example.test", "alice-pw")  # AUTHENTICATE PLAIN
    imap.logout()
    imap = IMAPClient(server.host, port=server.imap_port, ssl=False, timeout=5)
    with pytest.raises(LoginError):
        imap.login("alice", "wrong")
    with pytest.raises(LoginError):
        imap.login("alice@elsewhere.test", "alice-pw")


def test_folders_carry_special_use_flags_and_are_subscribed(server: EmbeddedMailServer) -> None:
    imap = client(server)
    listed = {name: flags for flags, _sep, name in imap.list_folders()}
    assert set(listed) == {"INBOX", "Drafts", "Sent", "Trash", "Archive"}
    assert b"\\Drafts" in listed["Drafts"] and b"\\Sent" in listed["Sent"]
    assert b"\\Trash" in listed["Trash"]
    assert {name for _f, _s, name in imap.list_sub_folders()} == set(listed)


def test_appended_message_is_fully_readable(server: EmbeddedMailServer) -> None:
    when = datetime(2024, 6, 3, 9, 31, tzinfo=UTC)
    raw = message("<lunch-1@example.test>")
    server.append("alice", "Sent", raw, ["\\Seen"], when)
    server.append("alice@example.test", "Sent", message("<other@example.test>", "Other"))
    imap = client(server)
    imap.normalise_times = False  # aware datetimes, as the server sent them
    status = imap.folder_status("Sent", [b"MESSAGES", b"UIDNEXT", b"UIDVALIDITY"])
    assert status[b"MESSAGES"] == 2 and status[b"UIDNEXT"] == 103 and status[b"UIDVALIDITY"] > 0
    assert imap.select_folder("Sent", readonly=True)[b"EXISTS"] == 2  # EXAMINE
    assert imap.search(["ALL"]) == [101, 102]  # UID SEARCH; pymap's UIDs start at 101
    assert imap.search(["HEADER", "Message-ID", "<lunch-1@example.test>"]) == [101]
    fields = "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID SUBJECT)]"
    data = imap.fetch([101], [fields, "INTERNALDATE", "FLAGS", "RFC822.SIZE", "BODY.PEEK[]"])[101]
    assert data[b"BODY[HEADER.FIELDS (MESSAGE-ID SUBJECT)]"] == (
        b"Subject: Lunch?\r\nMessage-ID: <lunch-1@example.test>\r\n\r\n"
    )
    assert data[b"INTERNALDATE"] == when
    assert data[b"FLAGS"] == (b"\\Seen",)
    assert data[b"RFC822.SIZE"] == len(raw) == len(data[b"BODY[]"])
    assert data[b"BODY[]"] == raw
    with pytest.raises(KeyError):
        server.append("alice", "Nowhere", raw)
    with pytest.raises(KeyError):
        server.append("carol", "INBOX", raw)


def test_draft_append_delete_and_expunge(server: EmbeddedMailServer) -> None:
    imap = client(server)
    reply = imap.append("Drafts", message("<nudge@example.test>"), [b"\\Draft"])
    assert b"APPENDUID" in reply  # UIDPLUS: the new draft's UID comes back
    uid = int(reply.split(b"]")[0].split()[-1])
    keep = int(imap.append("Drafts", message("<keep@example.test>")).split(b"]")[0].split()[-1])
    imap.select_folder("Drafts")
    assert b"\\Draft" in imap.get_flags([uid])[uid]  # with \Recent, as pymap marks APPENDs
    imap.add_flags([uid, keep], [b"\\Deleted"])
    imap.uid_expunge([uid])  # only that UID goes, though `keep` is marked too
    assert imap.search(["ALL"]) == [keep]
    imap.expunge()
    assert imap.search(["ALL"]) == []
    assert imap.folder_status("Drafts", [b"MESSAGES"])[b"MESSAGES"] == 0


def test_idle_sees_a_server_side_append(server: EmbeddedMailServer) -> None:
    imap = client(server)
    imap.select_folder("INBOX")
    imap.idle()
    server.append("alice", "INBOX", message("<pushed@example.test>"))
    # let the whole push (EXISTS, then FETCH) arrive: imapclient's idle_check reads whatever is
    # buffered without blocking, and a FETCH line cut in half by a busy machine aborts it
    time.sleep(0.5)
    responses = imap.idle_check(timeout=5)
    imap.idle_done()
    assert (1, b"EXISTS") in responses


def test_smtp_delivers_locally_keeps_outbound_and_refuses_unknown_users(
    server: EmbeddedMailServer,
) -> None:
    async def submit(raw: bytes, rcpts: list[str], user: str = "alice@example.test") -> None:
        await aiosmtplib.send(
            raw,
            sender="alice@example.test",
            recipients=rcpts,
            hostname=server.host,
            port=server.smtp_port,
            username=user,
            password="alice-pw",
            start_tls=False,
            timeout=5,
        )

    raw = message("<to-bob@example.test>")
    asyncio.run(submit(raw, ["bob@example.test", "dan@far.test"], user="alice"))
    bob = client(server, "bob")
    bob.select_folder("INBOX")
    [uid] = bob.search(["HEADER", "Message-ID", "<to-bob@example.test>"])
    assert bob.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"] == raw
    assert server.outbound == [("alice@example.test", ["dan@far.test"], raw)]
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
        asyncio.run(submit(raw, ["carol@example.test"]))
    with pytest.raises(aiosmtplib.SMTPAuthenticationError):
        asyncio.run(submit(raw, ["bob@example.test"], user="mallory"))
