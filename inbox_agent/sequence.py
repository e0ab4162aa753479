"""A tracked thread's life: what should happen to each sequence, given the threads and the time.

Pure: `plan()` turns threads, stored sequences and `now` into a list of actions; the daemon carries
them out. States: waiting → drafted | awaiting_approval | scheduled → (sent) waiting … and the
endings exhausted, replied, bounced, opted_out, dismissed. An auto-reply pauses; it never ends.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from inbox_agent.cadence import Cadence, Gap
from inbox_agent.tracker import Thread, judge, last_human

ACTIVE = ("waiting", "drafted", "awaiting_approval", "scheduled")
ENDED = ("exhausted", "replied", "bounced", "opted_out", "dismissed")
PENDING_DRAFT = ("drafted", "awaiting_approval", "scheduled")


@dataclass(frozen=True)
class Sequence:
    """The stored facts of one sequence that planning needs."""

    id: int
    anchor_message_id: str
    state: str
    touches_sent: int
    last_touch_at: datetime
    next_due_at: datetime | None
    seen_ids: frozenset[str]

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Sequence:
        return cls(
            row["id"],
            row["anchor_message_id"],
            row["state"],
            row["touches_sent"],
            datetime.fromisoformat(row["last_touch_at"]),
            datetime.fromisoformat(row["next_due_at"]) if row["next_due_at"] else None,
            frozenset(row["seen_ids"]),
        )


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
    state: str  # one of ENDED
    reason: str
    message_id: str


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


def plan(
    threads: Iterable[Thread],
    sequences: Iterable[Sequence],
    *,
    user: frozenset[str],
    now: datetime,
    cadence: Cadence,
    lookback: Gap,
    our_ids: frozenset[str],
) -> list[Action]:
    """Everything that should happen now. Never returns a Due for a thread with a reply."""
    by_id: dict[str, list[Sequence]] = {}
    anchors: set[str] = set()
    for seq in sequences:
        anchors.add(seq.anchor_message_id)
        for mid in (seq.anchor_message_id, *seq.seen_ids):
            by_id.setdefault(mid, []).append(seq)
    actions: list[Action] = []
    for thread in threads:
        mine = {s.id: s for mid in thread.message_ids for s in by_id.get(mid, [])}
        active = [s for s in mine.values() if s.state in ACTIVE]
        for seq in active:
            actions += _advance(seq, thread, user, now, cadence, our_ids)
        if active:
            continue
        actions += _maybe_start(thread, anchors, user, now, cadence, lookback)
    return actions


def _advance(
    seq: Sequence,
    thread: Thread,
    user: frozenset[str],
    now: datetime,
    cadence: Cadence,
    our_ids: frozenset[str],
) -> list[Action]:
    new = [
        m
        for m in thread.messages
        if m.message_id not in seq.seen_ids and m.message_id != seq.anchor_message_id
    ]
    inbound = [m for m in new if m.from_addr not in user]
    for kind, state in (("normal", "replied"), ("list", "replied"), ("bounce", "bounced")):
        hit = next((m for m in inbound if m.kind == kind), None)
        if hit:
            what = "a reply" if state == "replied" else "a bounce"
            return [
                End(
                    seq.id,
                    state,
                    f"{what} from {hit.from_addr or 'unknown sender'}",
                    hit.message_id,
                )
            ]
    auto = next((m for m in inbound if m.kind == "auto_reply"), None)
    if auto:
        until = cadence.gap_before(min(seq.touches_sent + 1, cadence.touches)).after(
            auto.date or now
        )
        return [
            Pause(
                seq.id,
                until,
                f"auto-reply from {auto.from_addr}; paused one cadence step",
                auto.message_id,
            )
        ]
    by_hand = [m for m in new if m.from_addr in user and m.message_id not in our_ids and m.date]
    if by_hand:
        latest = by_hand[-1]
        assert latest.date is not None
        due = cadence.gap_before(min(seq.touches_sent + 2, cadence.touches)).after(latest.date)
        return [Touched(seq.id, latest.message_id, latest.date, due)]
    actions: list[Action] = []
    if new:
        actions.append(Observe(seq.id, seq.seen_ids | {m.message_id for m in new}))
    if seq.state == "waiting" and seq.next_due_at is not None and seq.next_due_at <= now:
        if seq.touches_sent >= cadence.touches:
            actions.append(
                End(seq.id, "exhausted", f"no answer after {seq.touches_sent} nudges", "")
            )
        else:
            actions.append(Due(seq.anchor_message_id, seq.touches_sent + 1, thread))
    return actions


def _maybe_start(
    thread: Thread,
    anchors: set[str],
    user: frozenset[str],
    now: datetime,
    cadence: Cadence,
    lookback: Gap,
) -> list[Action]:
    verdict = judge(thread, user, now, cadence.gap_before(1))
    last = last_human(thread)
    if not verdict.candidate or last is None or last.date is None or last.message_id in anchors:
        return []
    if lookback.after(last.date) < now:
        return []  # history: the baseline never nudges about messages older than the lookback
    due, reason = cadence.gap_before(1).after(last.date), verdict.reason
    later = thread.messages[thread.messages.index(last) + 1 :]
    if any(m.kind == "bounce" for m in later):
        return []  # it never reached them; there is nobody to nudge
    for auto in (m for m in later if m.kind == "auto_reply"):
        due = max(due, cadence.gap_before(1).after(auto.date or last.date))
        reason = f"auto-reply from {auto.from_addr}; paused one cadence step"
    paused = any(m.kind == "auto_reply" for m in later)
    actions: list[Action] = [Start(thread, last.message_id, last.date, due, reason, paused)]
    if due <= now:
        actions.append(Due(last.message_id, 1, thread))
    return actions
