"""The daemon's pure decisions: which waiting drafts are news to the user, and whether the machine
slept. Records and clock readings in, answers out; `daemon.py` acts on them. What is due, and
when, is the tracker's (`tracker.decision.next_wakeup`, asked through `Engine.next_wakeup`).
"""

from __future__ import annotations

from datetime import datetime

from inbox_agent.desktop.status import Snapshot

WAKE_GAP = 120.0  # seconds the wall clock ran ahead of the monotonic one: we were asleep


def news(snap: Snapshot, known: set[int] | None) -> list[tuple[str, str]]:
    """Notifications for drafts not told about yet: approvals waiting, and Autopilot sends with
    their time (an undo window is only worth something when the user knows it is running).
    At start (`known` is None) everything waiting is new: a reminder after login."""
    told = known or set()
    out = []
    waiting = [n for n in snap.approvals if n.draft_id not in told]
    if waiting:
        more = f"\n… and {len(waiting) - 5} more" if len(waiting) > 5 else ""
        title = (
            f"{len(waiting)} nudges wait for your approval"
            if len(waiting) > 1
            else "A nudge waits for your approval"
        )
        out.append((title, "\n".join(n.label for n in waiting[:5]) + more))
    going = [n for n in snap.scheduled if n.draft_id not in told]
    if going:
        lines = [
            f"{n.label}, at {datetime.fromisoformat(n.send_at).astimezone():%a %H:%M}"
            for n in going[:5]
            if n.send_at
        ]
        more = f"\n… and {len(going) - 5} more" if len(going) > 5 else ""
        out.append(
            (
                "Autopilot will send (undo in the tray or with inbox-agent undo)",
                "\n".join(lines) + more,
            )
        )
    return out


def slept(before: tuple[datetime, float], after: tuple[datetime, float]) -> float:
    """Seconds spent asleep between two (wall clock, monotonic clock) readings: the monotonic
    clock stops while a laptop sleeps, the wall clock does not."""
    gap = (after[0] - before[0]).total_seconds() - (after[1] - before[1])
    return gap if gap > WAKE_GAP else 0.0
