"""The three state machines' tables, walked; the store refuses what they do not allow; typed rows
read back as written; an old database gains the downgrade column from its audit log."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inbox_agent import gate
from inbox_agent.errors import IllegalTransition
from inbox_agent.store import audit, schema
from inbox_agent.store.db import Store
from inbox_agent.store.records import NewDraft, NewSend, NewSequence
from inbox_agent.store.states import (
    ACTIVE_SEQUENCES,
    DRAFT,
    DRAFTED_SEQUENCES,
    ENDED_DRAFTS,
    ENDED_SENDS,
    ENDED_SEQUENCES,
    OPEN_DRAFTS,
    OUTBOX,
    SEQUENCE,
    DraftState,
    Event,
    Machine,
    OutboxState,
    SequenceState,
)

MACHINES: list[Machine[Any]] = [SEQUENCE, DRAFT, OUTBOX]
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("machine", MACHINES, ids=lambda m: m.name)
def test_every_state_is_reachable_from_a_new_row(machine: Machine[Any]) -> None:
    assert machine.reachable() == frozenset(machine.states)


@pytest.mark.parametrize("machine", MACHINES, ids=lambda m: m.name)
def test_ended_states_are_terminal_and_every_other_state_has_a_way_on(
    machine: Machine[Any],
) -> None:
    for state in machine.states:
        assert bool(machine.targets(state)) != (state in machine.ended), state


def test_the_groupings_split_each_machine_once() -> None:
    assert sorted(ACTIVE_SEQUENCES + ENDED_SEQUENCES) == sorted(SequenceState)
    assert set(DRAFTED_SEQUENCES) == set(ACTIVE_SEQUENCES) - {SequenceState.WAITING}
    assert sorted((DraftState.SAVING, *OPEN_DRAFTS, *ENDED_DRAFTS)) == sorted(DraftState)
    assert SEQUENCE.ended == set(ENDED_SEQUENCES) and DRAFT.ended == set(ENDED_DRAFTS)
    assert OUTBOX.ended == set(ENDED_SENDS)


def test_values_are_the_strings_in_the_database() -> None:
    # rows written before the enums existed must read back: these strings are on disk
    assert [s.value for s in SequenceState] == [
        "waiting",
        "drafted",
        "awaiting_approval",
        "scheduled",
        "exhausted",
        "replied",
        "bounced",
        "opted_out",
        "dismissed",
        "expired",
    ]
    assert [s.value for s in DraftState] == [
        "saving",
        "saved",
        "queued",
        "scheduled",
        "sent",
        "cancelled",
        "rejected",
        "gone",
        "abandoned",
    ]
    assert [s.value for s in OutboxState] == ["pending", "sending", "sent", "failed", "cancelled"]


@pytest.mark.parametrize("level", ["manual", "copilot", "autopilot"])
def test_each_autonomy_level_drafts_along_the_table(level: str) -> None:
    assert DRAFT.allows(DraftState.SAVING, Event.DRAFT, gate.DRAFT_STATE[level])
    assert SEQUENCE.allows(SequenceState.WAITING, Event.DRAFT, gate.SEQUENCE_STATE[level])


# -- the store checks every write ------------------------------------------------------------


def new_sequence(state: SequenceState = SequenceState.WAITING) -> NewSequence:
    return {
        "account": "main",
        "anchor_message_id": "<a@x>",
        "thread_key": "<a@x>",
        "subject": "Q3 contract",
        "state": state,
        "touches_sent": 0,
        "last_touch_at": T0,
        "next_due_at": T0 + timedelta(days=3),
        "seen_ids": frozenset({"<b@x>", "<a@x>"}),
        "participants": ["bob@example.test", "carol@example.test"],
        "reason": "quiet",
        "created_at": T0,
        "updated_at": T0,
    }


def new_draft(sequence_id: int, state: DraftState = DraftState.SAVING) -> NewDraft:
    return {
        "account": "main",
        "sequence_id": sequence_id,
        "touch": 1,
        "message_id": "<n@x>",
        "agent_id": "abc",
        "folder": "Drafts",
        "uidvalidity": None,
        "uid": None,
        "subject": "Re: Q3 contract",
        "body": "Any news?",
        "raw_sha256": "0" * 64,
        "recipients": ("bob@example.test",),
        "autonomy": "copilot",
        "drafter": "offline",
        "html": True,
        "state": state,
        "created_at": T0,
        "updated_at": T0,
    }


def new_send(draft_id: int, state: OutboxState = OutboxState.PENDING) -> NewSend:
    return {
        "account": "main",
        "draft_id": draft_id,
        "sequence_id": 1,
        "message_id": f"<n{draft_id}@x>",
        "state": state,
        "not_before": T0,
        "created_at": T0,
        "updated_at": T0,
    }


def test_records_read_back_with_their_types() -> None:
    store = Store(":memory:")
    with store.tx():
        seq_id = store.add_sequence(new_sequence(), Event.TRACK)
        draft_id = store.add_draft(new_draft(seq_id), Event.SAVE)
        store.add_outbox(new_send(draft_id), Event.SCHEDULE)
    seq, draft, send = store.sequence(seq_id), store.draft(draft_id), store.outbox("main")[0]
    assert seq is not None and draft is not None
    assert seq.state is SequenceState.WAITING and seq.last_touch_at == T0
    assert seq.next_due_at == T0 + timedelta(days=3) and seq.seen_ids == {"<a@x>", "<b@x>"}
    assert seq.participants == ("bob@example.test", "carol@example.test")
    assert seq.downgraded == ""
    assert draft.state is DraftState.SAVING and draft.html is True and draft.uid is None
    assert draft.recipients == ("bob@example.test",)
    assert send.state is OutboxState.PENDING and send.not_before == T0 and send.attempts == 0
    assert store.sequences("main", ACTIVE_SEQUENCES) == [seq]
    assert store.drafts("main", OPEN_DRAFTS) == []


def test_an_illegal_transition_raises_and_writes_nothing() -> None:
    store = Store(":memory:")
    with store.tx():
        seq_id = store.add_sequence(new_sequence(), Event.TRACK)
        store.update_sequence(
            seq_id, {"state": SequenceState.REPLIED, "reason": "a reply"}, Event.END
        )
    with pytest.raises(IllegalTransition, match="from replied"), store.tx():
        store.update_sequence(
            seq_id, {"state": SequenceState.WAITING, "touches_sent": 1}, Event.SKIP
        )
    after = store.sequence(seq_id)
    assert after is not None and after.state is SequenceState.REPLIED and after.touches_sent == 0
    with pytest.raises(IllegalTransition, match="as a new row"):
        store.add_sequence(new_sequence(SequenceState.SCHEDULED), Event.TRACK)
    assert len(store.sequences("main")) == 1


def test_a_write_that_leaves_the_state_alone_needs_no_event() -> None:
    store = Store(":memory:")
    with store.tx():
        seq_id = store.add_sequence(new_sequence(), Event.TRACK)
        store.update_sequence(seq_id, {"reason": "paused", "next_due_at": None})
    seq = store.sequence(seq_id)
    assert seq is not None and seq.next_due_at is None and seq.reason == "paused"


_ROWS = {
    "sequence": (SEQUENCE, "sequences"),
    "draft": (DRAFT, "drafts"),
    "send": (OUTBOX, "outbox"),
}


def _row_in(store: Store, machine: Machine[Any], state: Any) -> int:
    """A row of `machine` in `state`, written behind the store's back (as an old file may hold)."""
    with store.tx():
        seq_id = store.add_sequence(new_sequence(), Event.TRACK)
        draft_id = store.add_draft(new_draft(seq_id), Event.SAVE)
        send_id = store.add_outbox(new_send(draft_id), Event.SCHEDULE)
    table = _ROWS[machine.name][1]
    row_id = {"sequences": seq_id, "drafts": draft_id, "outbox": send_id}[table]
    store.conn.execute(f"UPDATE {table} SET state = ? WHERE id = ?", (state.value, row_id))
    return row_id


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_the_store_writes_exactly_what_the_table_allows(data: st.DataObject) -> None:
    machine: Machine[Any] = data.draw(st.sampled_from(MACHINES))
    source = data.draw(st.sampled_from(machine.states))
    event = data.draw(st.sampled_from(list(Event)))
    target = data.draw(st.sampled_from(machine.states))
    store = Store(":memory:")
    row_id = _row_in(store, machine, source)
    update = {
        "sequence": store.update_sequence,
        "draft": store.update_draft,
        "send": store.update_outbox,
    }[machine.name]
    allowed = machine.allows(source, event, target)
    try:
        with store.tx():
            update(row_id, {"state": target}, event)
    except IllegalTransition:
        assert not allowed
    else:
        assert allowed
    state = store.conn.execute(
        f"SELECT state FROM {_ROWS[machine.name][1]} WHERE id = ?", (row_id,)
    ).fetchone()[0]
    assert state == (target if allowed else source).value


# -- migrations ------------------------------------------------------------------------------


def test_a_version_1_file_gains_the_downgrade_column_from_its_audit_log(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    store = Store(path)
    with store.tx():
        kept = store.add_sequence(new_sequence(), Event.TRACK)
        other = store.add_sequence({**new_sequence(), "anchor_message_id": "<c@x>"}, Event.TRACK)
        for reason in ("the drafter failed the checks twice", "this thread was taken off before"):
            audit.record(
                store,
                actor="daemon",
                action="downgrade",
                account="main",
                sequence_id=kept,
                before="autopilot",
                after="copilot",
                reason=f"{reason}; this nudge waits for your approval",
            )
    store.close()
    conn = sqlite3.connect(path)  # what a file of the first schema looks like
    conn.execute("ALTER TABLE sequences DROP COLUMN downgraded")
    conn.execute("ALTER TABLE folders DROP COLUMN messages")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()

    store = Store(path)
    first, untouched = store.sequence(kept), store.sequence(other)
    assert first is not None and first.downgraded == "the drafter failed the checks twice"
    assert untouched is not None and untouched.downgraded == ""
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    assert audit.verify(store) == []


def test_a_newer_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(RuntimeError, match="newer inbox-agent"):
        Store(path)
