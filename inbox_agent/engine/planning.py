"""The one decision (`tracker.decision`) fed from the store: this account's assessments now or as of
an earlier moment, the actions of a cycle, one sequence's thread for the pre-send re-check, and
when the daemon has work.

Only the facts are gathered here; every rule is in `tracker`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import datetime, timedelta

from inbox_agent import clock
from inbox_agent.cadence import Cadence
from inbox_agent.engine.context import Context, Standing
from inbox_agent.engine.habits import Learned
from inbox_agent.store import ACTIVE_SEQUENCES, OutboxState, SequenceRow, SequenceState, Store
from inbox_agent.tracker import decision
from inbox_agent.tracker.decision import Assessment, Wakeup
from inbox_agent.tracker.replay import Event, as_of
from inbox_agent.tracker.sequence import DISMISS_KEYWORD, FOLLOWUP_KEYWORD, Action
from inbox_agent.tracker.sequence import Context as Facts
from inbox_agent.tracker.threads import Thread, thread_order

log = logging.getLogger(__name__)

FOLLOW_UP, NEVER = "follow_up", "never_follow_up"  # audit actions: the user's say on a message
JUDGED = "judged"  # audit action: the user's words decided a recent message needs no follow-up


def facts(
    ctx: Context, now: datetime | None = None, threads: Iterable[Thread] | None = None
) -> Facts:
    """Everything besides threads and sequences that the decision reads, as it stood at `now`
    (the clock when None); with `threads`, what the bodies and flags say of their messages only
    (what deciding them reads: a lookup by Message-ID, not a scan of the mailbox)."""
    store, name, cadence = ctx.store, ctx.name, ctx.account.cadence
    until = now.isoformat() if now is not None else None
    ids = None if threads is None else {mid for t in threads for mid in t.message_ids}
    standing = _standing(ctx)
    said = standing.said  # the user's say, from the command line or the tray
    flagged = store.message_ids_flagged_with(name, (DISMISS_KEYWORD, FOLLOWUP_KEYWORD), ids)
    return Facts(
        user=ctx.view.user_addresses(),
        now=now or clock.now(),
        cadence=cadence.cadence,
        lookback=cadence.lookback,
        our_ids=standing.ours,
        facts=ctx.view.facts(ids),
        opted_out=standing.opted_out if until is None else frozenset(store.opt_outs(name, until)),
        # flags have no history: a message tagged since is taken as tagged then
        dismissed=frozenset(
            flagged[DISMISS_KEYWORD] | {mid for mid, action in said.items() if action == NEVER}
        ),
        followup=frozenset(
            flagged[FOLLOWUP_KEYWORD] | {mid for mid, action in said.items() if action == FOLLOW_UP}
        ),
        unsure_drafts=ctx.account.tracking.unsure == "draft",
        never=frozenset(ctx.account.tracking.never),
        habits=Learned(ctx, until),
        reads_bodies=True,  # `bodies.read_bodies` reads them before each plan
    )


def pending(ctx: Context) -> list[Thread]:
    """The threads the next plan is handed (`selection` without moving the mark).

    The live threads (mail inside the lookback) and the running sequences' the first time in a
    process, and when the user's addresses or the cadence changed: older threads are history
    and never start a sequence. After that only: the threads with new mail, new
    flags or new facts since the last plan, those whose action failed, and, when any of those
    exist or a sequence changed (an audit row since) or one falls due, the threads of the
    running sequences. A thread no sequence follows gains an action only through new mail,
    flags or facts (time only moves its last message into history), and a running one with
    none of those acts only when it falls due: so this decides what a plan of every thread
    decides (tests/test_incremental_plan.py). Nothing touched: an empty list, and nothing read."""
    view, planned, store = ctx.view, ctx.view.planned, ctx.store
    view.thread_new()  # new rows join their threads and are touched
    planned.touched |= store.take_touched(ctx.name)
    full = planned.full or _inputs(ctx) != planned.inputs
    # a full plan is of the live threads: what was touched outside them is history
    ids = set(planned.retry) if full else planned.touched | planned.retry
    if (
        full
        or ids
        or store.last_audit_id() != planned.audit
        or wakeup(store, ctx.name, cadence=ctx.account.cadence.cadence).due
    ):
        for seq in ctx.sequences(ACTIVE_SEQUENCES):
            ids |= {seq.anchor_message_id, *seq.seen_ids}
    if not full:
        return view.threads_of(ids) if ids else []
    chosen = {t.key: t for t in view.live_threads(_live_since(ctx))}
    chosen.update((t.key, t) for t in view.threads_of(ids))
    return sorted(chosen.values(), key=thread_order)


def _live_since(ctx: Context) -> datetime:
    """A moment before which a thread's mail is history for certain: a thread whose newest
    message is older never starts a sequence (a margin over the lookback, for business days)."""
    lookback = ctx.account.cadence.lookback
    margin = timedelta(days=4 if lookback.unit == "bd" else 1)  # a start before a weekend
    return clock.now() - lookback.span() - margin


def selection(ctx: Context) -> list[Thread]:
    """The threads this cycle plans (see `pending`); what they were is kept in
    `view.planned.last`. Call `planned(ctx)` once their actions are carried out."""
    view = ctx.view
    started, full = time.monotonic(), view.planned.full
    chosen = pending(ctx)
    if full:  # the first plan in this process: nothing was rebuilt to know the threads
        log.info(
            "%s: thread state ready in %.2f s: %d live threads",
            ctx.name,
            time.monotonic() - started,
            len(chosen),
        )
    view.planned.full, view.planned.inputs = False, _inputs(ctx)
    view.planned.touched, view.planned.retry = set(), set()
    view.planned.last = tuple(t.key for t in chosen)
    return chosen


def planned(ctx: Context, failed: Iterable[str] = ()) -> None:
    """The cycle's actions are carried out: the sequences as they are now are seen, and the
    threads of `failed` (Message-IDs) are planned again next time."""
    ctx.view.planned.audit = ctx.store.last_audit_id()
    ctx.view.planned.retry |= set(failed)


def _inputs(ctx: Context) -> tuple[object, ...]:
    # the user's say on a message (`follow-up`, `never`) changes its thread: plan all again
    return (
        ctx.view.user_addresses(),
        ctx.account.cadence,
        ctx.account.tracking,
        frozenset(decisions(ctx).items()),
    )


def decisions(ctx: Context) -> dict[str, str]:
    """The user's say on their messages, kept in the audit log: Message-ID → FOLLOW_UP or NEVER."""
    return _standing(ctx).said


def _standing(ctx: Context) -> Standing:
    """The user's say, our own Message-IDs and the opt-outs, read again only when a row of
    theirs was written since (by this process or another): a plan does not walk the audit log."""
    store, name, kept = ctx.store, ctx.name, ctx.view.planned.standing
    marks = store.standing_marks()
    if kept is None or kept.marks != marks:
        kept = Standing(
            marks,
            store.decided_messages(name, (FOLLOW_UP, NEVER)),
            frozenset(store.our_message_ids(name)),
            frozenset(store.opt_outs(name)),
        )
        ctx.view.planned.standing = kept
    return kept


def assessments(ctx: Context, when: datetime | None = None) -> list[Assessment]:
    """Every thread of the account decided now, or (`when`) as it stood then: the mail dated up
    to `when`, and the sequences rewound through the audit log to that moment."""
    if when is None:
        return decision.assessments(ctx.view.threads(), ctx.sequences(), facts(ctx))
    then = facts(ctx, when)
    threads = ctx.view.threads(when)
    history = [
        Event(
            datetime.fromisoformat(r.at),
            r.action,
            r.sequence_id,
            r.message_id,
            r.state_before,
            r.state_after,
            r.reason,
        )
        for r in ctx.store.audit_rows(ctx.name)
        if r.sequence_id is not None
    ]
    return decision.assessments(threads, as_of(ctx.sequences(), history, threads, then), then)


def plan_for(ctx: Context, threads: list[Thread], sequences: list[SequenceRow]) -> list[Action]:
    """What a cycle carries out: the actions of every thread's assessment (`threads`: those
    `selection` picked; the facts read are theirs)."""
    return [a for x in decided(ctx, threads, sequences) for a in x.actions]


def decided(ctx: Context, threads: list[Thread], sequences: list[SequenceRow]) -> list[Assessment]:
    """The assessments a cycle acts on, of `threads` (those `selection` picked)."""
    if not threads:
        return []
    return decision.assessments(threads, sequences, facts(ctx, threads=threads))


def assessment_of(ctx: Context, seq: SequenceRow) -> Assessment | None:
    """The assessment of the thread one running sequence follows, from the mail as synced now
    (the pre-send re-check); None when its message is no longer in the mailbox."""
    found = ctx.view.threads_of([seq.anchor_message_id, *sorted(seq.seen_ids)])
    thread = next((t for t in found if seq.anchor_message_id in t.message_ids), None)
    thread = thread or (found[0] if found else None)
    return decision.assess(thread, [seq], facts(ctx, threads=[thread])) if thread else None


def wakeup(
    store: Store, account: str, now: datetime | None = None, cadence: Cadence | None = None
) -> Wakeup:
    """What the daemon has due now for `account`, and when the next things fall due (read from
    the store alone: the daemon asks every minute, `status` and the tray show it); with the
    account's `cadence`, the expiry of a nudge left waiting for approval too."""
    return decision.next_wakeup(
        store.sequences(account, (SequenceState.WAITING, SequenceState.AWAITING_APPROVAL)),
        [(r.id, r.not_before) for r in store.outbox(account, (OutboxState.PENDING,))],
        now or clock.now(),
        cadence,
    )
