"""The user's edits of our nudges, recorded where they happen, for the voice to learn from.

Two places: a send of a draft the user changed in their mail client (`at_send`, written in the
transaction that records the send, so a send that fails learns nothing), and a follow-up they
wrote by hand while our draft of that touch was open (`by_hand`, in the transaction of the
hand touch). A draft sent untouched, or rejected with nothing written instead, records nothing.
With `[voice] learn_from_edits = false` nothing is recorded.
"""

from __future__ import annotations

from datetime import datetime

from inbox_agent.drafter import similarity
from inbox_agent.engine.context import Context
from inbox_agent.store import OPEN_DRAFTS, DraftRow
from inbox_agent.sync.mailbox import Mailbox

EDITED_SIMILARITY = 0.5  # at least this alike: they changed our draft; less: they wrote their own


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def at_send(ctx: Context, draft: DraftRow, written: str, at: datetime) -> None:
    """Record the user's change to this draft, if they made one; call inside the send's tx."""
    if not ctx.account.learn_from_edits or not written.strip() or _same(written, draft.body):
        return
    _add(ctx, draft, draft.message_id, "edited", written, at)


def open_draft(ctx: Context, sequence_id: int) -> DraftRow | None:
    """The draft of this sequence still waiting to go out (the one a hand follow-up replaces)."""
    return next(
        (d for d in ctx.store.drafts(ctx.name, OPEN_DRAFTS) if d.sequence_id == sequence_id), None
    )


def hand_text(ctx: Context, mailbox: Mailbox, message_id: str) -> str:
    """The new text of a message the user wrote; "" when it cannot be read."""
    from inbox_agent.mail.body import text_of  # mail-parser: only needed here

    if not ctx.account.learn_from_edits:
        return ""
    place = ctx.store.locate(ctx.name, [message_id]).get(message_id)
    if place is None:
        return ""
    raw = mailbox.fetch_bodies(place[0], [place[1]]).get(place[1], b"")
    return text_of(raw) if raw else ""


def by_hand(ctx: Context, draft: DraftRow, message_id: str, written: str, at: datetime) -> None:
    """Record a hand follow-up written instead of our draft; call inside the hand touch's tx."""
    if not ctx.account.learn_from_edits or not written.strip() or _same(written, draft.body):
        return
    kind = "edited" if similarity(draft.body, written) >= EDITED_SIMILARITY else "replaced"
    _add(ctx, draft, message_id, kind, written, at)


def _add(
    ctx: Context, draft: DraftRow, message_id: str, kind: str, written: str, at: datetime
) -> None:
    ctx.store.add_edit(
        {
            "account": ctx.name,
            "draft_id": draft.id,
            "message_id": message_id,
            "kind": kind,
            "recipients": draft.recipients,
            "subject": draft.subject,
            "drafted": draft.body.strip(),
            "written": written.strip(),
            "at": at.isoformat(),
        }
    )
