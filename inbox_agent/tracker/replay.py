"""The sequences as they stood at an earlier moment, for `inbox-agent threads --as-of`.

Pure. What the daemon and the user did (a thread started, a nudge sent, a touch skipped or
rejected, an approval queue, a dismissal) is not in the mailbox: it is in the audit log, one row
per change, with its time. So a sequence at `T` is its stored row when nothing changed it after
`T`; otherwise it is rewound through its own audit rows up to `T`: existence from `track`, the
state from the last row that moved it, the touches counted, and the due time from the same rules
the planner uses (`Cadence.due_after`, the pause rule, the first-touch rule). Re-planning the
mailbox from scratch instead would invent a past: it cannot know what the user approved,
rejected or undid, nor when the baseline was taken.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from inbox_agent.mail.headers import Header
from inbox_agent.store import ACTIVE_SEQUENCES, ENDED_SEQUENCES, SequenceRow, SequenceState
from inbox_agent.tracker.sequence import Context, asked_from, pause_until
from inbox_agent.tracker.start import first_due, later_than
from inbox_agent.tracker.threads import Thread

# the audit actions whose state_after is the sequence's own state (others carry a draft's, an
# outbox row's or an autonomy level), and those that count a touch
_MOVES = frozenset(
    {
        "track",
        "pause",
        "touch_by_hand",
        "draft",
        "draft_abandoned",
        "end",
        "sending",
        "send_failed",
        "send_refused",
        "sent",
        "skip",
    }
)
_TOUCHES = frozenset({"sent", "skip", "touch_by_hand"})


@dataclass(frozen=True)
class Event:
    """One audit row about a sequence."""

    at: datetime
    action: str
    sequence_id: int
    message_id: str
    before: str
    after: str
    reason: str


def _counts(event: Event) -> bool:
    # a skipped touch counts only while the sequence runs (the outbox leaves an ended one alone)
    return event.action in _TOUCHES and (event.action != "skip" or event.before in ACTIVE_SEQUENCES)


def as_of(
    stored: Iterable[SequenceRow],
    history: Iterable[Event],
    threads: Iterable[Thread],
    ctx: Context,
) -> list[SequenceRow]:
    """The sequences that existed at `ctx.now`, each as it stood then. `threads` hold the mail
    dated up to `ctx.now`; `history` is the audit log (oldest first)."""
    events: dict[int, list[Event]] = {}
    for event in history:
        events.setdefault(event.sequence_id, []).append(event)
    headers = {m.message_id: (t, m) for t in threads for m in t.messages}
    out = []
    for seq in stored:
        mine = events.get(seq.id, [])
        before = [e for e in mine if e.at <= ctx.now]
        after = [e for e in mine if e.at > ctx.now]
        if not any(e.action == "track" for e in before):
            continue  # not started yet
        out.append(_rewound(seq, before, after, headers, ctx) if after else seq)
    return out


def _rewound(
    seq: SequenceRow,
    before: list[Event],
    after: list[Event],
    headers: dict[str, tuple[Thread, Header]],
    ctx: Context,
) -> SequenceRow:
    # (a draft abandoned after its sequence was deleted names no state: it moved nothing)
    moved = [e for e in before if e.action in _MOVES and e.after]
    state, reason = SequenceState(moved[-1].after), moved[-1].reason
    anchor = headers.get(seq.anchor_message_id)
    touches, last_touch = 0, anchor[1].date if anchor and anchor[1].date else seq.last_touch_at
    due: datetime | None = None
    for e in before:
        message = headers.get(e.message_id)
        at = (
            message[1].date if e.action == "touch_by_hand" and message and message[1].date else e.at
        )
        if _counts(e):
            touches += 1
            due = ctx.cadence.due_after(touches, at)
            if e.action != "skip":
                last_touch = at
        elif e.action == "track" and anchor is not None:
            answers = later_than(*anchor)
            answered = [m for m in answers if m.date and m.date <= e.at]
            due = first_due(replace(anchor[1], date=last_touch), answered, ctx)[0]
        elif e.action == "pause" and message is not None:
            due = pause_until(ctx, touches, message[1])[0]
        if e.action in _MOVES and e.after == SequenceState.AWAITING_APPROVAL:
            due = asked_from(due, e.at)  # put to the user: their wait counts from then
    named_later = {e.message_id for e in after} - {e.message_id for e in before}
    seen = {e.message_id for e in before if e.message_id}
    if anchor is not None:  # what the sequence had seen by its last change before `now`
        seen |= {m.message_id for m in anchor[0].messages if m.date and m.date <= before[-1].at}
    return replace(
        seq,
        state=state,
        touches_sent=touches,
        last_touch_at=last_touch,
        next_due_at=None if state in ENDED_SEQUENCES else due,
        seen_ids=frozenset(seen - named_later) | {seq.anchor_message_id},
        reason=reason,
    )
