"""The three state machines the store keeps: a sequence's, a draft's and an outbox row's.

Each state is a StrEnum whose value is the string in the database, so rows written before these
types existed read back unchanged. Each machine has one transition table: which state may go
to which, and by which event. `Store` checks every state it writes against it (`Machine.check`),
so a transition the table does not allow raises `IllegalTransition` instead of being written.
A row is inserted by a transition from `None`.

    sequence  ─track→ waiting ─draft→ drafted | awaiting_approval | scheduled
              drafted … scheduled ─send_failed→ awaiting_approval
              any active ─sent | skip | touch_by_hand→ waiting;  ─end→ replied | bounced
              | opted_out | dismissed;  waiting ─end→ exhausted;
              awaiting_approval ─end→ expired (the user never acted on it before the next step)
    draft     ─save→ saving ─draft→ saved | queued | scheduled;  saving ─abandon→ abandoned
              saved | queued | scheduled ─sent→ sent;  ─send_failed→ queued;
              ─cancel→ cancelled | gone;  ─reject→ rejected | gone;  ─skip→ gone
    outbox    ─schedule→ pending;  ─send→ sending;  pending | failed ─send→ sending;
              sending ─sent→ sent;  ─send_failed→ failed;  ─retry | recover→ pending;
              pending ─cancel→ cancelled

The ended states of each machine are terminal; the table's test walks all of this.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from inbox_agent.errors import IllegalTransition


class SequenceState(StrEnum):
    """Where a followed thread stands."""

    WAITING = "waiting"  # quiet; the next touch is due at next_due_at
    DRAFTED = "drafted"  # a Manual nudge sits in Drafts for the user to send
    AWAITING_APPROVAL = "awaiting_approval"  # a Copilot nudge waits in the approval queue
    SCHEDULED = "scheduled"  # an Autopilot nudge waits in the outbox behind its undo window
    EXHAUSTED = "exhausted"  # every touch went out and nobody answered
    REPLIED = "replied"
    BOUNCED = "bounced"
    OPTED_OUT = "opted_out"
    DISMISSED = "dismissed"  # the user ended it (a command, the tray or a $NoFollowUp tag)
    EXPIRED = "expired"  # its nudge waited for approval until the next step: never sent late


class DraftState(StrEnum):
    """Where one nudge we wrote stands."""

    SAVING = "saving"  # the row is written, the APPEND to Drafts may not have happened yet
    SAVED = "saved"  # in Drafts (Manual): the user sends it from their mail client
    QUEUED = "queued"  # in Drafts and in the approval queue (Copilot)
    SCHEDULED = "scheduled"  # in Drafts and in the outbox (Autopilot)
    SENT = "sent"
    CANCELLED = "cancelled"  # the thread ended or the user wrote first
    REJECTED = "rejected"  # the user rejected or undid it
    GONE = "gone"  # no longer in Drafts when we looked for it
    ABANDONED = "abandoned"  # an interruption cut its APPEND short; drafted again later


class OutboxState(StrEnum):
    """Where one send stands."""

    PENDING = "pending"  # waits for its not_before time
    SENDING = "sending"  # committed before SMTP: after a crash, the mailbox tells what happened
    SENT = "sent"
    FAILED = "failed"  # refused for good; its draft went back to the approval queue
    CANCELLED = "cancelled"


class Event(StrEnum):
    """What makes a state change: the name a transition carries in its machine's table."""

    TRACK = "track"  # a quiet thread starts being followed
    SAVE = "save"  # a nudge's row is written before its APPEND
    DRAFT = "draft"  # the nudge reached Drafts (or was found there after an interruption)
    ABANDON = "abandon"  # the APPEND was cut short: drafted again at the next tick
    SCHEDULE = "schedule"  # an Autopilot nudge enters the outbox
    SEND = "send"  # the message is about to be handed to SMTP
    SENT = "sent"
    SEND_FAILED = "send_failed"  # refused for good: back to the approval queue
    RETRY = "retry"  # a passing SMTP failure: tried again later
    RECOVER = "recover"  # an interrupted send left no copy anywhere: it never left
    SKIP = "skip"  # this touch is not sent (rejected, or the draft vanished); the next one counts
    TOUCH_BY_HAND = "touch_by_hand"  # the user wrote on the thread themselves
    END = "end"
    CANCEL = "cancel"  # the thread ended or the user wrote: its draft and send are withdrawn
    REJECT = "reject"  # the user rejected the draft or undid its send


ACTIVE_SEQUENCES = (
    SequenceState.WAITING,
    SequenceState.DRAFTED,
    SequenceState.AWAITING_APPROVAL,
    SequenceState.SCHEDULED,
)
ENDED_SEQUENCES = (
    SequenceState.EXHAUSTED,
    SequenceState.REPLIED,
    SequenceState.BOUNCED,
    SequenceState.OPTED_OUT,
    SequenceState.DISMISSED,
    SequenceState.EXPIRED,
)
DRAFTED_SEQUENCES = ACTIVE_SEQUENCES[1:]  # a nudge of theirs is in Drafts
OPEN_DRAFTS = (DraftState.SAVED, DraftState.QUEUED, DraftState.SCHEDULED)
ENDED_DRAFTS = (
    DraftState.SENT,
    DraftState.CANCELLED,
    DraftState.REJECTED,
    DraftState.GONE,
    DraftState.ABANDONED,
)
ENDED_SENDS = (OutboxState.SENT, OutboxState.CANCELLED)

S = TypeVar("S", SequenceState, DraftState, OutboxState)


@dataclass(frozen=True, slots=True)
class Transition(Generic[S]):
    source: S | None  # None: the row is inserted in `target`
    event: Event
    target: S


def _each(sources: Iterable[S | None], event: Event, targets: Iterable[S]) -> list[Transition[S]]:
    return [Transition(s, event, t) for s in sources for t in targets]


class Machine(Generic[S]):
    """One machine's transition table, and the check every write of its state goes through."""

    def __init__(
        self,
        name: str,
        states: type[S],
        transitions: Iterable[Transition[S]],
        ended: Iterable[S],
    ) -> None:
        self.name = name
        self.kind: type[S] = states
        self.states: tuple[S, ...] = tuple(states)
        self.transitions: tuple[Transition[S], ...] = tuple(transitions)
        self.ended: frozenset[S] = frozenset(ended)
        self._allowed: frozenset[tuple[S | None, Event, S]] = frozenset(
            (t.source, t.event, t.target) for t in self.transitions
        )

    def allows(self, source: S | None, event: Event, target: S) -> bool:
        return (source, event, target) in self._allowed

    def check(self, source: S | None, event: Event | None, target: S) -> None:
        """Raise IllegalTransition unless `event` may take a row from `source` to `target`."""
        came = f"from {source.value}" if source is not None else "as a new row"
        if event is None:
            raise IllegalTransition(f"a {self.name} went to {target.value} {came} by no event")
        if not self.allows(source, event, target):
            raise IllegalTransition(
                f"a {self.name} may not go to {target.value} {came} by {event.value}"
            )

    def targets(self, source: S | None) -> frozenset[S]:
        return frozenset(t.target for t in self.transitions if t.source == source)

    def reachable(self) -> frozenset[S]:
        """Every state some path of transitions reaches from an inserted row."""
        seen: set[S] = set()
        frontier = set(self.targets(None))
        while frontier:
            state = frontier.pop()
            seen.add(state)
            frontier |= self.targets(state) - seen
        return frozenset(seen)


_Q = SequenceState
SEQUENCE = Machine(
    "sequence",
    SequenceState,
    [
        *_each([None], Event.TRACK, [_Q.WAITING]),
        *_each([_Q.WAITING], Event.DRAFT, DRAFTED_SEQUENCES),
        *_each(ACTIVE_SEQUENCES, Event.SENT, [_Q.WAITING]),
        *_each(DRAFTED_SEQUENCES, Event.SEND_FAILED, [_Q.AWAITING_APPROVAL]),
        *_each(ACTIVE_SEQUENCES, Event.SKIP, [_Q.WAITING]),
        *_each(ACTIVE_SEQUENCES, Event.TOUCH_BY_HAND, [_Q.WAITING]),
        *_each(ACTIVE_SEQUENCES, Event.END, [_Q.REPLIED, _Q.BOUNCED, _Q.OPTED_OUT, _Q.DISMISSED]),
        *_each([_Q.WAITING], Event.END, [_Q.EXHAUSTED]),
        *_each([_Q.AWAITING_APPROVAL], Event.END, [_Q.EXPIRED]),
    ],
    ENDED_SEQUENCES,
)

_D = DraftState
DRAFT = Machine(
    "draft",
    DraftState,
    [
        *_each([None], Event.SAVE, [_D.SAVING]),
        *_each([_D.SAVING], Event.DRAFT, OPEN_DRAFTS),
        *_each([_D.SAVING], Event.ABANDON, [_D.ABANDONED]),
        *_each(OPEN_DRAFTS, Event.SENT, [_D.SENT]),
        *_each(OPEN_DRAFTS, Event.SEND_FAILED, [_D.QUEUED]),
        *_each(OPEN_DRAFTS, Event.CANCEL, [_D.CANCELLED, _D.GONE]),
        *_each(OPEN_DRAFTS, Event.REJECT, [_D.REJECTED, _D.GONE]),
        *_each(OPEN_DRAFTS, Event.SKIP, [_D.GONE]),
    ],
    ENDED_DRAFTS,
)

_O = OutboxState
OUTBOX = Machine(
    "send",
    OutboxState,
    [
        *_each([None], Event.SCHEDULE, [_O.PENDING]),
        *_each([None, _O.PENDING, _O.FAILED], Event.SEND, [_O.SENDING]),
        *_each([_O.SENDING], Event.SENT, [_O.SENT]),
        *_each([_O.SENDING], Event.SEND_FAILED, [_O.FAILED]),
        *_each([_O.SENDING], Event.RETRY, [_O.PENDING]),
        *_each([_O.SENDING], Event.RECOVER, [_O.PENDING]),
        *_each([_O.PENDING], Event.CANCEL, [_O.CANCELLED]),
    ],
    ENDED_SENDS,
)
