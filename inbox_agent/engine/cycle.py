"""One account's cycle: recover what a crash left, sync, read bodies, plan, act, send.

Each planned action is carried out behind one boundary: an action that the mail server or the
network refuses costs that action only (logged with what failed), never the rest of the cycle,
the sends included. The boundary catches `sync.failures.ACTION_ERRORS`, the error tree's mail
errors plus what the IMAP edge raises untranslated (a NO to an APPEND, a dropped connection);
a bug or a keyring that will not open still stops the cycle, to be told. After a failure the
special folders are looked up again at the next session, so a Drafts folder that was deleted
becomes FolderMissing there, told at once, instead of a refused APPEND every cycle.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from inbox_agent.engine import drafts, recovery
from inbox_agent.engine.apply import apply
from inbox_agent.engine.bodies import read_bodies
from inbox_agent.engine.context import Context
from inbox_agent.engine.nudge import read_ahead
from inbox_agent.engine.outbox import Outbox
from inbox_agent.engine.planning import JUDGED, decided, planned, selection
from inbox_agent.engine.report import TickReport, Undecided
from inbox_agent.sync.failures import ACTION_ERRORS
from inbox_agent.sync.mailbox import Mailbox
from inbox_agent.tracker import Assessment
from inbox_agent.tracker.sequence import Action, Due, Start
from inbox_agent.tracker.threads import last_human

log = logging.getLogger(__name__)

# Nudges drafted in one cycle; the others are planned again in the cycles that follow at once
# (the daemon polls again when some were left). A first run on a mailbox with many threads due
# writes their drafts over a few cycles, each of them bounded, so that the first one, the
# baseline, costs about what a sync costs, and other accounts' cycles come in between.
DRAFTS_PER_CYCLE = 25
# Bodies read and judged in one cycle: whole threads, the most urgent first (`bodies_needed`).
# A thread whose mail is not read yet waits for a later cycle (`tracker.Context.reads_bodies`),
# which follows at once (`TickReport.again`).
BODIES_PER_CYCLE = 100


def tick(ctx: Context, watching_since: datetime | None = None) -> TickReport:
    """One cycle, on the account's session (`MailView.using`: a kept one found dead is
    replaced once). `watching_since`: when the daemon last started watching (it started, the
    computer woke, the user resumed it); a send whose time came before then gets a new undo
    window (`Outbox.flush`)."""
    return ctx.view.using(lambda mailbox: _tick(ctx, mailbox, watching_since))


def _tick(ctx: Context, mailbox: Mailbox, watching_since: datetime | None) -> TickReport:
    report = TickReport()
    outbox = Outbox(ctx)
    started = time.monotonic()

    def step(name: str) -> None:  # how long each step took, for the log line
        nonlocal started
        now = time.monotonic()
        report.steps[name] = now - started
        started = now

    recovery.recover(outbox, mailbox)
    drafts.recover(ctx, mailbox)
    step("recovery")
    report.new_messages = ctx.view.sync(mailbox)
    step("sync")
    report.bodies_read = read_bodies(ctx, mailbox, limit=BODIES_PER_CYCLE)
    step("threading and bodies")
    act(ctx, mailbox, report)
    step("planning and drafting")
    outbox.flush(mailbox, report, watching_since)
    step("sending")
    return report


def act(ctx: Context, mailbox: Mailbox, report: TickReport) -> None:
    """Carry out everything the planner decides now, each action on its own, the first
    `DRAFTS_PER_CYCLE` nudges due among them (the rest are planned again next cycle). The
    planner is handed the threads touched since it last planned (`planning.selection`): a poll
    that found nothing plans nothing. The threads it left for the user to decide are kept for
    the tray."""
    failed: list[str] = []
    chosen = selection(ctx)
    found = decided(ctx, chosen, ctx.sequences()) if chosen else []
    user = ctx.view.user_addresses()
    report.decided = frozenset(t.key for t in chosen)
    report.undecided = tuple(
        Undecided(
            ctx.name,
            x.thread.key,
            x.thread.subject,
            ", ".join(x.thread.participants(user)),
            x.reason,
        )
        for x in found
        if x.state == "unsure"
    )
    judged(ctx, found)
    for x in found:  # decided once their mail is read: the next cycle reads the next bodies
        if x.unread:
            report.counts["unread"] += 1
            failed += x.thread.message_ids
    actions = [a for x in found for a in x.actions]
    dues = [a for a in actions if isinstance(a, Due)]
    later = {id(a) for a in dues[DRAFTS_PER_CYCLE:]}
    dues = dues[:DRAFTS_PER_CYCLE]
    for action in actions:
        if id(action) in later:  # planned again at the next cycle, which comes at once
            report.counts["deferred"] += 1
            failed += _ids(ctx, action)
            continue
        try:
            if isinstance(action, Due):  # the bodies of the next due threads, read at once
                read_ahead(ctx, mailbox, dues)
                dues.remove(action)
            apply(ctx, mailbox, action, report)
        except ACTION_ERRORS as exc:
            log.error(
                "%s: %s failed; the rest of the cycle goes on: %s", ctx.name, _what(action), exc
            )
            report.counts["failed"] += 1
            ctx.view.recheck_folders()
            failed += _ids(ctx, action)
    planned(ctx, failed)


def judged(ctx: Context, found: list[Assessment]) -> None:
    """One audit row each time the verdict on the user's recent last message changes what is
    done with its thread: no follow-up ("no"), or left for the user to decide ("unsure"), with
    the reason that quotes their words. A verdict that starts a sequence is in its `track` row;
    one that stays the same from poll to poll writes nothing again."""
    rows = [
        (last.message_id, x.verdict.outcome.value, x.reason)
        for x in found
        if x.judged and x.verdict is not None and (last := last_human(x.thread)) is not None
    ]
    if not rows:
        return
    known = ctx.store.latest_audit(ctx.name, JUDGED)
    with ctx.store.tx():
        for message_id, outcome, reason in rows:
            if known.get(message_id) != (outcome, reason):
                ctx.audit(JUDGED, message_id=message_id, after=outcome, reason=reason)


def _ids(ctx: Context, action: Action) -> list[str]:
    """Message-IDs that find the action's thread again, to plan it again next cycle."""
    if isinstance(action, Start | Due):
        return list(action.thread.message_ids)
    seq = ctx.store.sequence(action.sequence_id)
    return [seq.anchor_message_id] if seq else []


def _what(action: Action) -> str:
    """The action in a log line: its kind and the thread or sequence it is about."""
    if isinstance(action, Start | Due):
        return f"{type(action).__name__} ({action.thread.subject!r})"
    return f"{type(action).__name__} (sequence {action.sequence_id})"
