"""The outbox on real parts: edited drafts, Autopilot with undo and windows, SMTP refusals, and
crash recovery that never sends twice and never loses a send.

The tests on `world` run on Dovecot, Cyrus and pymap: those that lean on what servers do
differently (the draft's APPEND and its UID, \\Draft and \\Deleted, expunge, SEARCH by header for
our copies, the Sent copy and the receipt). The others decide in the engine alone, from what
these already show each server gives back, and run on Dovecot (`mail_world`), to keep the
suite's time.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest

from inbox_agent import clock, config, paths
from inbox_agent.cadence import add_business_days
from inbox_agent.config import secrets
from inbox_agent.engine import Engine, Opener, TickReport, open_imap
from inbox_agent.errors import SafetyStop
from inbox_agent.sender.smtp import submit
from inbox_agent.store.db import Store
from inbox_agent.store.records import DraftRow, SequenceRow
from inbox_agent.store.states import DraftState, OutboxState, SequenceState
from tests.infra.faults import Crash, Faults
from tests.infra.mail import MailUser
from tests.test_story import run

ALWAYS_OPEN = '[sending]\nwindow = "00:00-23:59"\ntimezone = "UTC"\nspacing = "1m"\nundo = "10m"\n'


def make_engine(
    user: MailUser,
    world: Any,
    autonomy: str = "copilot",
    extra: str = ALWAYS_OPEN,
    opener: Opener = open_imap,
) -> Engine:
    path = paths.accounts_dir() / "main.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'email = "{user.address}"\ndisplay_name = "Alice Example"\n\n'
        f'[imap]\nhost = "127.0.0.1"\nport = {world.imap_port}\nsecurity = "none"\nusername = "{user.login}"\n\n'
        f'[smtp]\nhost = "127.0.0.1"\nport = {world.smtp_port}\nsecurity = "none"\nusername = "{user.login}"\n\n'
        f'[autonomy]\ndefault = "{autonomy}"\n\n{extra}'
    )
    secrets.set_secret("main", "imap", user.password)
    settings = config.load_settings()
    return Engine(
        config.load_account(path, settings),
        settings,
        Store(paths.database_file()),
        actor="cli",
        opener=opener,
    )


@pytest.fixture
def later() -> Iterator[None]:
    # at ten: a send the test schedules a few minutes on stays on that working day (pinned at
    # the hour the suite ran, 23:50 on a Monday became a Friday whose sends fell on Saturday)
    ahead = add_business_days(datetime.now(UTC), 4)
    clock.set_now(ahead.replace(hour=10, minute=0, second=0, microsecond=0))
    yield
    clock.set_now(None)


def inbox_of(world: Any, user: MailUser) -> list[bytes]:
    with world.imap_client(user) as client:
        client.select_folder("INBOX", readonly=True)
        uids = client.search(["ALL"])
        return (
            [bytes(d[b"BODY[]"]) for d in client.fetch(uids, ["BODY.PEEK[]"]).values()]
            if uids
            else []
        )


def nudges_to(world: Any, user: MailUser) -> list[bytes]:
    return [raw for raw in inbox_of(world, user) if b"In-Reply-To:" in raw]


def test_an_edited_draft_is_what_arrives(world: Any, agent_home: Path, later: None) -> None:
    alice, bob = world.new_user("alice"), world.new_user("bob")
    engine = make_engine(alice, world)
    world.send(alice, [bob.address], "Q3 contract", "Can you sign?", date=datetime.now(UTC))
    engine.tick()
    [draft] = engine.queue()
    with world.imap_client(alice) as client:  # what mail clients do: save a new copy, drop the old
        client.select_folder("Drafts")
        [uid] = client.search(["ALL"])
        edited = message_from_bytes(bytes(client.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"]))
        del edited["Message-ID"]
        del edited["X-Inbox-Agent-Id"]
        edited["Message-ID"] = "<edited-by-alice@example.test>"
        edited.set_payload(draft.body + "\nP.S. This line is written by me.\n")
        client.append("Drafts", edited.as_bytes(), flags=[b"\\Draft"])
        client.delete_messages([uid])
        client.expunge()
    engine.approve(draft.id)
    [arrived] = nudges_to(world, bob)
    assert b"written by me" in arrived
    rows = engine.store.audit_rows("main")
    assert [r.action for r in rows].count("sent") == 1


def test_autopilot_waits_out_the_undo_window_and_undo_cancels(
    world: Any, agent_home: Path, later: None
) -> None:
    alice, bob, carol = (
        world.new_user("alice"),
        world.new_user("bob"),
        world.new_user("carol"),
    )
    engine = make_engine(alice, world, "autopilot")
    world.send(alice, [bob.address], "Budget", "Numbers?", date=datetime.now(UTC))
    world.send(alice, [carol.address], "Venue", "Which one?", date=datetime.now(UTC))
    assert engine.tick().counts["scheduled"] == 2
    scheduled = {d.recipients[0]: d for d in engine.store.drafts("main", (DraftState.SCHEDULED,))}
    engine.undo(scheduled[carol.address].id)
    assert engine.tick().counts["sent"] == 0  # still inside the undo window
    clock.advance(timedelta(minutes=15))
    report = engine.tick()
    assert report.counts["sent"] == 1
    assert len(nudges_to(world, bob)) == 1 and nudges_to(world, carol) == []
    assert [raw for raw in inbox_of(world, alice) if b"Re: Budget" in raw] == []  # receipt tidied
    with world.imap_client(alice) as client:
        client.select_folder("Sent", readonly=True)
        assert len(client.search(["SUBJECT", "Re: Budget"])) == 1  # one Sent copy
        client.select_folder("Drafts", readonly=True)
        assert client.search(["ALL"]) == []
    clock.advance(timedelta(hours=1))
    assert engine.tick().counts["sent"] == 0  # never twice


def test_a_refused_recipient_goes_back_to_the_queue(
    mail_world: Any, agent_home: Path, later: None
) -> None:
    alice = mail_world.new_user("alice")
    engine = make_engine(alice, mail_world)
    mail_world.send(
        alice, [alice.address], "Note to self", "x", date=datetime.now(UTC)
    )  # not tracked
    ghost = "ghost-nobody@example.test"
    with mail_world.imap_client(alice) as client:  # a message to a user who does not exist
        client.append(
            "Sent",
            (
                f"From: {alice.address}\r\nTo: {ghost}\r\nSubject: Hello ghost\r\n"
                f"Message-ID: <ghost@example.test>\r\nDate: {datetime.now(UTC):%a, %d %b %Y %H:%M:%S +0000}"
                "\r\n\r\nAre you there?\r\n"
            ).encode(),
        )
    engine.tick()
    [draft] = engine.queue()
    with pytest.raises(Exception, match="refused the recipients"):
        engine.approve(draft.id)
    [back] = engine.queue()
    assert back.id == draft.id
    [row] = engine.store.outbox("main")
    assert row.state == OutboxState.FAILED and "550" in row.last_error


def _queued(world: Any, alice: MailUser, bob: MailUser) -> tuple[Engine, DraftRow]:
    engine = make_engine(alice, world)
    world.send(alice, [bob.address], "Contract", "Sign?", date=datetime.now(UTC))
    engine.tick()
    [draft] = engine.queue()
    return engine, draft


def _cut_off_in_smtp(
    world: Any, alice: MailUser, bob: MailUser
) -> tuple[Engine, SequenceRow, Message]:
    """A queued nudge whose send got as far as `sending`: the message it was about to submit."""
    engine, draft = _queued(world, alice, bob)
    seq = engine.sequence_row(draft.sequence_id)
    engine.outbox._mark_sending(seq, draft, clock.now())
    with engine.session() as client:
        raw = engine.locate_draft(client, draft)
    assert raw is not None
    return engine, seq, message_from_bytes(raw[1])


def test_crash_after_smtp_is_recognised_as_sent(world: Any, agent_home: Path, later: None) -> None:
    alice, bob = world.new_user("alice"), world.new_user("bob")
    engine, seq, msg = _cut_off_in_smtp(world, alice, bob)
    submit(engine.account, alice.password, msg, receipt_to=alice.address)  # type: ignore[arg-type]
    # … and the process dies here, before it could record the send
    engine2 = make_engine(alice, world)
    engine2.tick()
    assert len(nudges_to(world, bob)) == 1
    assert engine2.sequence_row(seq.id).touches_sent == 1
    assert [r.state for r in engine2.store.outbox("main")] == [OutboxState.SENT]


def test_approving_a_draft_whose_send_was_cut_off_waits_for_the_evidence(
    mail_world: Any, agent_home: Path, later: None
) -> None:
    alice, bob = mail_world.new_user("alice"), mail_world.new_user("bob")
    engine, draft = _queued(mail_world, alice, bob)
    engine.outbox._mark_sending(engine.sequence_row(draft.sequence_id), draft, clock.now())
    with pytest.raises(SafetyStop, match="cut off during SMTP"):
        engine.approve(draft.id)  # it may have left: never send again blindly
    assert nudges_to(mail_world, bob) == []
    assert [r.state for r in engine.store.outbox("main")] == [OutboxState.SENDING]


def test_a_send_found_after_the_thread_ended_leaves_it_ended(
    mail_world: Any, agent_home: Path, later: None
) -> None:
    alice, bob = mail_world.new_user("alice"), mail_world.new_user("bob")
    engine, seq, msg = _cut_off_in_smtp(mail_world, alice, bob)
    # … the process dies inside SMTP; before its copy shows up, bob answers and a tick ends it
    mail_world.reply(bob, to_message_id=seq.anchor_message_id, body="Signed.", date=clock.now())
    engine2 = make_engine(alice, mail_world)
    engine2.tick()
    assert engine2.sequence_row(seq.id).state == SequenceState.REPLIED
    submit(engine.account, alice.password, msg, receipt_to=alice.address)  # type: ignore[arg-type]
    engine2.tick()  # now the copy is there: it was sent, and the thread stays ended
    ended = engine2.sequence_row(seq.id)
    assert ended.state == SequenceState.REPLIED and ended.touches_sent == 0
    assert [r.state for r in engine2.store.outbox("main")] == [OutboxState.SENT]
    assert [d.state for d in engine2.store.drafts("main")] == [DraftState.CANCELLED]
    [sent] = [r for r in engine2.store.audit_rows("main") if r.action == "sent"]
    assert sent.state_after == SequenceState.REPLIED and "stays ended" in sent.reason


def test_crash_before_smtp_sends_exactly_once_after_the_grace(
    mail_world: Any, agent_home: Path, later: None
) -> None:
    alice, bob = mail_world.new_user("alice"), mail_world.new_user("bob")
    engine, draft = _queued(mail_world, alice, bob)
    engine.outbox._mark_sending(engine.sequence_row(draft.sequence_id), draft, clock.now())
    engine.tick()  # within the grace period: wait, do nothing
    assert (
        nudges_to(mail_world, bob) == []
        and engine.store.outbox("main")[0].state == OutboxState.SENDING
    )
    clock.advance(timedelta(minutes=11))
    engine.tick()  # no receipt, no Sent copy: it never left; back to pending, then sent
    engine.tick()
    assert len(nudges_to(mail_world, bob)) == 1
    assert [r.action for r in engine.store.audit_rows("main")].count("recover") == 1


def test_sending_the_draft_yourself_counts_as_the_touch(
    mail_world: Any, agent_home: Path, later: None, capsys: pytest.CaptureFixture[str]
) -> None:
    alice, bob = mail_world.new_user("alice"), mail_world.new_user("bob")
    engine, draft = _queued(mail_world, alice, bob)
    clock.advance(timedelta(minutes=5))
    mail_world.send(
        alice,
        [bob.address],
        draft.subject,
        "My own words.",
        date=clock.now(),
        in_reply_to=engine.sequence_row(draft.sequence_id).anchor_message_id,
    )
    engine.tick()
    seq = engine.sequence_row(draft.sequence_id)
    assert seq.state == SequenceState.WAITING and seq.touches_sent == 1
    with pytest.raises(Exception, match="not waiting for you"):
        engine.approve(draft.id)
    actions = [r.action for r in engine.store.audit_rows("main")]
    assert "touch_by_hand" in actions and actions.count("sent") == 0
    assert run(capsys, "audit", "--verify")[0] == 0


def test_approve_refuses_after_the_thread_ended(
    mail_world: Any, agent_home: Path, later: None
) -> None:
    alice, bob = mail_world.new_user("alice"), mail_world.new_user("bob")
    engine, draft = _queued(mail_world, alice, bob)
    anchor = engine.sequence_row(draft.sequence_id).anchor_message_id
    mail_world.reply(
        bob, to_message_id=anchor, body="Done.", date=clock.now() + timedelta(minutes=1)
    )
    with pytest.raises(SafetyStop, match="a reply from"):
        engine.approve(draft.id)
    assert nudges_to(mail_world, bob) == []


def test_a_reply_that_lands_before_a_scheduled_send_cancels_it(
    mail_world: Any, agent_home: Path, later: None
) -> None:
    alice, bob = mail_world.new_user("alice"), mail_world.new_user("bob")
    engine = make_engine(alice, mail_world, "autopilot")
    original = mail_world.send(alice, [bob.address], "Budget", "Numbers?", date=datetime.now(UTC))
    engine.tick()
    [scheduled] = engine.store.drafts("main", (DraftState.SCHEDULED,))
    mail_world.reply(bob, to_message_id=original, body="Sent them yesterday.", date=clock.now())
    clock.advance(timedelta(minutes=15))
    with engine.session() as client:  # the outbox job alone, with no poll before it
        engine.outbox.flush(client, TickReport())
    assert nudges_to(mail_world, bob) == []
    cancelled = engine.store.draft(scheduled.id)
    assert cancelled is not None and cancelled.state == DraftState.CANCELLED
    assert engine.sequence_row(scheduled.sequence_id).state == SequenceState.REPLIED


@pytest.mark.parametrize("reached_drafts", [True, False])
def test_a_crash_around_the_draft_append_leaves_no_orphan_and_no_duplicate(
    world: Any, agent_home: Path, later: None, reached_drafts: bool
) -> None:
    alice, bob = world.new_user("alice"), world.new_user("bob")
    faults = Faults()
    faults.crash_on("append", after=reached_drafts)
    engine = make_engine(alice, world, opener=faults.opener)
    world.send(alice, [bob.address], "Offsite", "Which venue?", date=datetime.now(UTC))
    with pytest.raises(Crash):
        engine.tick()
    restarted = make_engine(alice, world)
    restarted.tick()
    with world.imap_client(alice) as client:
        client.select_folder("Drafts", readonly=True)
        assert len(client.search(["ALL"])) == 1
    assert len(restarted.queue()) == 1
    actions = [r.action for r in restarted.store.audit_rows("main")]
    assert ("draft_abandoned" in actions) != reached_drafts
