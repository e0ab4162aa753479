"""When the next touch is due: gaps in hours, days or business days, and the sequence's length.

Pure: no clock is read here. Durations in config read as `90s`, `30m`, `4h`, `3d` or `2bd`
(business days, Monday to Friday).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d|bd)\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


@dataclass(frozen=True)
class Gap:
    """A wait between two touches. Business days skip Saturdays and Sundays."""

    amount: int
    unit: str  # "s", "m", "h", "d" or "bd"

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"

    def after(self, start: datetime) -> datetime:
        """The moment this gap ends, counted from `start`."""
        if self.unit != "bd":
            return start + timedelta(**{_UNITS[self.unit]: self.amount})
        return add_business_days(start, self.amount)


def parse_gap(text: str) -> Gap:
    """Read `3bd`, `4h`, `90s`. Raises ValueError with the accepted forms."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(
            f"{text!r} is not a duration; write a number and a unit: 90s, 30m, 4h, 3d, 2bd"
        )
    return Gap(int(match.group(1)), match.group(2))


def add_business_days(start: datetime, days: int) -> datetime:
    """`start` moved forward by `days` weekdays. A start on a weekend counts from Monday."""
    current = start
    while current.weekday() >= 5:
        current += timedelta(days=1)
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


@dataclass(frozen=True)
class Cadence:
    """How many touches a sequence has and how long to wait before each one."""

    touches: int
    gaps: tuple[Gap, ...]

    def gap_before(self, touch: int) -> Gap:
        """The wait before touch number `touch` (1-based); the last gap repeats if the list is short."""
        return self.gaps[min(touch, len(self.gaps)) - 1]

    def next_due(self, last_touch_at: datetime, touches_sent: int) -> datetime | None:
        """When touch `touches_sent + 1` is due, or None when the sequence has run out."""
        if touches_sent >= self.touches:
            return None
        return self.gap_before(touches_sent + 1).after(last_touch_at)

    def touch_kind(self, touch: int) -> str:
        """Which prompt a touch uses: a gentle bump first, then context, and a polite close last."""
        if touch >= self.touches:
            return "close"
        return "bump" if touch == 1 else "context"
