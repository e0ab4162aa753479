"""The spine, end to end on real parts: a real server (Dovecot, Cyrus and the embedded pymap in
turn), SMTP delivered into it, the CLI as a user runs it.

alice writes to bob; four business days pass; a threaded nudge lands in alice's Drafts; she
approves it; bob gets it in the same thread; bob replies; the sequence ends and nothing more is
drafted. And the race: bob's reply lands between the draft and the approval.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from inbox_agent import cli, clock, paths
from inbox_agent.cadence import add_business_days
from inbox_agent.config import secrets


def write_account(
    user: Any, imap_port: int, smtp_port: int, autonomy: str = "copilot", name: str = "main"
) -> None:
    path = paths.accounts_dir() / f"{name}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'email = "{user.address}"\ndisplay_name = "Alice Example"\n\n'
        f'[imap]\nhost = "127.0.0.1"\nport = {imap_port}\nsecurity = "none"\nusername = "{user.login}"\n\n'
        f'[smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\nsecurity = "none"\nusername = "{user.login}"\n\n'
        f'[autonomy]\ndefault = "{autonomy}"\n'
    )
    secrets.set_secret(name, "imap", user.password)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def later() -> Iterator[None]:
    """Move the clock four business days ahead of the mail the test is about to send."""
    # at ten: a send the test schedules a few minutes on stays on that working day (pinned at
    # the hour the suite ran, 23:50 on a Monday became a Friday whose sends fell on Saturday)
    ahead = add_business_days(datetime.now(UTC), 4)
    clock.set_now(ahead.replace(hour=10, minute=0, second=0, microsecond=0))
    yield
    clock.set_now(None)


def drafts_of(world: Any, user: Any) -> list[tuple[bytes, tuple[bytes, ...]]]:
    with world.imap_client(user) as client:
        client.select_folder("Drafts", readonly=True)
        uids = client.search(["ALL"])
        data = client.fetch(uids, ["BODY.PEEK[]", "FLAGS"]) if uids else {}
    return [(bytes(d[b"BODY[]"]), tuple(d[b"FLAGS"])) for d in data.values()]


def test_the_story(
    world: Any, agent_home: Path, capsys: pytest.CaptureFixture[str], later: None
) -> None:
    alice, bob = world.new_user("alice"), world.new_user("bob")
    write_account(alice, world.imap_port, world.smtp_port)
    original = world.send(
        alice,
        [bob.address],
        "Q3 contract",
        "Hi Bob,\n\nCan you sign the Q3 contract?\n\nAlice",
    )

    code, out, err = run(capsys, "run", "--once")
    assert code == 0, err
    assert "1 nudges saved to Drafts" in out and "1 queued for approval" in out

    [(raw, flags)] = drafts_of(world, alice)
    draft = message_from_bytes(raw)
    assert b"\\Draft" in flags
    assert draft["In-Reply-To"] == original and original in draft["References"]
    assert draft["To"] == bob.address and draft["Subject"] == "Re: Q3 contract"
    assert draft["X-Inbox-Agent-Id"]

    code, out, _ = run(capsys, "queue", "--json")
    [queued] = json.loads(out)
    assert queued["to"] == [bob.address]

    code, out, err = run(capsys, "approve", str(queued["id"]))
    assert code == 0, err
    [delivered] = world.find(bob, "INBOX", draft["Message-ID"])
    sent = message_from_bytes(world.fetch_raw(bob, "INBOX", delivered))
    assert (
        sent["In-Reply-To"] == original and sent["X-Inbox-Agent-Id"] is None
    )  # our marker stays home
    assert drafts_of(world, alice) == []  # the sent draft left Drafts
    assert world.find(alice, "Sent", draft["Message-ID"])  # and a copy is in Sent

    clock.advance(timedelta(minutes=5))  # Date headers have whole seconds: no tie with the nudge
    world.reply(
        bob,
        to_message_id=draft["Message-ID"],
        subject="Re: Q3 contract",
        to=[alice.address],
        references=[original, draft["Message-ID"]],
        body="Signed, sorry for the delay.",
        date=clock.now(),
    )
    clock.advance(add_business_days(clock.now(), 8) - clock.now())
    code, out, err = run(capsys, "run", "--once")
    assert code == 0, err
    assert "1 ended by a reply" in out
    code, out, _ = run(capsys, "threads", "--json", "--all")
    [thread] = [t for t in json.loads(out) if original in t["message_ids"]]
    assert thread["state"] == "replied" and thread["touches_sent"] == 1 and not thread["awaiting"]
    assert drafts_of(world, alice) == []  # nothing more drafted
    code, out, _ = run(capsys, "audit", "--verify")
    assert code == 0 and "intact" in out


def test_reply_between_draft_and_approve_wins(
    world: Any, agent_home: Path, capsys: pytest.CaptureFixture[str], later: None
) -> None:
    alice, bob = world.new_user("alice"), world.new_user("bob")
    write_account(alice, world.imap_port, world.smtp_port)
    original = world.send(alice, [bob.address], "Offsite venue", "Which venue should I book?")
    assert run(capsys, "run", "--once")[0] == 0
    [queued] = json.loads(run(capsys, "queue", "--json")[1])

    world.reply(
        bob,
        to_message_id=original,
        subject="Re: Offsite venue",
        to=[alice.address],
        references=[original],
        body="The one by the lake.",
    )
    code, _, err = run(capsys, "approve", str(queued["id"]))
    assert code == 4 and "a reply from " + bob.address in err
    assert drafts_of(world, alice) == []
    with world.imap_client(bob) as client:
        client.select_folder("INBOX", readonly=True)
        assert len(client.search(["ALL"])) == 1  # only alice's original
    rows = json.loads(run(capsys, "audit", "--json")[1])
    ended = [r for r in rows if r["action"] == "end"]
    assert ended and ended[-1]["state_after"] == "replied" and bob.address in ended[-1]["reason"]
    assert any(r["action"] == "draft_removed" for r in rows)


def test_threads_json_contract_and_exit_codes(
    world: Any, agent_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alice, bob = world.new_user("alice"), world.new_user("bob")
    write_account(alice, world.imap_port, world.smtp_port)
    first = world.send(alice, [bob.address], "Lunch?", "Thursday?")
    assert run(capsys, "sync", "--once")[0] == 0
    code, out, _ = run(capsys, "threads", "--json", "--all")
    assert code == 0
    [row] = json.loads(out)
    for key in (
        "thread_id",
        "account",
        "subject",
        "message_ids",
        "last_message_id",
        "last_from_user",
        "awaiting",
        "state",
        "touches_sent",
        "next_due_at",
        "participants",
        "reason",
    ):
        assert key in row
    assert row["message_ids"] == [first] and row["last_from_user"] and not row["awaiting"]
    assert row["participants"] == [bob.address]
    future = add_business_days(datetime.now(UTC), 5).isoformat()
    assert json.loads(run(capsys, "threads", "--json", "--awaiting", "--as-of", future)[1])[0][
        "awaiting"
    ]
    past = "2001-01-01T00:00:00Z"
    assert json.loads(run(capsys, "threads", "--json", "--all", "--as-of", past)[1]) == []

    assert run(capsys, "approve", "999")[0] == 2
    broken = paths.accounts_dir() / "main.toml"
    broken.write_text(broken.read_text().replace('default = "copilot"', 'default = "sometimes"'))
    code, _, err = run(capsys, "threads")
    assert code == 2 and str(broken) in err and "autonomy.default" in err and "copilot" in err


def test_threads_shows_what_the_daemon_decides(
    world: Any, agent_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`threads` and the daemon give one answer: a thread whose message bounced is not awaiting,
    a paused thread shows its pause date, and `--as-of` keeps the sequences of that moment."""
    alice, bob = world.new_user("alice"), world.new_user("bob")
    carol = world.new_user("carol")  # her server will say she is gone
    write_account(alice, world.imap_port, world.smtp_port)
    now = datetime.now(UTC)
    future = add_business_days(now, 5).isoformat()
    bounced = world.send(
        alice, [carol.address], "Offsite", "Which venue?", date=now - timedelta(minutes=2)
    )
    dsn = (
        f"From: Mail Delivery System <MAILER-DAEMON@{alice.address.split('@')[1]}>\r\n"
        f"To: {alice.address}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        f"Date: {format_datetime(now - timedelta(seconds=90))}\r\n"
        f"Message-ID: <dsn-{bounced[1:-1]}>\r\nIn-Reply-To: {bounced}\r\nReferences: {bounced}\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        "Final-Recipient: rfc822; gone@example.test\r\nAction: failed\r\nStatus: 5.1.1\r\n--B--\r\n"
    )
    with world.imap_client(alice) as client:
        client.append("INBOX", dsn.encode())
    paused = world.send(
        alice, [bob.address], "Contract", "Please sign.", date=now - timedelta(minutes=1)
    )
    back = now + timedelta(days=12)
    world.reply(
        bob,
        to_message_id=paused,
        body=f"I am out of the office until {back:%A, %B %d, %Y}.",
        subject="Automatic reply: Contract",
        headers={"Auto-Submitted": "auto-replied"},
    )
    assert run(capsys, "run", "--once")[0] == 0  # reads the out-of-office, follows "Contract"

    def rows(*argv: str) -> dict[str, dict[str, Any]]:
        found = json.loads(run(capsys, "threads", "--json", *argv)[1])
        return {r["message_ids"][0]: r for r in found}

    shown = rows("--all", "--as-of", future)
    assert rows("--awaiting", "--as-of", future) == {}  # neither is nudged by then
    assert not shown[bounced]["awaiting"] and "bounced" in shown[bounced]["reason"]
    assert shown[bounced]["next_due_at"] is None
    row = shown[paused]
    assert row["sequence_id"] is not None and row["state"] == "waiting" and not row["awaiting"]
    assert datetime.fromisoformat(row["next_due_at"]).date() == back.date()
    assert "until they are back" in row["reason"]
    assert rows("--all")[paused]["next_due_at"] == row["next_due_at"]
    [account] = json.loads(run(capsys, "status", "--json")[1])["accounts"]
    assert account["next_nudge_at"] == row["next_due_at"]  # `status` shows the same decision
    before = rows("--all", "--as-of", (now - timedelta(seconds=30)).isoformat())
    assert before[paused]["sequence_id"] is None  # the daemon followed it only later
