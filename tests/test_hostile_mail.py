"""Bad input costs that header, never the message or the cycle (issue 13): real odd mail from six
parsers' test suites (../shared/corpus/malformed, read where it lies, never copied; where it is
absent, the generated messages run alone) and generated hostile messages, each in INBOX and in
Sent of a real Dovecot user. `sync`, `threads` and `run --once` end with no crash, every message
the server holds is in the store, each bad header is logged once (a second sync logs nothing),
and a hostile reply still ends its sequence while a quiet thread next to it is still nudged.

On Dovecot only: it keeps what it is given, while Cyrus refuses a bare CR, LF or NUL in a header
at APPEND ("Message contains invalid header"), so such mail never reaches a Cyrus mailbox.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from inbox_agent import clock, paths
from inbox_agent.cadence import add_business_days
from inbox_agent.mail import headers
from inbox_agent.store import Store
from tests.test_story import run, write_account

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "malformed"
MAX_CORPUS_BYTES = 2_000_000  # per message (the corpus keeps none bigger)


def _corpus() -> list[bytes]:
    """The corpus's messages, or none where it is absent (the generated ones still run)."""
    if not CORPUS.is_dir():
        return []
    files = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.parent != CORPUS)
    return [p.read_bytes() for p in files[:2000] if p.stat().st_size <= MAX_CORPUS_BYTES]


def _msg(n: int, headers: bytes, body: bytes = b"Hello.\r\n") -> bytes:
    base = b"From: Someone <someone@example.net>\r\nTo: alice@example.test\r\n"
    if b"Message-ID:" not in headers:
        base += b"Message-ID: <hostile-%d@example.net>\r\n" % n
    if b"Subject:" not in headers:
        base += b"Subject: hostile %d\r\n" % n
    if b"Date:" not in headers:
        base += b"Date: Tue, 01 Sep 2026 10:00:00 +0000\r\n"
    return base + headers + b"\r\n" + body


def _generated() -> list[bytes]:
    out: list[bytes] = []
    for year in (1900, 1969, 1970, 2038, 5000, 9000, 9999):
        out.append(_msg(len(out), b"Date: Fri, 31 Dec %d 23:59:59 -1400\r\n" % year))
    out.append(_msg(len(out), b"Date: the day after tomorrow\r\n"))
    for name in (f.title().encode() for f in headers.FIELDS):  # every header sync reads
        for bad in (b"\r", b"\x00", b"\n"):
            out.append(_msg(len(out), name + b": <a" + bad + b"b@example.net> x" + bad + b"y\r\n"))
    refs = b" ".join(b"<r%d@example.net>" % i for i in range(10_000))
    out.append(_msg(len(out), b"References: " + refs + b"\r\n"))
    out.append(_msg(len(out), b"Subject: " + b"x" * 100_000 + b"\r\n"))
    out.append(_msg(len(out), b"To: " + b"a@example.net, " * 7_000 + b"\r\n"))
    out.append(_msg(len(out), b"To: " + b"(" * 5_000 + b"c" + b")" * 5_000 + b" b@example.net\r\n"))
    out.append(_msg(len(out), b"To: " + b"g:" * 3_000 + b"b@example.net" + b";" * 3_000 + b"\r\n"))
    for _ in range(50):
        out.append(_msg(len(out), b"Message-ID: <reused@example.net>\r\n"))
    out.append(_msg(len(out), b"Subject: " + b"=?utf-8?b?w6k=?= " * 20_000 + b"\r\n"))
    out.append(_msg(len(out), b"Subject: =?x-nonesuch?q?a?= =?utf-8?q?=FF=FE?= =?utf-8?b?!!?=\r\n"))
    out.append(
        _msg(len(out), b"Subject: Gr\xc3\xbc\xc3\x9fe f\xc3\xbcr dich\r\nX-Mailer: caf\xe9\r\n")
    )
    out.append(_msg(len(out), b"Subject: caf\xe9\r\n"))
    out.append(_msg(len(out), b"", (b"y" * 998 + b"\r\n") * 30_000))  # 30 MB
    return out


def _log_lines(records: list[logging.LogRecord]) -> list[str]:
    return [r.getMessage() for r in records if r.name.startswith("inbox_agent") and r.levelno >= 30]


def test_hostile_mail_costs_only_its_header(
    mail_world: Any,
    agent_home: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    corpus = _corpus()  # read where it lies, never copied into the repository
    messages = [*corpus, *_generated()]
    alice, bob, carol = (mail_world.new_user(n) for n in ("alice", "bob", "carol"))
    write_account(alice, mail_world.imap_port, mail_world.smtp_port, autonomy="manual")
    now = datetime.now(UTC)
    week_ago = now - timedelta(days=7)
    followed = mail_world.send(alice, [bob.address], "Q3 contract", "Signed yet?", date=week_ago)
    quiet = mail_world.send(alice, [carol.address], "Lunch?", "Thursday?", date=week_ago)
    hostile_reply = (
        b"From: Bob <" + bob.address.encode() + b">\r\n"
        b"To: " + b"(" * 5_000 + b"x" + b")" * 5_000 + b" " + alice.address.encode() + b"\r\n"
        b"Subject: Re: Q3 contract\r\nMessage-ID: <bob-reply@example.test>\r\n"
        b"In-Reply-To: " + followed.encode() + b"\r\nReferences: " + followed.encode() + b"\r\n"
        b"Date: Fri, 31 Dec 9999 23:59:59 +0000\r\n\r\nSigned. Sorry for the delay.\r\n"
    )  # fmt: skip
    refused = 0
    arrived = week_ago - timedelta(days=30)
    with mail_world.imap_client(alice) as client:
        client.append("INBOX", hostile_reply, msg_time=now - timedelta(days=1))
        for folder in ("INBOX", "Sent"):
            try:  # one MULTIAPPEND (RFC 3502) per folder: a few hundred APPENDs take seconds
                client.multiappend(folder, [{"msg": m, "date": arrived} for m in messages])
            except Exception:  # the server refused one of them: file them one by one
                for raw in messages:
                    try:
                        client.append(folder, raw, msg_time=arrived)
                    except Exception:  # what the server refuses is not ours to lose
                        refused += 1
        held = {}
        for folder in ("INBOX", "Sent"):
            client.select_folder(folder, readonly=True)
            held[folder] = len(client.search(["ALL"]))
    assert refused <= len(corpus) // 10, f"Dovecot refused {refused} messages"
    # the hostile mail is really there, besides the hostile reply (INBOX) and two questions (Sent)
    assert held["INBOX"] + held["Sent"] == 2 * len(messages) - refused + 1 + 2, held

    clock.set_now(add_business_days(now, 2))
    try:
        with caplog.at_level(logging.WARNING):
            code, out, err = run(capsys, "sync", "--once")
            assert code == 0 and "Traceback" not in err, err
            first = _log_lines(caplog.records)
            caplog.clear()
            assert run(capsys, "sync", "--once")[0] == 0
            assert _log_lines(caplog.records) == []  # known messages are not read again
            code, out, err = run(capsys, "run", "--once")
            assert code == 0 and "Traceback" not in err, err
            code, out, err = run(capsys, "threads", "--json", "--all")
            assert code == 0 and "Traceback" not in err, err
            threads = json.loads(out)
            errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    finally:
        clock.set_now(None)

    store = Store(paths.database_file())
    try:  # nothing lost: every message the server holds is in the store
        stored = {f: len(store.folder_uids("main", f)) for f in ("INBOX", "Sent")}
    finally:
        store.close()
    assert stored == held

    troubles = [line for line in first if " UID " in line]
    assert troubles, first
    assert not [k for k, n in Counter(troubles).items() if n > 1]  # each bad header once
    assert all(re.match(r"(INBOX|Sent) UID \d+ <[^>]*>: \w[\w-]*: ", t) for t in troubles)
    assert any("UID 1 <bob-reply@example.test>: Date: 9999-12-31" in t for t in troubles)
    assert any("address grammar failed (RecursionError)" in t for t in troubles)
    assert errors == []

    [q3] = [t for t in threads if followed in t["message_ids"]]
    assert "<bob-reply@example.test>" in q3["message_ids"] and not q3["awaiting"], q3
    with mail_world.imap_client(alice) as client:
        client.select_folder("Drafts", readonly=True)
        drafts = client.fetch(client.search(["ALL"]), ["BODY.PEEK[HEADER.FIELDS (IN-REPLY-TO)]"])
    replies_to = {next(v for k, v in d.items() if k.startswith(b"BODY")) for d in drafts.values()}
    assert any(quiet.encode() in r for r in replies_to)  # the quiet thread was still nudged
    assert not any(followed.encode() in r for r in replies_to)  # the replied one was not


def test_a_nudge_goes_to_exactly_the_addresses_written(
    mail_world: Any,
    smtp_server: Any,
    agent_home: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Bug 4: an address with a space in its quoted local part is one address, stored, drafted
    and sent as written; one that is not an address at all is left out, never split."""
    alice = mail_world.new_user("alice")
    write_account(alice, mail_world.imap_port, mail_world.smtp_port, autonomy="copilot")
    now = datetime.now(UTC)
    original = (
        b"From: Alice Example <" + alice.address.encode() + b">\r\n"
        b'To: "carol x"@example.net, Bob <bob@example.net>, <dave smith@example.net>\r\n'
        b"Subject: Venue\r\nMessage-ID: <venue@example.test>\r\n"
        b"Date: " + now.strftime("%a, %d %b %Y %H:%M:%S +0000").encode() + b"\r\n\r\n"
        b"Which venue do you prefer?\r\n"
    )  # fmt: skip
    with mail_world.imap_client(alice) as client:
        client.append("Sent", original, flags=[b"\\Seen"], msg_time=now)
    clock.set_now(add_business_days(now, 4))
    try:
        assert run(capsys, "run", "--once")[0] == 0
        code, out, _ = run(capsys, "queue", "--json")
        [queued] = json.loads(out)
        assert queued["to"] == ['"carol x"@example.net', "bob@example.net"]
        before = len(smtp_server.handler.external)
        code, out, err = run(capsys, "approve", str(queued["id"]))
        assert code == 0, err
    finally:
        clock.set_now(None)
    [(_, rcpts, _)] = smtp_server.handler.external[before:]
    assert rcpts == ['"carol x"@example.net', "bob@example.net"]
