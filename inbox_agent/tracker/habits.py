"""A person's habits in answering the user, learned from their past answers: how long they
usually take, and the hours of their own day in which they answer.

Pure: (when the user wrote, when they answered) pairs in (`store.answers`), a `Habit` out. The
first nudge waits at least their usual delay, never less than the first configured gap nor more
than the last (`first_gap`); Autopilot sends inside the send window and, where the two meet, in
their usual hours (`narrowed`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from statistics import median

from inbox_agent.cadence import Cadence
from inbox_agent.window import SendPolicy

MIN_ANSWERS = 3  # fewer past answers tell nothing about a habit
BLOCK = 3  # hours: their usual hours are the three in which most of their answers land


@dataclass(frozen=True)
class Habit:
    """How someone answers the user."""

    answers: int  # how many answers it was learned from
    delay: timedelta  # their usual (median) delay
    hours: tuple[int, int] | None  # [start, end) hours of their own day, when most answers land

    def __str__(self) -> str:
        days = self.delay / timedelta(days=1)
        took = f"{days:.1f} days" if days >= 1 else f"{self.delay / timedelta(hours=1):.0f} hours"
        return f"usually answers in {took} ({self.answers} answers)"


def habit(pairs: Iterable[tuple[datetime, datetime]]) -> Habit | None:
    """Learned from (asked, answered) pairs; None below MIN_ANSWERS. An answer dated before
    its question (a wrong clock) is left out."""
    kept = [(asked, answered) for asked, answered in pairs if answered >= asked]
    if len(kept) < MIN_ANSWERS:
        return None
    delay = timedelta(seconds=median((b - a).total_seconds() for a, b in kept))
    return Habit(len(kept), delay, usual_hours(answered for _a, answered in kept))


def usual_hours(answered: Iterable[datetime]) -> tuple[int, int] | None:
    """The BLOCK hours of their day (in the offset each answer was written in) that hold the
    most answers, when they hold at least half of them; else None (no habit of hours)."""
    hours = Counter(moment.hour for moment in answered)
    total = sum(hours.values())
    if not total:
        return None
    best = max(range(24 - BLOCK + 1), key=lambda h: (sum(hours[h + i] for i in range(BLOCK)), -h))
    if sum(hours[best + i] for i in range(BLOCK)) * 2 < total:
        return None
    return best, best + BLOCK


def first_gap(
    sent: datetime, cadence: Cadence, habits: Mapping[str, Habit], to: Iterable[str]
) -> tuple[datetime, str]:
    """When the first touch on a message sent at `sent` to `to` is due: the first gap, or the
    usual delay of the slowest of them when longer, never past the last gap; and why, when a
    habit moved it."""
    due = cadence.due_after(0, sent)
    known = [(habits[a], a) for a in sorted(set(to)) if a in habits]
    if not known:
        return due, ""
    slowest, who = max(known, key=lambda item: item[0].delay)
    waited = min(sent + slowest.delay, cadence.gaps[-1].after(sent))
    if waited <= due:
        return due, ""
    return waited, f"{who} {slowest}: the first nudge waits for that"


def narrowed(policy: SendPolicy, hours: tuple[int, int] | None) -> SendPolicy:
    """The send window cut down to their usual hours where the two meet; else as it is."""
    if hours is None:
        return policy
    start = max(policy.start, time(hours[0]))
    end = min(policy.end, time(hours[1]) if hours[1] < 24 else time(23, 59, 59))
    return replace(policy, start=start, end=end) if start < end else policy
