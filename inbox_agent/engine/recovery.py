"""After a crash inside a send: a row left `sending` is resolved by evidence, never by sending
again blindly. Found in Sent, All Mail or INBOX: it was sent (a thread that ended meanwhile stays
ended). Not found after `RECOVERY_GRACE`: it never left, and it goes back to `pending`."""

from __future__ import annotations

from datetime import timedelta

from inbox_agent import clock
from inbox_agent.engine.outbox import Outbox
from inbox_agent.mail.headers import AGENT_HEADER
from inbox_agent.store import Event, OutboxState
from inbox_agent.sync.mailbox import Mailbox

RECOVERY_GRACE = timedelta(minutes=10)  # how long a receipt copy may take to arrive by SMTP


def recover(outbox: Outbox, mailbox: Mailbox) -> None:
    """Resolve rows left `sending` by a crash: by evidence in the mailbox (our Message-ID or
    header in Sent, All Mail or INBOX), never by sending again blindly."""
    folders = outbox.ctx.view.folders
    places = [folders.all_mail] if folders.all_mail else [folders.sent, folders.inbox]
    for row in outbox.store.outbox(outbox.account.name, (OutboxState.SENDING,)):
        draft = outbox.store.draft(row.draft_id)
        seq = outbox.store.sequence(row.sequence_id)
        if draft is None or seq is None:
            continue
        evidence = any(
            mailbox.search(folder, "Message-ID", row.message_id)
            or mailbox.search(folder, AGENT_HEADER, draft.agent_id)
            for folder in places
        )
        if evidence:
            outbox.mark_sent(seq, draft, row.id, row.updated_at)
            continue
        if clock.now() - row.updated_at < RECOVERY_GRACE:
            continue  # a receipt may still be on its way; look again next poll
        with outbox.store.tx():
            outbox.store.update_outbox(
                row.id,
                {
                    "state": OutboxState.PENDING,
                    "not_before": clock.now(),
                    "updated_at": clock.now(),
                },
                Event.RECOVER,
            )
            outbox.ctx.audit(
                "recover",
                sequence_id=seq.id,
                draft_id=draft.id,
                message_id=row.message_id,
                before=OutboxState.SENDING,
                after=OutboxState.PENDING,
                reason="interrupted before SMTP finished and no copy arrived: it never left; sending again",
            )
