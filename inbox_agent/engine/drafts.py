"""Our drafts in the user's Drafts folder: finding them, removing them, recovering after a crash.

A draft the user touched is theirs: it is never overwritten, and deleted only after its own text
was sent. Which message in Drafts is our draft (or the user's edit of it) is decided in
`copies.identify`, never by In-Reply-To alone.
"""

from __future__ import annotations

from datetime import datetime

from inbox_agent import clock
from inbox_agent.engine.context import Context
from inbox_agent.engine.copies import Identity, identify
from inbox_agent.engine.schedule import send_time
from inbox_agent.gate import DRAFT_STATE, SEQUENCE_STATE
from inbox_agent.store import (
    OPEN_DRAFTS,
    DraftRow,
    DraftState,
    Event,
    OutboxState,
    SequenceRow,
    SequenceState,
)
from inbox_agent.sync.mailbox import Mailbox
from inbox_agent.tracker.sequence import asked_from

Found = tuple[int, bytes, tuple[str, ...]]  # UID, raw message, flags
_WITHDRAWN = {Event.CANCEL: DraftState.CANCELLED, Event.REJECT: DraftState.REJECTED}


def locate(ctx: Context, mailbox: Mailbox, draft: DraftRow) -> Found | None:
    """The copy in Drafts that is this nudge (ours, or the user's edit of it), if there is one."""
    copy = identify(ctx, mailbox, draft).copy
    return None if copy is None else (copy.uid, copy.raw, copy.flags)


def remove(ctx: Context, mailbox: Mailbox, draft: DraftRow, event: Event, reason: str) -> None:
    """Withdraw our draft (`event` is CANCEL or REJECT) and any send scheduled for it: deleted
    from Drafts, unless the user changed it: then it is theirs to keep."""
    found: Identity = identify(ctx, mailbox, draft)
    action, note, new_state = "draft_removed", reason, _WITHDRAWN[event]
    copy = found.copy
    if copy is None:
        new_state = DraftState.GONE
        note = f"{reason}; the draft was already gone from {draft.folder}"
    elif found.state != "ours" or not any(f.lower() == "\\draft" for f in copy.flags):
        action, note = (
            "draft_kept",
            f"{reason}; you edited the draft, so it stays in {draft.folder}",
        )
    else:
        mailbox.delete(draft.folder, copy.uid)
    now = clock.now()
    store = ctx.store
    with store.tx():
        store.update_draft(draft.id, {"state": new_state, "updated_at": now}, event)
        for row in store.outbox(ctx.name, (OutboxState.PENDING,)):
            if row.draft_id == draft.id:
                store.update_outbox(
                    row.id,
                    {"state": OutboxState.CANCELLED, "updated_at": now, "last_error": reason},
                    Event.CANCEL,
                )
        ctx.audit(
            action,
            sequence_id=draft.sequence_id,
            draft_id=draft.id,
            message_id=draft.message_id,
            before=draft.state,
            after=new_state,
            reason=note,
        )


def hand_back(ctx: Context, draft: DraftRow, why: str) -> bool:
    """The user changed who the draft goes to (or its subject), so it is not sent: recorded, and
    a scheduled send goes back to the approval queue. True when there was one (the caller tells
    the user at once), False for an `approve` (refused on the spot)."""
    store = ctx.store
    seq = ctx.sequence_row(draft.sequence_id)
    pending = [o for o in store.outbox(ctx.name, (OutboxState.PENDING,)) if o.draft_id == draft.id]
    now = clock.now()
    with store.tx():
        for row in pending:
            store.update_outbox(
                row.id,
                {"state": OutboxState.CANCELLED, "last_error": why, "updated_at": now},
                Event.CANCEL,
            )
        after = seq.state
        if pending:
            after = SequenceState.AWAITING_APPROVAL
            requeue(ctx, seq, draft, now)
        ctx.audit(
            "send_refused",
            sequence_id=seq.id,
            draft_id=draft.id,
            message_id=draft.message_id,
            before=seq.state,
            after=after,
            reason=why,
        )
    return bool(pending)


def requeue(ctx: Context, seq: SequenceRow, draft: DraftRow, now: datetime) -> None:
    """A scheduled nudge that will not go by itself goes back to the user's approval queue; its
    wait counts from `now` when that is later than when it was due (`asked_from`). Call inside
    `store.tx()`, with the audit row that says why."""
    ctx.store.update_draft(
        draft.id, {"state": DraftState.QUEUED, "updated_at": now}, Event.SEND_FAILED
    )
    ctx.store.update_sequence(
        seq.id,
        {
            "state": SequenceState.AWAITING_APPROVAL,
            "updated_at": now,
            "next_due_at": asked_from(seq.next_due_at, now),
        },
        Event.SEND_FAILED,
    )


def discard_open(ctx: Context, mailbox: Mailbox, sequence_id: int, reason: str) -> None:
    """Cancel every draft of the sequence that has not gone out yet."""
    for draft in ctx.store.drafts(ctx.name, OPEN_DRAFTS):
        if draft.sequence_id == sequence_id:
            remove(ctx, mailbox, draft, Event.CANCEL, reason)


def recover(ctx: Context, mailbox: Mailbox) -> None:
    """Rows left `saving` by a crash around the APPEND: adopt the draft if it reached Drafts,
    else let the sequence draft it again. Either way nothing is left behind unowned."""
    store = ctx.store
    for row in store.drafts(ctx.name, (DraftState.SAVING,)):
        seq = store.sequence(row.sequence_id)
        uids = mailbox.search(row.folder, "Message-ID", row.message_id)
        now = clock.now()
        with store.tx():
            if uids and seq is not None and seq.state == SequenceState.WAITING:
                level = row.autonomy
                store.update_draft(
                    row.id,
                    {"uid": uids[0], "state": DRAFT_STATE[level], "updated_at": now},
                    Event.DRAFT,
                )
                store.update_sequence(
                    seq.id, {"state": SEQUENCE_STATE[level], "updated_at": now}, Event.DRAFT
                )
                if level == "autopilot":
                    store.add_outbox(
                        {
                            "account": ctx.name,
                            "draft_id": row.id,
                            "sequence_id": seq.id,
                            "message_id": row.message_id,
                            "state": OutboxState.PENDING,
                            "not_before": send_time(ctx, seq, [], row.recipients[0]),
                            "created_at": now,
                            "updated_at": now,
                        },
                        Event.SCHEDULE,
                    )
                ctx.audit(
                    "draft",
                    sequence_id=row.sequence_id,
                    draft_id=row.id,
                    message_id=row.message_id,
                    before=SequenceState.WAITING,
                    after=SEQUENCE_STATE[level],
                    reason="adopted after an interruption",
                )
            else:
                abandon(ctx, row, "interrupted before it reached Drafts; it will be drafted again")


def abandon(ctx: Context, row: DraftRow, why: str) -> None:
    """A draft row whose message never reached Drafts: closed, so that the sequence drafts the
    touch again. Inside the caller's transaction."""
    seq = ctx.store.sequence(row.sequence_id)
    ctx.store.update_draft(
        row.id, {"state": DraftState.ABANDONED, "updated_at": clock.now()}, Event.ABANDON
    )
    ctx.audit(
        "draft_abandoned",
        sequence_id=row.sequence_id,
        draft_id=row.id,
        message_id=row.message_id,
        before=SequenceState.WAITING,
        after=seq.state if seq else "",
        reason=why,
    )
