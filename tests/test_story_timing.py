"""Timing and endings a person would expect, on Dovecot with the CLI as a user runs it.

A promise bob made ("by Thursday") is followed up once Thursday passes in silence, one carol kept
starts nothing; a deadline alice set moves her first nudge past it; a bounce and an opt-out that
came before the first run end their threads, and the opt-out holds for her next question; a
nudge alice never approves expires at the next step instead of going out weeks late.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from inbox_agent import clock
from inbox_agent.cadence import add_business_days
from tests.test_story import drafts_of, later, run, write_account

__all__ = ["later"]  # the fixture: four business days pass after the mail is sent


def test_a_nudge_never_approved_expires_at_the_next_step(
    mail_world: Any, agent_home: Path, capsys: pytest.CaptureFixture[str], later: None
) -> None:
    alice, bob = mail_world.new_user("alice"), mail_world.new_user("bob")
    write_account(alice, mail_world.imap_port, mail_world.smtp_port)
    mail_world.send(alice, [bob.address], "Offsite venue", "Which venue should I book?")
    code, out, err = run(capsys, "run", "--once")
    assert code == 0 and "1 queued for approval" in out, err
    [queued] = json.loads(run(capsys, "queue", "--json")[1])
    [row] = json.loads(run(capsys, "threads", "--json")[1])
    assert "waits for your approval" in row["reason"] and "expires unsent" in row["reason"]

    clock.set_now(add_business_days(clock.now(), 6))  # past the second gap (5 business days)
    code, out, err = run(capsys, "run", "--once")
    assert code == 0 and "1 expired unapproved" in out, err
    assert drafts_of(mail_world, alice) == []  # the untouched draft left Drafts
    assert json.loads(run(capsys, "queue", "--json")[1]) == []
    code, _, err = run(capsys, "approve", str(queued["id"]))
    assert code != 0  # never sent late
    with mail_world.imap_client(bob) as client:
        client.select_folder("INBOX", readonly=True)
        assert len(client.search(["ALL"])) == 1  # only alice's question
    [shown] = json.loads(run(capsys, "threads", "--json", "--all")[1])
    assert shown["state"] == "expired" and not shown["awaiting"]
    audit = json.loads(run(capsys, "audit", "--json")[1])
    [end] = [r for r in audit if r["action"] == "end"]
    assert end["state_after"] == "expired" and "waited for your approval" in end["reason"]
    assert any(r["action"] == "draft_removed" for r in audit)


def rows_by_first(capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, Any]]:
    return {
        r["message_ids"][0]: r for r in json.loads(run(capsys, "threads", "--json", "--all")[1])
    }


def test_a_broken_promise_is_followed_up_and_a_kept_one_starts_nothing(
    mail_world: Any, agent_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alice, bob, carol = (mail_world.new_user(n) for n in ("alice", "bob", "carol"))
    write_account(alice, mail_world.imap_port, mail_world.smtp_port)
    now = datetime.now(UTC).replace(microsecond=0)
    ask_b = mail_world.send(
        alice,
        [bob.address],
        "Q3 numbers",
        "Can you send me the Q3 numbers?",
        date=now - timedelta(hours=3),
    )
    promise = mail_world.reply(
        bob,
        to_message_id=ask_b,
        body="Let me check and get back to you by Thursday.\n\nBob",
        date=now - timedelta(hours=2),
    )
    ask_c = mail_world.send(
        alice,
        [carol.address],
        "Venue",
        "Could you check the venue for the offsite?",
        date=now - timedelta(hours=3),
    )
    kept = mail_world.reply(
        carol, to_message_id=ask_c, body="I'll send it tomorrow.", date=now - timedelta(hours=2)
    )
    mail_world.reply(
        carol,
        to_message_id=kept,
        to=[alice.address],
        subject="Re: Venue",
        references=[ask_c, kept],
        body="Here it is: the lake house, 40 seats.",
        date=now - timedelta(hours=1),
    )
    clock.set_now(now)
    code, out, err = run(capsys, "run", "--once")
    assert code == 0 and "1 threads newly tracked" in out, err
    rows = rows_by_first(capsys)
    owed = rows[ask_b]
    said = 'promised: "Let me check and get back to you by Thursday."'
    assert owed["state"] == "waiting" and said in owed["reason"] and not owed["awaiting"]
    due = datetime.fromisoformat(owed["next_due_at"])
    thursday = now.date() + timedelta(days=(3 - now.weekday()) % 7)
    assert due.date() > thursday and due.weekday() < 5  # once Thursday has passed
    assert rows[ask_c]["state"] == "untracked" and rows[ask_c]["sequence_id"] is None
    audit = json.loads(run(capsys, "audit", "--json")[1])
    [track] = [r for r in audit if r["action"] == "track"]
    assert track["message_id"] == promise and said in track["reason"]

    clock.set_now(due + timedelta(minutes=1))
    code, out, err = run(capsys, "run", "--once")
    assert code == 0 and "1 nudges saved to Drafts" in out, err
    [(raw, _flags)] = drafts_of(mail_world, alice)
    nudge = message_from_bytes(raw)
    assert nudge["To"] == bob.address and nudge["In-Reply-To"] == promise
    # the nudge follows up bob's promise, in his words
    [text] = [
        part.get_payload(decode=True).decode()
        for part in nudge.walk()
        if part.get_content_type() == "text/plain"
    ]
    said_line = 'You wrote: "Let me check and get back to you by Thursday." Any news?'
    assert said_line in " ".join(text.split()), text
    [status] = json.loads(run(capsys, "status", "--json")[1])["accounts"]
    assert status["pending_approvals"] == 1


def test_a_deadline_alice_set_moves_her_first_nudge_past_it(
    mail_world: Any, agent_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alice, dave = mail_world.new_user("alice"), mail_world.new_user("dave")
    write_account(alice, mail_world.imap_port, mail_world.smtp_port)
    now = datetime.now(UTC).replace(microsecond=0)
    day = (now + timedelta(days=12)).date()
    ask = mail_world.send(
        alice,
        [dave.address],
        "Lease",
        f"Could you send me the signed lease by {day:%B} {day.day}?",
        date=now,
    )
    clock.set_now(add_business_days(now, 4))  # the first gap has passed, the deadline has not
    code, out, err = run(capsys, "run", "--once")
    assert code == 0 and "0 nudges saved to Drafts" in out, err
    row = rows_by_first(capsys)[ask]
    assert f"not before your deadline {day.isoformat()} has passed" in row["reason"]
    due = datetime.fromisoformat(row["next_due_at"])
    assert due.date() > day and due.weekday() < 5
    clock.set_now(due + timedelta(minutes=1))
    code, out, err = run(capsys, "run", "--once")
    assert code == 0 and "1 nudges saved to Drafts" in out, err


def dsn(domain: str, bounced: str, at: datetime) -> bytes:
    """A delivery report as Postfix writes it: no threading headers, the bounced message named
    only in its text/rfc822-headers part."""
    return (
        f"From: Mail Delivery System <MAILER-DAEMON@{domain}>\r\nTo: alice@{domain}\r\n"
        f"Subject: Undelivered Mail Returned to Sender\r\nDate: {format_datetime(at)}\r\n"
        f"Message-ID: <dsn-{bounced[1:-1]}>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        "Final-Recipient: rfc822; gone@example.test\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {bounced}\r\n--B--\r\n"
    ).encode()


def test_a_bounce_and_an_opt_out_before_the_first_run_end_their_threads(
    mail_world: Any, agent_home: Path, capsys: pytest.CaptureFixture[str], later: None
) -> None:
    alice, carol, dave = (mail_world.new_user(n) for n in ("alice", "carol", "dave"))
    write_account(alice, mail_world.imap_port, mail_world.smtp_port)
    now = datetime.now(UTC).replace(microsecond=0)
    bounced = mail_world.send(
        alice,
        [carol.address],
        "Offsite",
        "Which venue should I book?",
        date=now - timedelta(minutes=3),
    )
    with mail_world.imap_client(alice) as client:
        client.append("INBOX", dsn(alice.address.split("@")[1], bounced, now))
    pitch = mail_world.send(
        alice,
        [dave.address],
        "A demo",
        "Would you like a demo next week?",
        date=now - timedelta(minutes=2),
    )
    stop = mail_world.reply(
        dave,
        to_message_id=pitch,
        body="Not interested, please stop emailing me.",
        date=now - timedelta(minutes=1),
    )
    code, out, err = run(capsys, "run", "--once")  # the first run: a baseline
    assert code == 0 and "0 nudges saved to Drafts" in out, err
    assert drafts_of(mail_world, alice) == []
    rows = rows_by_first(capsys)
    assert rows[bounced]["state"] == "bounced" and not rows[bounced]["awaiting"]
    assert "bounced (5.1.1)" in rows[bounced]["reason"]
    assert rows[pitch]["state"] == "opted_out" and "Not interested" in rows[pitch]["reason"]
    audit = json.loads(run(capsys, "audit", "--json")[1])
    [opted] = [r for r in audit if r["action"] == "opt_out"]
    assert opted["message_id"] == stop and dave.address in opted["reason"]

    # the opt-out holds: alice's next question to dave is never followed up
    again = mail_world.send(alice, [dave.address], "Pricing", "Could you confirm the price?")
    clock.set_now(add_business_days(clock.now(), 4))
    code, out, err = run(capsys, "run", "--once")
    assert code == 0 and "0 nudges saved to Drafts" in out, err
    row = rows_by_first(capsys)[again]
    assert row["state"] == "opted_out" and "asked never to be followed up again" in row["reason"]
