"""When an Autopilot nudge may leave."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from inbox_agent import clock, window
from inbox_agent.engine.context import Context
from inbox_agent.engine.habits import Learned
from inbox_agent.mail.headers import Header
from inbox_agent.store import SequenceRow
from inbox_agent.tracker.habits import narrowed


def send_time(ctx: Context, seq: SequenceRow, thread: Iterable[Header], recipient: str) -> datetime:
    """After the undo window and a day after the last touch, inside the recipient's working
    hours (their zone as their own Date headers show it), on a working day, within the caps;
    inside that window, in the hours when they usually answer the user, where the two meet."""
    pol = ctx.account.sending.policy()
    now = clock.now()
    earliest = max(now + pol.undo, seq.last_touch_at + pol.min_gap_per_thread)
    zone = window.recipient_zone(m.date for m in thread if m.from_addr == recipient and m.date)
    if zone is not None and recipient in (learned := Learned(ctx)):
        pol = narrowed(pol, learned[recipient].hours)  # their hours are of their own day
    sent = ctx.store.sent_times(ctx.name, (now - timedelta(days=1)).isoformat())
    return window.schedule(earliest, sent, pol, zone)
