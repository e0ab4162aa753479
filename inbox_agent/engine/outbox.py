"""Between an approved or scheduled nudge and the recipient's INBOX: exactly once, or not at all.

The order of a send, each step committed before the next:
1. re-sync every watched folder and re-plan the thread: any reply, bounce, out-of-office or
   opt-out since the last touch cancels the send, removes our draft and says why;
2. find the draft in Drafts (`copies.identify`: ours, or the user's edit of it, whose text is
   what goes). Deleted in the mail client: the touch is skipped. Open in the mail client, or
   unclear: waited for, never guessed. New recipients or a new subject: refused, and said;
3. the SMTP session opens (connect, STARTTLS, sign-in), then the folders are re-synced and the
   draft looked at once more, so that nothing but that stands between a reply and the submission;
4. the outbox row goes `sending` with the Message-ID it will carry, then MAIL/RCPT/DATA, with
   the user's own address on the envelope as a delivery receipt;
5. the row goes `sent`, the sequence moves on; then the Sent copy (looked for first), the
   receipt copy and every copy of this nudge in Drafts (and no other draft) are tidied away.

After a crash a row left `sending` is resolved by evidence (`recovery.recover`); until then,
approving its draft is refused.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage

from inbox_agent import clock, window
from inbox_agent.config import secrets
from inbox_agent.engine import copies, drafts, edits
from inbox_agent.engine.apply import apply
from inbox_agent.engine.bodies import read_bodies
from inbox_agent.engine.context import Context
from inbox_agent.engine.planning import assessment_of
from inbox_agent.engine.report import TickReport
from inbox_agent.errors import SafetyStop, SendRefused
from inbox_agent.mail import compose
from inbox_agent.mail.headers import AGENT_HEADER, Header
from inbox_agent.mail.quote import split_reply
from inbox_agent.sender.smtp import SendFailure, Submission
from inbox_agent.store import (
    ACTIVE_SEQUENCES,
    OPEN_DRAFTS,
    DraftRow,
    DraftState,
    Event,
    OutboxRow,
    OutboxState,
    SequenceChanges,
    SequenceRow,
    SequenceState,
)
from inbox_agent.sync.failures import ACTION_ERRORS, EDGE_ERRORS
from inbox_agent.sync.mailbox import Mailbox
from inbox_agent.tracker.sequence import End, Pause, Touched

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
WAIT_AGAIN = timedelta(minutes=15)  # a scheduled nudge whose draft is open in the mail client


def _ago(span: timedelta) -> str:
    """How long ago, for a reason line: "3 h 20 min", "12 min"."""
    minutes = int(span.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def backoff(attempts: int) -> timedelta:
    """2, 4, 8, 16 … minutes, at most an hour."""
    return timedelta(minutes=min(60, 2**attempts))


class Outbox:
    """The send path of one account."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.store = ctx.store
        self.account = ctx.account

    def flush(
        self, mailbox: Mailbox, report: TickReport, watching_since: datetime | None = None
    ) -> None:
        """Send every scheduled nudge whose time has come; re-slot those that missed their window
        (a laptop that slept through it) instead of sending at night or in a burst. A send whose
        time came before `watching_since` (the daemon was stopped, the computer asleep, or
        sending paused) is not sent unseen: it gets a new undo window from now, and the tray
        tells it again (`run --once` passes no `watching_since`: it sends what is due)."""
        now = clock.now()
        pol = self.account.sending.policy()
        for row in self.store.outbox(self.account.name, (OutboxState.PENDING,)):
            if row.not_before > now:
                continue
            draft = self.store.draft(row.draft_id)
            if draft is None:
                continue
            sent = self.store.sent_times(
                self.account.name, (now - timedelta(days=1)).isoformat(), pending=False
            )
            if watching_since is not None and row.not_before < watching_since:
                unseen = _ago(now - row.not_before)
                self._reslot(
                    row,
                    window.schedule(now + pol.undo, sent, pol),
                    f"its time came {unseen} ago while inbox-agent was not watching (stopped, "
                    "asleep or paused): a new undo window",
                )
                continue
            allowed = window.schedule(now, sent, pol)
            if allowed > now + timedelta(seconds=1):
                self._reslot(row, allowed, "outside the send window or over the sending caps")
                continue
            try:
                self.send(mailbox, draft)
                report.counts[OutboxState.SENT] += 1
            except copies.Waiting as wait:  # open in the mail client: not skipped, tried later
                self._reslot(row, now + WAIT_AGAIN, str(wait))
            except SafetyStop as stop:
                log.info("%s: %s", self.account.name, stop)
                report.counts["cancelled"] += 1
            except ACTION_ERRORS as exc:  # one send costs itself; SendFailure is recorded
                log.error("%s: send failed: %s", self.account.name, exc)
                report.counts["failed"] += 1
                if isinstance(exc, SendRefused):  # the user must act: told, not just logged
                    report.refused = exc
                self.ctx.view.recheck_folders()

    def _reslot(self, row: OutboxRow, when: datetime, why: str) -> None:
        log.info("%s: send %s moved: %s", self.account.name, row.message_id, why)
        with self.store.tx():
            self.store.update_outbox(row.id, {"not_before": when, "updated_at": clock.now()})
            self.ctx.audit(
                "reschedule",
                sequence_id=row.sequence_id,
                draft_id=row.draft_id,
                message_id=row.message_id,
                reason=f"{why}; now at {when:%Y-%m-%d %H:%M} UTC",
            )

    def _audit(
        self,
        action: str,
        seq: SequenceRow,
        draft: DraftRow,
        reason: str,
        before: str = "",
        after: str = "",
    ) -> None:
        """One audit row about this draft; call inside the transaction of the change."""
        self.ctx.audit(
            action,
            sequence_id=seq.id,
            draft_id=draft.id,
            message_id=draft.message_id,
            before=before,
            after=after,
            reason=reason,
        )

    # -- the send ----------------------------------------------------------------------------------
    def presend_check(self, mailbox: Mailbox, sequence_id: int) -> str:
        """Re-sync every watched folder now; any news on the thread cancels the send and says why."""
        ctx = self.ctx
        ctx.view.sync(mailbox)
        read_bodies(ctx, mailbox)
        seq = ctx.sequence_row(sequence_id)
        if seq.state not in ACTIVE_SEQUENCES:
            return f"the thread is {seq.state}"
        found = assessment_of(ctx, seq)
        for action in found.actions if found else ():
            if isinstance(action, End | Pause | Touched):
                apply(ctx, mailbox, action, TickReport())
                return (
                    "you wrote on the thread yourself"
                    if isinstance(action, Touched)
                    else action.reason
                )
        return ""

    def send(self, mailbox: Mailbox, draft: DraftRow) -> None:
        """Send one nudge, or raise SafetyStop saying why it must not go."""
        ctx = self.ctx
        if any(o.draft_id == draft.id for o in self.store.outbox(ctx.name, (OutboxState.SENDING,))):
            raise SafetyStop(
                "not sent: an earlier attempt was cut off during SMTP; the next cycle looks for "
                "its copy and sends it only if it never left"
            )
        reason = self.presend_check(mailbox, draft.sequence_id)
        if reason:
            raise SafetyStop(f"not sent: {reason}")
        copy, copies_of_it = self._copy_to_send(mailbox, draft)
        seq = ctx.sequence_row(draft.sequence_id)
        now = clock.now()
        # the user's text and the quote as they left them: a quote they deleted stays deleted
        own, quote = split_reply(copy.body())
        msg = compose.build(
            anchor=self._anchor(seq),
            user=ctx.view.user_addresses(),
            from_addr=self.account.email,
            from_name=self.account.display_name,
            body=own or draft.body,
            when=now,
            agent_id=draft.agent_id,
            message_id=draft.message_id,
            html=draft.html,
            quote=quote,
        )
        if set(compose.recipients(self._anchor(seq), ctx.view.user_addresses()).all) - set(
            draft.recipients
        ):
            raise SafetyStop(
                "not sent: the thread's recipients changed since the draft; draft it again"
            )
        session = Submission(self.account, secrets.require_secret(self.account.name, "smtp"))
        try:
            try:
                session.open()  # connect and sign in first: the re-sync below is the last step
            except SendFailure as exc:
                self._failed(seq, draft, self._mark_sending(seq, draft, now), exc)
                raise
            reason = self.presend_check(mailbox, draft.sequence_id)
            if reason:
                raise SafetyStop(f"not sent: {reason}")
            if self._copy_to_send(mailbox, draft)[0] != copy:  # deleted or edited meanwhile
                raise copies.Waiting(
                    "not sent: the draft changed in your mail client just now; approve again"
                )
            outbox_id = self._mark_sending(seq, draft, now)
            try:
                refused = session.send(msg, receipt_to=self.account.email)
            except SendFailure as exc:
                self._failed(seq, draft, outbox_id, exc)
                self._drop_receipt(mailbox, draft)
                raise
        finally:
            session.close()
        note = (
            "; refused: " + ", ".join(f"{a} ({why})" for a, why in refused.items())
            if refused
            else ""
        )
        self.mark_sent(seq, draft, outbox_id, now, note, written=own)
        self._tidy(mailbox, msg, draft, copies_of_it, now)

    def _copy_to_send(
        self, mailbox: Mailbox, draft: DraftRow
    ) -> tuple[copies.Copy, tuple[int, ...]]:
        """The copy in Drafts this send is of, or why there is none to send: a deleted draft
        skips the touch; one open in the mail client, or an unclear one, is waited for."""
        found = copies.identify(self.ctx, mailbox, draft, record=True)
        if found.state in ("deleted", "gone"):
            self.skip_touch(draft, f"{found.reason}; this touch is skipped")
            raise SafetyStop(f"not sent: {found.reason}; this touch is skipped")
        if found.copy is None:
            raise copies.Waiting(f"not sent: {found.reason}")
        changed = copies.changes(found.copy, draft)
        if changed and drafts.hand_back(self.ctx, draft, changed):  # a scheduled send
            raise SendRefused(f"not sent: {changed}", "the draft is back in your approval queue")
        if changed:
            raise SafetyStop(f"not sent: {changed}")
        return found.copy, found.tidy

    def _mark_sending(self, seq: SequenceRow, draft: DraftRow, now: datetime) -> int:
        row = self._send_of(draft)
        with self.store.tx():
            if row is None:
                outbox_id = self.store.add_outbox(
                    {
                        "account": self.account.name,
                        "draft_id": draft.id,
                        "sequence_id": seq.id,
                        "message_id": draft.message_id,
                        "state": OutboxState.SENDING,
                        "not_before": now,
                        "attempts": 1,
                        "created_at": now,
                        "updated_at": now,
                    },
                    Event.SEND,
                )
            else:
                outbox_id = row.id
                self.store.update_outbox(
                    outbox_id,
                    {"state": OutboxState.SENDING, "attempts": row.attempts + 1, "updated_at": now},
                    Event.SEND,
                )
            self._audit(
                "sending",
                seq,
                draft,
                reason=f"to {', '.join(draft.recipients)}",
                before=seq.state,
                after=seq.state,
            )
        return outbox_id

    def _send_of(self, draft: DraftRow) -> OutboxRow | None:
        return next(
            (o for o in self.store.outbox(self.account.name) if o.draft_id == draft.id), None
        )

    def _failed(self, seq: SequenceRow, draft: DraftRow, outbox_id: int, exc: SendFailure) -> None:
        """A permanent refusal goes back to the user's queue; a passing one is retried later."""
        row = next(o for o in self.store.outbox(self.account.name) if o.id == outbox_id)
        now = clock.now()
        give_up = exc.permanent or row.attempts >= MAX_ATTEMPTS
        queued = SequenceState.AWAITING_APPROVAL
        with self.store.tx():
            if give_up:
                self.store.update_outbox(
                    outbox_id,
                    {"state": OutboxState.FAILED, "last_error": str(exc), "updated_at": now},
                    Event.SEND_FAILED,
                )
                drafts.requeue(self.ctx, seq, draft, now)
            else:
                self.store.update_outbox(
                    outbox_id,
                    {
                        "state": OutboxState.PENDING,
                        "not_before": now + backoff(row.attempts),
                        "last_error": str(exc),
                        "updated_at": now,
                    },
                    Event.RETRY,
                )
            self._audit(
                "send_failed",
                seq,
                draft,
                reason=f"{exc}; {'back in your approval queue' if give_up else 'will retry'}",
                before=seq.state,
                after=queued if give_up else seq.state,
            )

    def mark_sent(
        self,
        seq: SequenceRow,
        draft: DraftRow,
        outbox_id: int,
        at: datetime,
        note: str = "",
        written: str = "",
    ) -> None:
        """Record a send: the touch counts and the sequence waits for the next one. A thread
        that ended while an interrupted send was being resolved stays ended. `written`: the
        user's own text as it went out, learned from when they changed our draft."""
        stamp = clock.now()
        with self.store.tx():
            edits.at_send(self.ctx, draft, written, at)
            self.store.update_outbox(
                outbox_id, {"state": OutboxState.SENT, "updated_at": stamp}, Event.SENT
            )
            if draft.state in OPEN_DRAFTS:
                self.store.update_draft(
                    draft.id, {"state": DraftState.SENT, "updated_at": stamp}, Event.SENT
                )
            after = self._touch_counted(
                seq,
                Event.SENT,
                at,
                {
                    "last_touch_at": at,
                    "seen_ids": seq.seen_ids | {draft.message_id},
                    "reason": f"touch {seq.touches_sent + 1} sent",
                },
            )
            if after != SequenceState.WAITING:
                note += f"; the thread had ended meanwhile ({seq.state}) and stays ended"
            self._audit(
                "sent",
                seq,
                draft,
                reason=f"touch {seq.touches_sent + 1} sent to {', '.join(draft.recipients)}{note}",
                before=seq.state,
                after=after,
            )

    def _touch_counted(
        self, seq: SequenceRow, event: Event, at: datetime, changes: SequenceChanges
    ) -> SequenceState:
        """The touch counts: an active sequence waits for the next one, due counted from `at`
        (with `changes` besides); an ended one stays as it is. The state it is left in; call
        inside the transaction of the change."""
        if seq.state not in ACTIVE_SEQUENCES:
            return seq.state
        touches = seq.touches_sent + 1
        changes = {
            **changes,
            "state": SequenceState.WAITING,
            "touches_sent": touches,
            "next_due_at": self.account.cadence.cadence.due_after(touches, at),
            "updated_at": clock.now(),
        }
        self.store.update_sequence(seq.id, changes, event)
        return SequenceState.WAITING

    def _tidy(
        self,
        mailbox: Mailbox,
        msg: EmailMessage,
        draft: DraftRow,
        copies_of_it: tuple[int, ...],
        now: datetime,
    ) -> None:
        """After the commit: the Sent copy (looked for first), the receipt copy, and every copy
        of this nudge in Drafts (ours and the user's edit, now sent), and no other draft."""
        folders = self.ctx.view.folders
        try:
            if not self.account.smtp_saves_sent and not mailbox.search(
                folders.sent, "Message-ID", draft.message_id
            ):
                mailbox.append(folders.sent, msg.as_bytes(policy=policy.SMTP), ["\\Seen"], now)
            self._drop_receipt(mailbox, draft)
            for uid in copies_of_it:  # as seen before the send: a UID's content never changes
                mailbox.delete(draft.folder, uid)
        except EDGE_ERRORS as exc:  # the send stands; tidying can wait
            log.warning("%s: sent, but could not tidy Sent/Drafts: %s", self.account.name, exc)

    def _drop_receipt(self, mailbox: Mailbox, draft: DraftRow) -> None:
        """Remove the envelope receipt from INBOX: by Message-ID, or by our header where the
        provider rewrote the Message-ID."""
        inbox = self.ctx.view.folders.inbox
        try:
            found = mailbox.search(inbox, "Message-ID", draft.message_id)
            found += mailbox.search(inbox, AGENT_HEADER, draft.agent_id)
            for receipt in dict.fromkeys(found):
                mailbox.delete(inbox, receipt)
        except EDGE_ERRORS as exc:
            log.warning("%s: could not remove a receipt copy: %s", self.account.name, exc)

    def skip_touch(self, draft: DraftRow, reason: str) -> None:
        """This touch will not be sent, and the sequence moves on to the next one. A draft still
        open (the user deleted it before its send) is marked gone; a withdrawn one stays as it is."""
        seq = self.ctx.sequence_row(draft.sequence_id)
        now = clock.now()
        with self.store.tx():
            current = self.store.draft(draft.id)
            if current is not None and current.state in OPEN_DRAFTS:
                self.store.update_draft(
                    draft.id, {"state": DraftState.GONE, "updated_at": now}, Event.SKIP
                )
            after = self._touch_counted(seq, Event.SKIP, now, {"reason": reason})
            self._audit(
                "skip",
                seq,
                draft,
                reason=reason,
                before=seq.state,
                after=after,
            )

    def _anchor(self, seq: SequenceRow) -> Header:
        found = self.store.messages_with_ids(self.account.name, [seq.anchor_message_id])
        if not found:
            raise SafetyStop("not sent: the original message is no longer in the mailbox")
        return found[0].header
