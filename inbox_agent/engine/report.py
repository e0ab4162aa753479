"""What one cycle did, counted for the log line, the demo and the tests."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from inbox_agent.errors import SendRefused
from inbox_agent.store import OPEN_DRAFTS, DraftState, OutboxState, SequenceState

# counted under the state they reached; "due", "paused", "cancelled" (sends a safety check
# stopped), "failed" (actions that failed) and "deferred" (nudges due, drafted next cycle:
# `cycle.DRAFTS_PER_CYCLE`) are counts of events, not states
_LABELS = {
    DraftState.QUEUED: "queued for approval",
    DraftState.SCHEDULED: "scheduled to send",
    OutboxState.SENT: "sent",
    "paused": "paused by an out-of-office",
    SequenceState.REPLIED: "ended by a reply",
    SequenceState.BOUNCED: "ended by a bounce",
    SequenceState.OPTED_OUT: "ended by an opt-out",
    SequenceState.EXHAUSTED: "ended after the last touch",
    SequenceState.EXPIRED: "expired unapproved",
    "cancelled": "sends cancelled",
    "failed": "actions failed (see the log)",
    "deferred": "nudges left for the next cycle",
    "unread": "threads left until their mail is read",
}


@dataclass(frozen=True)
class Undecided:
    """A thread whose last message, the user's, may or may not ask for an answer: theirs to
    decide (follow it up, or never)."""

    account: str
    thread: str  # the thread's id (its oldest Message-ID)
    subject: str
    to: str
    reason: str


@dataclass
class TickReport:
    new_messages: int = 0
    bodies_read: int = 0  # bodies read and judged this cycle
    started: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    refused: SendRefused | None = None  # the last send the SMTP server refused for good
    undecided: tuple[Undecided, ...] = ()  # of the threads it decided, those left to the user
    decided: frozenset[str] = frozenset()  # the keys of the threads this cycle decided
    steps: dict[str, float] = field(default_factory=dict)  # seconds each step of it took

    def again(self) -> str:
        """Why another cycle should follow this one at once ("" when none should): nudges it
        left to draft, or mail left to read while reading moves on (a first run's backlog, a
        cycle's bodies at a time). The daemon and `run --once` both go by it."""
        if self.counts["deferred"]:
            return "nudges left to draft"
        if self.counts["unread"] and self.bodies_read:
            return "mail left to read"
        return ""

    def timed(self) -> str:
        """The steps that took a second or more, for the log line: "" when none did."""
        slow = [f"{name} {seconds:.2f} s" for name, seconds in self.steps.items() if seconds >= 1]
        return f" ({', '.join(slow)})" if slow else ""

    def summary(self) -> str:
        c = self.counts
        parts = [
            f"{self.new_messages} new messages synced",
            *([f"{self.bodies_read} bodies read"] if self.bodies_read else []),
            f"{self.started} threads newly tracked",
            f"{c['due']} quiet long enough for a nudge",
            f"{sum(c[s] for s in OPEN_DRAFTS)} nudges saved to Drafts",
        ]
        parts += [f"{c[key]} {label}" for key, label in _LABELS.items() if c[key]]
        return ", ".join(parts)
