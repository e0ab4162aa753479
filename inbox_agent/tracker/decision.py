"""The one decision: what a thread is, whether it awaits a reply, why, when it is due, and what to
do about it now. Everything that asks goes through `assess`.

Pure: a thread, the sequences that know it and a `Context` in; an `Assessment` out. `plan()` is
the actions of every thread's assessment (the daemon carries them out); `inbox-agent threads`,
`status`, the tray and the pre-send re-check render or act on the same assessments.
`bodies_needed()` says which bodies the decision reads, `next_wakeup()` when the daemon has
something to do.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from inbox_agent.cadence import Cadence, Gap
from inbox_agent.mail.classify import READ_BY, BodyFacts
from inbox_agent.mail.expects import JUDGED_BY, Verdict
from inbox_agent.mail.headers import Header
from inbox_agent.store import ACTIVE_SEQUENCES, SequenceRow, SequenceState
from inbox_agent.tracker.sequence import (
    Action,
    Context,
    Due,
    End,
    Pause,
    Touched,
    advance,
    expires_at,
    is_due,
)
from inbox_agent.tracker.start import later_than, start
from inbox_agent.tracker.threads import Thread, last_human

_WAITING_FOR = {
    SequenceState.DRAFTED: "is in your Drafts folder, for you to send",
    SequenceState.AWAITING_APPROVAL: "waits for your approval (inbox-agent queue)",
    SequenceState.SCHEDULED: "is scheduled to send",
}


@dataclass(frozen=True)
class Assessment:
    """One thread, decided."""

    thread: Thread
    sequence: (
        SequenceRow | None
    )  # the one following it: the running one, else the latest that ended
    state: str  # the sequence's state; "awaiting", "unsure" (yours to decide), "untracked", or
    #             the ending that came before anything followed it ("bounced", "opted_out")
    awaiting: bool  # a nudge is due now, or one is drafted and waits (for the user, or its time)
    reason: str  # one line a person can check
    due_at: datetime | None  # when the next step falls (or fell) due: a touch, or giving up
    #                          (None: never, unless new mail changes it)
    actions: tuple[Action, ...]  # what to do now
    verdict: Verdict | None = None  # what the user's message said about itself, when it was read:
    #                                 the last one, or the one a running sequence follows
    judged: bool = False  # that verdict (no, unsure) alone keeps the user's recent last message
    #                       from a sequence: the daemon writes it to the audit log when it changes
    unread: int = 0  # messages whose bodies the decision reads and were not read yet: the thread
    #                  starts nothing until they are (`Context.reads_bodies`)


@dataclass(frozen=True)
class _Outlook:
    awaiting: bool
    reason: str
    due_at: datetime | None


def _running(seq: SequenceRow, actions: list[Action], ctx: Context) -> _Outlook:
    """A running sequence, once `actions` (its own) are carried out."""
    for action in actions:
        if isinstance(action, End) and action.sequence_id == seq.id:
            return _Outlook(False, f"{action.reason}: it ends ({action.state})", None)
        if isinstance(action, Pause) and action.sequence_id == seq.id:
            return _Outlook(False, action.reason, action.until)
        if isinstance(action, Touched) and action.sequence_id == seq.id:
            return _Outlook(
                False,
                f"you wrote on the thread yourself; the next touch is due "
                f"{action.next_due_at:%Y-%m-%d %H:%M}",
                action.next_due_at,
            )
    touch, touches = seq.touches_sent + 1, ctx.cadence.touches
    due = seq.next_due_at
    if any(isinstance(a, Due) and a.anchor_message_id == seq.anchor_message_id for a in actions):
        since = f"{seq.last_touch_at:%Y-%m-%d %H:%M}"
        return _Outlook(True, f"touch {touch} of {touches} is due: no answer since {since}", due)
    if seq.state in _WAITING_FOR:
        expiry = expires_at(seq, ctx.cadence)
        until = f"; it expires unsent {expiry:%Y-%m-%d %H:%M}" if expiry else ""
        return _Outlook(True, f"touch {touch} of {touches} {_WAITING_FOR[seq.state]}{until}", due)
    if due is None:
        return _Outlook(False, seq.reason or "nothing is scheduled", None)
    why = f"{seq.reason}; " if seq.reason else ""  # what last happened: a pause, a touch …
    if seq.touches_sent >= touches:
        return _Outlook(False, f"{why}every touch is sent; given up at {due:%Y-%m-%d %H:%M}", due)
    return _Outlook(False, f"{why}touch {touch} of {touches} is due {due:%Y-%m-%d %H:%M}", due)


def assess(thread: Thread, sequences: Iterable[SequenceRow], ctx: Context) -> Assessment:
    """Decide one thread. `sequences` are those that know a message of it (as their anchor or
    a seen message), ended ones too; the others are ignored."""
    ids = set(thread.message_ids)
    known = [s for s in sequences if s.anchor_message_id in ids or s.seen_ids & ids]
    active = [s for s in known if s.state in ACTIVE_SEQUENCES]
    if not active:
        left = unread(thread, ctx)
        if left:  # never decided without the user's words, or an answer's
            shown = _latest(thread, known)
            return Assessment(
                thread,
                shown,
                shown.state if shown else "untracked",
                False,
                f"{left} of its messages not read yet: decided once they are",
                None,
                (),
                unread=left,
            )
        opening = start(thread, known, ctx)
        awaiting = any(isinstance(a, Due) for a in opening.actions)
        shown = None if opening.actions else _latest(thread, known)
        idle = opening.ended or ("unsure" if opening.unsure else "untracked")
        state = shown.state if shown else ("awaiting" if awaiting else idle)
        return Assessment(
            thread,
            shown,
            state,
            awaiting,
            opening.reason,
            opening.due_at,
            opening.actions,
            opening.verdict,
            opening.judged,
        )
    actions = [a for seq in active for a in advance(seq, thread, ctx)]
    outlooks = [_running(seq, actions, ctx) for seq in active]
    primary = _latest(thread, active) or active[-1]
    dues = [o.due_at for o in outlooks if o.due_at is not None]
    return Assessment(
        thread,
        primary,
        primary.state,
        any(o.awaiting for o in outlooks),
        outlooks[active.index(primary)].reason,
        min(dues) if dues else None,
        tuple(actions),
        ctx.fact(primary.anchor_message_id).verdict,
    )


def _latest(thread: Thread, sequences: list[SequenceRow]) -> SequenceRow | None:
    """The sequence anchored latest in the thread (a later one follows a newer message)."""
    for mid in reversed(thread.message_ids):
        for seq in reversed(sequences):
            if seq.anchor_message_id == mid:
                return seq
    return sequences[-1] if sequences else None


def assessments(
    threads: Iterable[Thread], sequences: Iterable[SequenceRow], ctx: Context
) -> list[Assessment]:
    """Every thread decided, in the order given."""
    by_id: dict[str, list[SequenceRow]] = {}
    for seq in sequences:
        for mid in (seq.anchor_message_id, *seq.seen_ids):
            by_id.setdefault(mid, []).append(seq)
    out = []
    for thread in threads:
        mine = {s.id: s for mid in thread.message_ids for s in by_id.get(mid, [])}
        out.append(assess(thread, mine.values(), ctx))
    return out


def plan(
    threads: Iterable[Thread],
    sequences: Iterable[SequenceRow],
    *,
    user: frozenset[str],
    now: datetime,
    cadence: Cadence,
    lookback: Gap,
    our_ids: frozenset[str] = frozenset(),
    facts: Mapping[str, BodyFacts] | None = None,
    opted_out: frozenset[str] = frozenset(),
    dismissed: frozenset[str] = frozenset(),
) -> list[Action]:
    """Everything that should happen now. Never returns a Due for a thread with a reply."""
    ctx = Context(user, now, cadence, lookback, our_ids, facts or {}, opted_out, dismissed)
    return [a for x in assessments(threads, sequences, ctx) for a in x.actions]


def bodies_needed(
    threads: Iterable[Thread], sequences: Iterable[SequenceRow], ctx: Context, limit: int = 100
) -> list[tuple[Header, bool]]:
    """The bodies the decision reads and has not read yet (`ctx.facts` holds those read), each
    with whether the user wrote it: inbound mail on followed threads, bounces (their report names
    the message that bounced, which threads them: read before anything else), on threads that
    may start a sequence the user's last message and the auto-replies after it, and what people
    wrote back to the user there (an opt-out, a promise, before anything is followed). Only mail
    inside the lookback: older mail never changes a decision. At most `limit` (more only when
    one thread alone needs more), whole threads, the most urgent first (`_urgency`)."""
    followed = {
        mid
        for s in sequences
        if s.state in ACTIVE_SEQUENCES
        for mid in (s.anchor_message_id, *s.seen_ids)
    }
    wanted: list[tuple[tuple[bool, bool, datetime], list[tuple[Header, bool]]]] = []
    for thread in threads:
        mine = []
        for m, from_user in _read_by_decision(thread, followed, ctx):
            known = ctx.facts.get(m.message_id)
            # read again when the rules that read it changed: the user's own words, or theirs
            stale = known is not None and (
                known.judged_by < JUDGED_BY if from_user else known.read_by < READ_BY
            )
            if known is None or stale:
                mine.append((m, from_user))
        if mine:
            wanted.append((_urgency(thread, mine, followed, ctx), mine))
    # a thread's bodies together, since its decision waits for them all, the most urgent
    # first; a thread that does not fit waits for the next reading
    wanted.sort(key=lambda item: item[0], reverse=True)
    out: list[tuple[Header, bool]] = []
    for _urgent, mine in wanted if limit > 0 else []:
        if not out or len(out) + len(mine) <= limit:
            out += mine
    return out


def _urgency(
    thread: Thread, mine: list[tuple[Header, bool]], followed: set[str], ctx: Context
) -> tuple[bool, bool, datetime]:
    """Which thread's bodies to read first: one with a bounce (its report names the message that
    bounced, which threads it), then those a sequence follows or whose first nudge could be due
    now (what a first run drafts first), then the newest mail."""
    bounce = any(m.kind == "bounce" for m, _ in mine)
    last = last_human(thread)
    due = any(mid in followed for mid in thread.message_ids) or (
        last is not None
        and last.from_addr in ctx.user
        and last.date is not None
        and ctx.cadence.due_after(0, last.date) <= ctx.now
    )
    return bounce, due, max(m.date or ctx.now for m, _ in mine)


def _read_by_decision(
    thread: Thread, followed: set[str], ctx: Context
) -> Iterator[tuple[Header, bool]]:
    """The messages of `thread` whose bodies its decision reads, each with whether the user
    wrote it (see `bodies_needed`)."""
    recent = [m for m in thread.messages if m.date is None or ctx.lookback.after(m.date) >= ctx.now]
    if any(mid in followed for mid in thread.message_ids):
        yield from ((m, False) for m in recent if m.from_addr not in ctx.user)
        return
    answered, inside = False, {m.message_id for m in recent}
    for m in thread.messages:
        if m.from_addr in ctx.user:
            answered = True
        elif m.message_id in inside and (m.kind == "bounce" or (answered and m.kind == "normal")):
            yield m, False  # a bounce; or an answer to the user: it may opt out, or promise
    last = last_human(thread)
    if last is None or last not in recent or last.from_addr not in ctx.user:
        return
    yield last, True
    for m in later_than(thread, last):
        if m.kind == "auto_reply":
            yield m, False  # its return date decides when the first touch is due


def unread(thread: Thread, ctx: Context) -> int:
    """How many messages of `thread` whose bodies its decision reads were never read (always 0
    unless `ctx.reads_bodies`): a thread no sequence follows starts nothing until they are."""
    if not ctx.reads_bodies:
        return 0
    return sum(1 for m, _ in _read_by_decision(thread, set(), ctx) if m.message_id not in ctx.facts)


@dataclass(frozen=True)
class Wakeup:
    """What the daemon has to do: the keys of what is due now (a key it already acted on is not
    new work: a sequence the planner will not draft must not cost a cycle every minute), a
    sentence, and the next moments a sequence's step and a send fall due (None: none is
    scheduled)."""

    due: frozenset[str]
    reason: str
    nudge_at: datetime | None = None
    send_at: datetime | None = None

    @property
    def at(self) -> datetime | None:
        """The next moment anything falls due."""
        return min((t for t in (self.nudge_at, self.send_at) if t), default=None)


def next_wakeup(
    sequences: Iterable[SequenceRow],
    sends: Iterable[tuple[int, datetime]],
    now: datetime,
    cadence: Cadence | None = None,
) -> Wakeup:
    """`sends`: the pending outbox rows as (id, not before). With `cadence`, a nudge waiting
    for approval is work when it expires (`expires_at`)."""
    seqs, outs = set(), set()
    nudges: list[datetime] = []
    later: list[datetime] = []
    for seq in sequences:
        expiry = expires_at(seq, cadence) if cadence is not None else None
        if expiry is not None and expiry <= now:
            seqs.add(f"exp:{seq.id}:{expiry.isoformat()}")
        elif expiry is not None:
            nudges.append(expiry)
        if seq.next_due_at is None or seq.state != SequenceState.WAITING:
            continue
        if is_due(seq, now):
            seqs.add(f"seq:{seq.id}:{seq.next_due_at.isoformat()}")
        else:
            nudges.append(seq.next_due_at)
    for outbox_id, not_before in sends:
        if not_before <= now:
            outs.add(f"out:{outbox_id}:{not_before.isoformat()}")
        else:
            later.append(not_before)
    parts = [f"{len(seqs)} nudges due"] * bool(seqs) + [f"{len(outs)} sends due"] * bool(outs)
    return Wakeup(
        frozenset(seqs | outs),
        ", ".join(parts),
        min(nudges, default=None),
        min(later, default=None),
    )
