"""Store records for pure tests: a plausible row of each kind, with the fields a test names."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from inbox_agent.store.records import OutboxRow, SequenceRow
from inbox_agent.store.states import OutboxState, SequenceState

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

_SEQUENCE = SequenceRow(
    id=1,
    account="main",
    anchor_message_id="<a@x>",
    thread_key="<a@x>",
    subject="Q3 contract",
    state=SequenceState.WAITING,
    touches_sent=0,
    last_touch_at=T0,
    next_due_at=None,
    seen_ids=frozenset({"<a@x>"}),
    participants=("bob@example.test",),
    reason="",
    created_at=T0,
    updated_at=T0,
    downgraded="",
)
_SEND = OutboxRow(
    id=1,
    account="main",
    draft_id=1,
    sequence_id=1,
    message_id="<n@x>",
    state=OutboxState.PENDING,
    not_before=T0,
    attempts=0,
    last_error="",
    created_at=T0,
    updated_at=T0,
)


def sequence_row(**fields: Any) -> SequenceRow:
    return replace(_SEQUENCE, **fields)


def sequence(
    id: int,
    anchor_message_id: str,
    state: str,
    touches_sent: int,
    last_touch_at: datetime,
    next_due_at: datetime | None,
    seen_ids: frozenset[str],
    reason: str = "",
) -> SequenceRow:
    """A sequence with the facts planning reads, in the order a test names them."""
    return replace(
        _SEQUENCE,
        id=id,
        anchor_message_id=anchor_message_id,
        thread_key=anchor_message_id,
        state=SequenceState(state),
        touches_sent=touches_sent,
        last_touch_at=last_touch_at,
        next_due_at=next_due_at,
        seen_ids=seen_ids,
        reason=reason,
    )


def outbox_row(**fields: Any) -> OutboxRow:
    return replace(_SEND, **fields)
