"""A tracked thread's life: the stored facts of a sequence, the actions planning may ask for, and
the rules for a sequence that is running.

Pure. A sequence is the store's own record, `SequenceRow`; its states and their transitions are
`store.states.SequenceState` and its table. An auto-reply pauses; it never ends. Whether a thread with no running sequence starts one is `start.py`; one thread's whole
assessment, and `plan()` over a mailbox, are `decision.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from inbox_agent.cadence import Cadence, Gap
from inbox_agent.mail.classify import MAX_PAUSE, BodyFacts
from inbox_agent.mail.headers import Header
from inbox_agent.store import SequenceRow, SequenceState
from inbox_agent.tracker.habits import Habit
from inbox_agent.tracker.threads import Thread

DISMISS_KEYWORD = "$NoFollowUp"  # an IMAP keyword (a tag in most clients) that ends a sequence
FOLLOWUP_KEYWORD = "$FollowUp"  # on a message of the user's: follow it up whatever its words say


@dataclass(frozen=True)
class Start:
    thread: Thread
    anchor_message_id: str
    last_touch_at: datetime
    next_due_at: datetime
    reason: str
    paused: bool = False  # an auto-reply already answered the anchor


@dataclass(frozen=True)
class End:
    sequence_id: int
    state: SequenceState  # one of ENDED_SEQUENCES
    reason: str
    message_id: str
    by_user: bool = False  # the user ended it from their own mail client


@dataclass(frozen=True)
class Pause:
    sequence_id: int
    until: datetime
    reason: str
    message_id: str


@dataclass(frozen=True)
class Touched:
    """The user wrote on the thread by hand: that is a touch, and the clock restarts from it."""

    sequence_id: int
    message_id: str
    at: datetime
    next_due_at: datetime


@dataclass(frozen=True)
class Observe:
    """New messages that change nothing (our own sent nudge arriving in Sent)."""

    sequence_id: int
    seen_ids: frozenset[str]


@dataclass(frozen=True)
class Due:
    anchor_message_id: str
    touch: int
    thread: Thread


Action = Start | End | Pause | Touched | Observe | Due


@dataclass(frozen=True)
class Context:
    """Everything besides threads and sequences that planning reads."""

    user: frozenset[str]
    now: datetime
    cadence: Cadence
    lookback: Gap
    our_ids: frozenset[str] = frozenset()
    facts: Mapping[str, BodyFacts] = field(default_factory=dict)
    opted_out: frozenset[str] = frozenset()
    dismissed: frozenset[str] = frozenset()  # messages the user tagged "no follow-up"
    followup: frozenset[str] = frozenset()  # messages the user tagged FOLLOWUP_KEYWORD
    unsure_drafts: bool = False  # [tracking] unsure = "draft": an unsure message is followed up
    never: frozenset[str] = frozenset()  # [tracking] never: addresses and "@domain"s
    habits: Mapping[str, Habit] = field(default_factory=dict)  # how each person answers the user
    # the caller reads the bodies `decision.bodies_needed` names (the daemon does, 100 a cycle):
    # a thread whose mail is not read yet starts nothing until it is. Without it (a plan from
    # headers alone), an unread message is decided without its words
    reads_bodies: bool = False

    def never_for(self, addresses: Iterable[str]) -> list[str]:
        """Those of `addresses` the user never follows up with (by address or domain)."""
        return sorted(
            a for a in addresses if a in self.never or f"@{a.rpartition('@')[2]}" in self.never
        )

    def fact(self, message_id: str) -> BodyFacts:
        return self.facts.get(message_id, _NO_FACTS)


_NO_FACTS = BodyFacts()


def is_due(seq: SequenceRow, now: datetime) -> bool:
    """The running sequence's next step (its next touch, or giving up) is due at `now`. The
    planner and the daemon's wake-up ask this one question."""
    return (
        seq.state == SequenceState.WAITING
        and seq.next_due_at is not None
        and seq.next_due_at <= now
    )


def asked_from(due: datetime | None, asked: datetime) -> datetime:
    """What a sequence put to the user for approval at `asked` counts its wait from (its
    `next_due_at` while it waits): when its touch was due, or when it was put to them if that
    was later. A touch drafted after the daemon was off past the next step (a week away, a
    first run on an old ask) so waits a whole gap for them, instead of expiring at once."""
    return asked if due is None else max(due, asked)


def expires_at(seq: SequenceRow, cadence: Cadence) -> datetime | None:
    """When a nudge waiting for the user's approval expires unsent: the moment the sequence's
    next step would have fallen due had it gone out when it was due, or when it was put to
    the user if that was later (`asked_from`; None: it waits for no approval). A nudge is never
    sent weeks late."""
    if seq.state != SequenceState.AWAITING_APPROVAL or seq.next_due_at is None:
        return None
    return cadence.due_after(seq.touches_sent + 1, seq.next_due_at)


def is_auto_reply(message: Header, ctx: Context) -> bool:
    """An automatic answer (by its headers, or an out-of-office its body revealed)."""
    return message.kind == "auto_reply" or ctx.fact(message.message_id).out_of_office


def pause_until(ctx: Context, touches_sent: int, auto: Header) -> tuple[datetime, str]:
    """Until when a message pauses a sequence, and why. A soft bounce waits one step before the
    touch is tried again; an out-of-office until its stated return date (at most 30 days),
    else one step."""
    sent = auto.date or ctx.now
    if auto.kind == "bounce":
        status = ctx.fact(auto.message_id).bounce_status
        return (
            ctx.cadence.due_after(touches_sent, sent),
            f"a soft bounce ({status}); trying once more at the next step",
        )
    back = ctx.fact(auto.message_id).return_at
    if back:
        until = min(datetime.fromisoformat(back), sent + MAX_PAUSE)
        return (
            until,
            f"out-of-office from {auto.from_addr}; paused until they are back ({until:%Y-%m-%d})",
        )
    return (
        ctx.cadence.due_after(touches_sent, sent),
        f"auto-reply from {auto.from_addr}; paused one cadence step",
    )


def advance(seq: SequenceRow, thread: Thread, ctx: Context) -> list[Action]:
    """What happens to a running sequence, given its thread as it is now."""
    tagged = next((mid for mid in thread.message_ids if mid in ctx.dismissed), None)
    if tagged:
        return [
            End(
                seq.id,
                SequenceState.DISMISSED,
                f"you tagged it {DISMISS_KEYWORD} in your mail client",
                tagged,
                True,
            )
        ]
    known = seq.seen_ids | {seq.anchor_message_id}
    new = [m for m in thread.messages if m.message_id not in known]
    inbound = [m for m in new if m.from_addr not in ctx.user]
    autos = [m for m in inbound if is_auto_reply(m, ctx)]
    people = [m for m in inbound if m.kind in ("normal", "list") and m not in autos]
    stop = next((m for m in people if ctx.fact(m.message_id).opt_out), None)
    if stop:
        phrase = ctx.fact(stop.message_id).opt_out
        return [
            End(
                seq.id,
                SequenceState.OPTED_OUT,
                f'{stop.from_addr} asked to stop ("{phrase}")',
                stop.message_id,
            )
        ]
    if people:
        first = people[0]
        return [
            End(
                seq.id,
                SequenceState.REPLIED,
                f"a reply from {first.from_addr or 'unknown sender'}",
                first.message_id,
            )
        ]
    bounces = [m for m in inbound if m.kind == "bounce"]
    hard = next((m for m in bounces if ctx.fact(m.message_id).hard_bounce), None)
    soft_seen = [m for m in thread.messages if m.kind == "bounce" and m.from_addr not in ctx.user]
    # a new bounce ends it when hard, or when it is the second soft one; bounces seen before
    # the sequence started (or before the user wrote again) end nothing by themselves
    if hard or (bounces and len(soft_seen) >= 2):
        culprit = hard or bounces[-1]
        status = ctx.fact(culprit.message_id).bounce_status or "no status"
        who = culprit.from_addr or "the mail server"
        return [
            End(
                seq.id, SequenceState.BOUNCED, f"a bounce ({status}) from {who}", culprit.message_id
            )
        ]
    if bounces or autos:
        cause = bounces[-1] if bounces else autos[-1]
        until, reason = pause_until(ctx, seq.touches_sent, cause)
        return [Pause(seq.id, until, reason, cause.message_id)]
    by_hand = [
        m for m in new if m.from_addr in ctx.user and m.message_id not in ctx.our_ids and m.date
    ]
    if by_hand:
        latest = by_hand[-1]
        assert latest.date is not None
        due = ctx.cadence.due_after(seq.touches_sent + 1, latest.date)
        return [Touched(seq.id, latest.message_id, latest.date, due)]
    actions: list[Action] = []
    if new:
        actions.append(Observe(seq.id, seq.seen_ids | {m.message_id for m in new}))
    expiry = expires_at(seq, ctx.cadence)
    if expiry is not None and expiry <= ctx.now:
        why = (
            f"touch {seq.touches_sent + 1} waited for your approval until the next step "
            f"({expiry:%Y-%m-%d %H:%M}); it expired unsent, never to go out late"
        )
        actions.append(End(seq.id, SequenceState.EXPIRED, why, ""))
    elif is_due(seq, ctx.now):
        if seq.touches_sent >= ctx.cadence.touches:
            actions.append(
                End(
                    seq.id,
                    SequenceState.EXHAUSTED,
                    f"no answer after {seq.touches_sent} nudges",
                    "",
                )
            )
        else:
            actions.append(Due(seq.anchor_message_id, seq.touches_sent + 1, thread))
    return actions
