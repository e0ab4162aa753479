"""What the user asks of one account, from the CLI or the tray: approve, reject, undo, dismiss,
follow up a thread (or never) whatever its last message's words say, change an autonomy level.
Each opens its own IMAP session where it needs one and acts as `ctx.actor`."""

from __future__ import annotations

from collections.abc import Collection

from inbox_agent import clock, gate
from inbox_agent.engine import drafts
from inbox_agent.engine.apply import end
from inbox_agent.engine.context import Context
from inbox_agent.engine.outbox import Outbox
from inbox_agent.engine.planning import FOLLOW_UP, NEVER
from inbox_agent.errors import NotFound
from inbox_agent.store import (
    ACTIVE_SEQUENCES,
    OPEN_DRAFTS,
    DraftRow,
    DraftState,
    Event,
    OutboxState,
    SequenceState,
)


def queue(ctx: Context) -> list[DraftRow]:
    """The drafts waiting for the user's approval."""
    return ctx.store.drafts(ctx.name, (DraftState.QUEUED,))


def _open_draft(ctx: Context, draft_id: int, states: Collection[DraftState]) -> DraftRow:
    draft = ctx.store.draft(draft_id)
    if draft is None or draft.account != ctx.name:
        raise NotFound(f"no draft with id {draft_id}", "list them with `inbox-agent queue`")
    if draft.state not in states:
        raise NotFound(
            f"draft {draft_id} is {draft.state}, not waiting for you", "see `inbox-agent queue`"
        )
    return draft


def approve(ctx: Context, draft_id: int) -> None:
    draft = _open_draft(ctx, draft_id, (DraftState.QUEUED, DraftState.SAVED))
    with ctx.view.session() as mailbox:
        Outbox(ctx).send(mailbox, draft)


def reject(ctx: Context, draft_id: int, reason: str = "rejected by you") -> None:
    draft = _open_draft(ctx, draft_id, OPEN_DRAFTS)
    with ctx.view.session() as mailbox:
        drafts.remove(ctx, mailbox, draft, Event.REJECT, reason)
        Outbox(ctx).skip_touch(draft, f"{reason}; this touch is skipped")


def undo(ctx: Context, draft_id: int) -> None:
    _open_draft(ctx, draft_id, (DraftState.SCHEDULED,))
    row = next((o for o in ctx.store.outbox(ctx.name) if o.draft_id == draft_id), None)
    if row is None or row.state != OutboxState.PENDING:
        raise NotFound(
            f"draft {draft_id} is no longer waiting to be sent",
            "see `inbox-agent audit --thread`",
        )
    reject(ctx, draft_id, "send undone by you")


def dismiss(ctx: Context, sequence_id: int) -> None:
    seq = ctx.sequence_row(sequence_id)
    if seq.account != ctx.name or seq.state not in ACTIVE_SEQUENCES:
        raise NotFound(
            f"thread {sequence_id} is not being followed up", "see `inbox-agent threads`"
        )
    with ctx.view.session() as mailbox:
        end(ctx, mailbox, sequence_id, SequenceState.DISMISSED, "dismissed by you")


def decide(ctx: Context, thread: str, follow: bool) -> str:
    """Follow up the thread (by its id or any Message-ID in it) from its last message of the
    user's, or never; kept in the audit log, which planning reads. Returns the Message-ID."""
    from inbox_agent.tracker.threads import last_human

    found = ctx.view.index().thread_of(thread)
    last = last_human(found) if found else None
    if found is None or last is None or last.from_addr not in ctx.view.user_addresses():
        raise NotFound(
            f"no thread {thread} whose last message is yours",
            "see `inbox-agent threads --unsure` for the threads that wait for your decision",
        )
    with ctx.store.tx():
        ctx.audit(
            FOLLOW_UP if follow else NEVER,
            message_id=last.message_id,
            reason="you asked to follow it up" if follow else "you asked never to follow it up",
        )
    return last.message_id


def set_autonomy(ctx: Context, scope: str, level: str) -> None:
    kind, value = gate.parse_scope(scope)
    gate.check_level(level)
    canonical = "default" if kind == "default" else f"{kind}:{value}"
    before = dict(ctx.rules().listing()).get(canonical, "")
    with ctx.store.tx():
        ctx.store.set_autonomy(ctx.name, canonical, level, clock.now().isoformat())
        ctx.audit(
            "autonomy",
            sequence_id=int(value) if kind == "thread" and value.isdigit() else None,
            before=before,
            after=level,
            reason=f"{canonical} set to {level}",
        )
