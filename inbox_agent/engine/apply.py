"""Carrying out one planned action: each state change in one transaction with its audit row.

The decision (`tracker.decision`) decides; this module only writes what it decided, and, for an
ending or a touch by hand, first removes the sequence's pending drafts from Drafts.
"""

from __future__ import annotations

from typing import assert_never

from inbox_agent import clock
from inbox_agent.engine import drafts, edits
from inbox_agent.engine.context import Context
from inbox_agent.engine.nudge import draft_nudge
from inbox_agent.engine.report import TickReport
from inbox_agent.store import Event, SequenceState
from inbox_agent.sync.mailbox import Mailbox
from inbox_agent.tracker.sequence import Action, Due, End, Observe, Pause, Start, Touched


def apply(ctx: Context, mailbox: Mailbox, action: Action, report: TickReport) -> None:
    """Write what `action` decided, and count it in `report`."""
    match action:
        case Start():
            _start(ctx, action)
            report.started += 1
            if action.paused:
                report.counts["paused"] += 1
        case End():
            end(
                ctx,
                mailbox,
                action.sequence_id,
                action.state,
                action.reason,
                action.message_id,
                actor="user" if action.by_user else None,
            )
            report.counts[action.state] += 1
        case Pause():
            _pause(ctx, action)
            report.counts["paused"] += 1
        case Touched():
            _touched(ctx, mailbox, action)
        case Observe():
            with ctx.store.tx():
                ctx.store.update_sequence(
                    action.sequence_id, {"seen_ids": action.seen_ids, "updated_at": clock.now()}
                )
        case Due():
            report.counts["due"] += 1
            state = draft_nudge(ctx, mailbox, action)
            if state:
                report.counts[state] += 1
        case _:
            assert_never(action)


def _start(ctx: Context, action: Start) -> None:
    thread, now = action.thread, clock.now()
    with ctx.store.tx():
        seq_id = ctx.store.add_sequence(
            {
                "account": ctx.name,
                "anchor_message_id": action.anchor_message_id,
                "thread_key": thread.key,
                "subject": thread.subject,
                "state": SequenceState.WAITING,
                "touches_sent": 0,
                "last_touch_at": action.last_touch_at,
                "next_due_at": action.next_due_at,
                "seen_ids": thread.message_ids,
                "participants": thread.participants(ctx.view.user_addresses()),
                "reason": action.reason,
                "created_at": now,
                "updated_at": now,
            },
            Event.TRACK,
        )
        ctx.audit(
            "track",
            sequence_id=seq_id,
            message_id=action.anchor_message_id,
            after=SequenceState.WAITING,
            reason=action.reason,
        )


def _pause(ctx: Context, action: Pause) -> None:
    seq = ctx.sequence_row(action.sequence_id)
    with ctx.store.tx():
        ctx.store.update_sequence(
            seq.id,
            {
                "next_due_at": action.until,
                "updated_at": clock.now(),
                "seen_ids": seq.seen_ids | {action.message_id},
                "reason": action.reason,
            },
        )
        ctx.audit(
            "pause",
            sequence_id=seq.id,
            message_id=action.message_id,
            before=seq.state,
            after=seq.state,
            reason=action.reason,
        )


def _touched(ctx: Context, mailbox: Mailbox, action: Touched) -> None:
    seq = ctx.sequence_row(action.sequence_id)
    ours = edits.open_draft(ctx, seq.id)
    written = edits.hand_text(ctx, mailbox, action.message_id) if ours else ""
    drafts.discard_open(ctx, mailbox, seq.id, "you wrote on the thread yourself")
    with ctx.store.tx():
        if ours is not None:
            edits.by_hand(ctx, ours, action.message_id, written, action.at)
        ctx.store.update_sequence(
            seq.id,
            {
                "touches_sent": seq.touches_sent + 1,
                "last_touch_at": action.at,
                "state": SequenceState.WAITING,
                "next_due_at": action.next_due_at,
                "seen_ids": seq.seen_ids | {action.message_id},
                "updated_at": clock.now(),
                "reason": "you wrote on the thread by hand",
            },
            Event.TOUCH_BY_HAND,
        )
        ctx.audit(
            "touch_by_hand",
            actor="user",
            sequence_id=seq.id,
            message_id=action.message_id,
            before=seq.state,
            after=SequenceState.WAITING,
            reason="a message you sent yourself counts as a touch; the clock restarts from it",
        )


def end(
    ctx: Context,
    mailbox: Mailbox,
    sequence_id: int,
    state: SequenceState,
    reason: str,
    message_id: str = "",
    actor: str | None = None,
) -> None:
    """End the sequence (replied, bounced, opted out, exhausted, dismissed) and cancel its drafts;
    an opt-out also keeps its sender from ever being followed up again."""
    seq = ctx.sequence_row(sequence_id)
    drafts.discard_open(ctx, mailbox, sequence_id, reason)
    now = clock.now()
    store = ctx.store
    with store.tx():
        store.update_sequence(
            sequence_id,
            {
                "state": state,
                "next_due_at": None,
                "reason": reason,
                "updated_at": now,
                "seen_ids": seq.seen_ids | ({message_id} if message_id else set()),
            },
            Event.END,
        )
        if state == SequenceState.OPTED_OUT and message_id:
            for sender in store.messages_with_ids(ctx.name, [message_id])[:1]:
                store.add_opt_out(ctx.name, sender.header.from_addr, message_id, now.isoformat())
        ctx.audit(
            "end",
            actor=actor,
            sequence_id=sequence_id,
            message_id=message_id,
            before=seq.state,
            after=state,
            reason=reason,
        )
