"""When a nudge may leave: send windows, weekends, holidays, spacing and hourly/daily caps.

Pure: a policy, the facts and a candidate time in; the earliest allowed time out. Sends land
inside working hours on a working day, in the recipient's time zone when their own Date headers
show it, else in the user's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

SEARCH_DAYS = 60  # no schedule looks further than this for a working day


@dataclass(frozen=True)
class SendPolicy:
    """What the account's `[sending]` table says."""

    start: time = time(9, 0)
    end: time = time(17, 0)
    zone: tzinfo = UTC
    is_holiday: Callable[[date], bool] = field(default=lambda _day: False)
    undo: timedelta = timedelta(minutes=10)
    spacing: timedelta = timedelta(minutes=2)
    per_hour: int = 10
    per_day: int = 50
    min_gap_per_thread: timedelta = timedelta(days=1)


def working_day(day: date, policy: SendPolicy) -> bool:
    return day.weekday() < 5 and not policy.is_holiday(day)


def in_window(moment: datetime, policy: SendPolicy, zone: tzinfo | None = None) -> bool:
    local = moment.astimezone(zone or policy.zone)
    return working_day(local.date(), policy) and policy.start <= local.time() < policy.end


def next_slot(earliest: datetime, policy: SendPolicy, zone: tzinfo | None = None) -> datetime:
    """The first moment at or after `earliest` inside the window on a working day."""
    zone = zone or policy.zone
    local = earliest.astimezone(zone)
    for offset in range(SEARCH_DAYS):
        day = local.date() + timedelta(days=offset)
        if not working_day(day, policy):
            continue
        opens = datetime.combine(day, policy.start, zone)
        closes = datetime.combine(day, policy.end, zone)
        candidate = max(opens, local) if offset == 0 else opens
        if candidate < closes:
            return candidate.astimezone(earliest.tzinfo or UTC)
    return earliest + timedelta(days=SEARCH_DAYS)  # a policy with no working day: never sooner


def respecting_caps(candidate: datetime, sent: Sequence[datetime], policy: SendPolicy) -> datetime:
    """Push `candidate` past the spacing after the last send and below the hourly/daily caps."""
    moment = candidate
    ordered = sorted(sent)
    for _ in range(len(ordered) + 2):  # each pass moves past at least one earlier send
        moved = moment
        if ordered and moved < ordered[-1] + policy.spacing:
            moved = ordered[-1] + policy.spacing
        hour = [t for t in ordered if moved - timedelta(hours=1) < t <= moved]
        if len(hour) >= policy.per_hour:
            moved = hour[len(hour) - policy.per_hour] + timedelta(hours=1)
        day = [t for t in ordered if moved - timedelta(days=1) < t <= moved]
        if len(day) >= policy.per_day:
            moved = day[len(day) - policy.per_day] + timedelta(days=1)
        if moved == moment:
            return moment
        moment = moved
    return moment


def schedule(
    earliest: datetime, sent: Sequence[datetime], policy: SendPolicy, zone: tzinfo | None = None
) -> datetime:
    """The send time: inside the window, after the caps and spacing, inside the window again."""
    moment = next_slot(earliest, policy, zone)
    for _ in range(10):
        capped = respecting_caps(moment, sent, policy)
        windowed = next_slot(capped, policy, zone)
        if windowed == moment:
            return moment
        moment = windowed
    return moment


def recipient_zone(dates: Iterable[datetime]) -> tzinfo | None:
    """The UTC offset most of someone's own messages were written in, when there is one."""
    offsets = Counter(
        d.utcoffset() for d in dates if d.tzinfo is not None and d.utcoffset() is not None
    )
    if not offsets:
        return None
    offset, count = offsets.most_common(1)[0]
    if offset is None or count * 2 <= sum(offsets.values()):
        return None  # no clear majority: travel, or a shared mailbox
    return timezone(offset)
