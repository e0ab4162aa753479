"""Our drafts in the user's Drafts folder: finding them, removing them, recovering after a crash.

A draft the user touched is theirs: it is never overwritten or deleted. Ours are recognised by the
UID we stored, our Message-ID and our `X-Inbox-Agent-Id` header; an edited copy that a mail client
saved as a new message is found by its In-Reply-To the thread's original.
"""

from __future__ import annotations

import hashlib

from inbox_agent import clock
from inbox_agent.engine.context import Context
from inbox_agent.engine.schedule import send_time
from inbox_agent.gate import DRAFT_STATE, SEQUENCE_STATE
from inbox_agent.mail.headers import AGENT_HEADER
from inbox_agent.store import OPEN_DRAFTS, DraftRow, DraftState, Event, OutboxState, SequenceState
from inbox_agent.sync.mailbox import Mailbox

Found = tuple[int, bytes, tuple[str, ...]]  # UID, raw message, flags
_WITHDRAWN = {Event.CANCEL: DraftState.CANCELLED, Event.REJECT: DraftState.REJECTED}


def normalized_sha256(raw: bytes) -> str:
    """A hash that survives the line-ending rewrites servers make to stored messages."""
    return hashlib.sha256(raw.replace(b"\r\n", b"\n").rstrip()).hexdigest()


def unchanged(raw: bytes, draft: DraftRow) -> bool:
    return normalized_sha256(raw) == draft.raw_sha256


def locate(ctx: Context, mailbox: Mailbox, draft: DraftRow) -> Found | None:
    """Our draft in Drafts: by UID, Message-ID or our header; else the user's replacement of
    it (mail clients save an edited draft as a new message replying to the same original)."""
    folder = draft.folder
    uids = [draft.uid] if draft.uid else []
    uids += mailbox.search(folder, "Message-ID", draft.message_id)
    uids += mailbox.search(folder, AGENT_HEADER, draft.agent_id)
    seq = ctx.store.sequence(draft.sequence_id)
    if seq is not None:
        uids += sorted(mailbox.search(folder, "In-Reply-To", seq.anchor_message_id), reverse=True)
    for uid in dict.fromkeys(uids):
        fetched = mailbox.fetch_raw(folder, uid)
        if fetched and (
            uid == draft.uid
            or "\\Draft" in fetched.flags
            or draft.message_id.encode() in fetched.data
        ):
            return uid, fetched.data, fetched.flags
    return None


def remove(ctx: Context, mailbox: Mailbox, draft: DraftRow, event: Event, reason: str) -> None:
    """Withdraw our draft (`event` is CANCEL or REJECT) and any send scheduled for it: deleted
    from Drafts, unless the user changed it: then it is theirs to keep."""
    found = locate(ctx, mailbox, draft)
    action, note, new_state = "draft_removed", reason, _WITHDRAWN[event]
    if found is None:
        new_state = DraftState.GONE
        note = f"{reason}; the draft was already gone from {draft.folder}"
    elif not unchanged(found[1], draft) or "\\Draft" not in found[2]:
        action, note = (
            "draft_kept",
            f"{reason}; you edited the draft, so it stays in {draft.folder}",
        )
    else:
        mailbox.delete(draft.folder, found[0])
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
