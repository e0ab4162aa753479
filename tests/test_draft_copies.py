"""Which message in Drafts is the nudge, on Dovecot, Cyrus and pymap (`world`), where no mail
client is needed to set the scene: never a draft that only replies to the same message (a
leftover of an earlier touch), and a scheduled nudge whose recipients the user changed goes back
to them, told at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest

from inbox_agent import clock
from inbox_agent.cadence import add_business_days
from inbox_agent.errors import SafetyStop, SendRefused
from inbox_agent.store.states import DraftState, OutboxState, SequenceState
from tests.test_outbox import make_engine, nudges_to
from tests.test_real_clients import drafts_in, queued


def test_a_leftover_copy_of_touch_1_is_never_sent_as_touch_2(world: Any, agent_home: Path) -> None:
    alice, bob = world.new_user("alice"), world.new_user("bob")
    engine, first = queued(world, alice, bob)
    engine.approve(first.id)
    # the state the old tidy left: the user's edit of touch 1, saved under a new Message-ID
    [sent_uid] = world.find(alice, "Sent", first.message_id)
    leftover = message_from_bytes(world.fetch_raw(alice, "Sent", sent_uid))
    assert leftover["In-Reply-To"] == engine.sequence_row(first.sequence_id).anchor_message_id
    for name in ("Message-ID", "X-Inbox-Agent-Id"):
        del leftover[name]
    leftover["Message-ID"] = "<edit-of-touch-1@example.test>"
    with world.imap_client(alice) as client:
        client.append("Drafts", leftover.as_bytes())
    seq = engine.sequence_row(first.sequence_id)
    assert seq.next_due_at is not None
    clock.set_now(seq.next_due_at + timedelta(minutes=1))
    engine.tick()
    [second] = engine.queue()
    assert second.touch == 2
    with world.imap_client(alice) as client:  # the user deletes touch 2 (and purges)
        client.select_folder("Drafts")
        client.delete_messages([second.uid])
        client.expunge()
    with pytest.raises(SafetyStop, match="not in Drafts"):
        engine.approve(second.id)
    assert len(nudges_to(world, bob)) == 1  # touch 1 only
    [(kept, _)] = drafts_in(world, alice).values()
    assert b"edit-of-touch-1" in kept  # neither sent nor deleted


def test_a_scheduled_nudge_with_a_new_cc_goes_back_to_the_queue_and_the_user_is_told(
    world: Any, agent_home: Path
) -> None:
    alice, bob, dave = (world.new_user(n) for n in ("alice", "bob", "dave"))
    # a working day at ten: the send comes due 15 minutes on, whatever day the suite runs on
    # (on a weekend it waited for Monday, and nothing was refused)
    weekday = add_business_days(datetime.now(UTC), 1)
    clock.set_now(weekday.replace(hour=10, minute=0, second=0, microsecond=0))
    engine = make_engine(alice, world, "autopilot")
    engine.tick()
    world.send(
        alice,
        [bob.address],
        "Budget",
        "Numbers for Q3?",
        date=clock.now() - timedelta(days=8),
    )
    engine.tick()
    [scheduled] = engine.store.drafts("main", (DraftState.SCHEDULED,))
    with world.imap_client(alice) as client:  # what mutt does: same ids, a Cc added
        client.select_folder("Drafts")
        raw = bytes(client.fetch([scheduled.uid], ["BODY.PEEK[]"])[scheduled.uid][b"BODY[]"])
        edited = message_from_bytes(raw)
        edited["Cc"] = dave.address
        client.append("Drafts", edited.as_bytes(), flags=[b"\\Draft"])
        client.delete_messages([scheduled.uid])
        client.expunge()
    clock.set_now(clock.now() + timedelta(minutes=15))
    report = engine.tick()
    assert isinstance(report.refused, SendRefused) and dave.address in str(report.refused)
    assert nudges_to(world, bob) == [] and nudges_to(world, dave) == []
    assert [d.id for d in engine.queue()] == [scheduled.id]
    assert engine.sequence_row(scheduled.sequence_id).state == SequenceState.AWAITING_APPROVAL
    assert [o.state for o in engine.store.outbox("main")] == [OutboxState.CANCELLED]
    assert len(drafts_in(world, alice)) == 1  # the user's draft, Cc and all, stays
