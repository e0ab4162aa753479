"""When the next touch is due: gaps in hours, days or business days, and the sequence's length.

Pure: no clock is read here. Durations in config read as `90s`, `30m`, `4h`, `3d` or `2bd`
(business days, Monday to Friday). `Gap.after` is a wait counted from a moment, `Gap.span` the
same gap as a plain length of time, and `Cadence.due_after` the one rule for when a sequence's
next step is due.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d|bd)\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_MONDAY = datetime(2000, 1, 3, tzinfo=UTC)
# where a wait that would leave the calendar ends: two days short of its end, so the moment
# can still be shown in any time zone
END_OF_TIME = datetime.max.replace(tzinfo=UTC) - timedelta(days=2)


@dataclass(frozen=True)
class Gap:
    """A wait between two touches. Business days skip Saturdays and Sundays."""

    amount: int
    unit: str  # "s", "m", "h", "d" or "bd"

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"

    def after(self, start: datetime) -> datetime:
        """The moment this gap ends, counted from `start`. Past the end of the calendar it is
        the calendar's last moment (a message dated 9999 must not stop the account)."""
        try:
            if self.unit != "bd":
                return start + timedelta(**{_UNITS[self.unit]: self.amount})
            return add_business_days(start, self.amount)
        except OverflowError:
            return END_OF_TIME if start.tzinfo else END_OF_TIME.replace(tzinfo=None)

    def span(self) -> timedelta:
        """The gap as a length of time, for settings that are intervals rather than waits from
        a message (the poll interval, the undo window, the spacing, timeouts). Business days
        are counted from a Monday: `2bd` is two days, `5bd` a week."""
        return self.after(_MONDAY) - _MONDAY


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

    def due_after(self, touches_sent: int, at: datetime) -> datetime:
        """When a sequence's next step is due, counted from `at` (its last touch, or the
        message it follows up): touch `touches_sent + 1`, or, once every touch is sent, the
        moment it is given up as exhausted, which waits the last gap of the list."""
        if touches_sent >= self.touches:
            return self.gaps[-1].after(at)
        return self.gap_before(touches_sent + 1).after(at)

    def touch_kind(self, touch: int) -> str:
        """Which prompt a touch uses: a gentle bump first, then context, and a polite close last."""
        if touch >= self.touches:
            return "close"
        return "bump" if touch == 1 else "context"
