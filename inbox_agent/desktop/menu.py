"""The tray's menu and tooltip as plain data: a `Snapshot` in, `Entry` rows out, each row's action
a call into the daemon's `UserActions` (or the desktop's own part, in `MenuActions`). Pure, so
tests read the menu without a GUI toolkit; `tray.py` turns the rows into pystray's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from inbox_agent import paths
from inbox_agent.config import AUTONOMY_LEVELS
from inbox_agent.desktop.actions import UserActions
from inbox_agent.desktop.status import Nudge, Snapshot

MAX_LISTED = 12
WATCH_WORDS = {
    "idle": "push (IDLE)",
    "polling": "polling",
    "connecting": "reconnecting",
    "held": "waiting for you (see below)",
    "stopped": "not watching",
}


@dataclass(frozen=True)
class Entry:
    """One menu row. `action` is called with no arguments; rows without one are labels."""

    text: str
    action: Callable[[], None] | None = None
    enabled: bool = True
    checked: bool | None = None
    radio: bool = False
    default: bool = False
    submenu: tuple[Entry, ...] = ()


SEPARATOR = Entry("─")


def label(text: str) -> Entry:
    return Entry(text, enabled=False)


def when(iso: str, now: datetime) -> str:
    """`09:14` today, `Tue 09:14` this week, `3 Mar 09:14` before that (local time)."""
    if not iso:
        return "never"
    moment = datetime.fromisoformat(iso).astimezone()
    local_now = now.astimezone()
    if moment.date() == local_now.date():
        return moment.strftime("%H:%M")
    if abs((local_now - moment).days) < 6:
        return moment.strftime("%a %H:%M")
    return moment.strftime("%-d %b %H:%M")


def title_of(snap: Snapshot, now: datetime) -> str:
    """The tooltip: state, what waits, and when mail was last read."""
    head = {
        "watching": "watching",
        "paused": "paused",
        "attention": "needs you",
        "error": "cannot watch",
    }[snap.state]
    parts = [f"inbox-agent: {head}"]
    if snap.approvals:
        parts.append(f"{len(snap.approvals)} waiting for approval")
    if snap.scheduled:
        parts.append(f"{len(snap.scheduled)} scheduled")
    synced = [a.last_sync for a in snap.accounts if a.last_sync]
    parts.append(f"synced {when(min(synced), now)}" if synced else "not synced yet")
    return " · ".join(parts)


class MenuActions:
    """What the menu can ask for: the daemon's `UserActions`, plus the desktop's own part."""

    def __init__(
        self,
        user: UserActions,
        open_draft: Callable[[Nudge], None],
        open_path: Callable[[Path], None],
    ) -> None:
        self.user, self.open_draft, self.open_path = user, open_draft, open_path


def menu_model(snap: Snapshot, act: MenuActions, now: datetime) -> tuple[Entry, ...]:
    d = act.user
    rows: list[Entry] = [Entry("Sync now", d.sync_now, default=True)]
    for a in snap.accounts:
        rows.append(label(f"{a.name} ({a.email}): {WATCH_WORDS.get(a.watch, a.watch)}"))
        for p in a.problems:
            rows.append(label(f"⚠ {p.message}"))
            if p.fix:
                rows.append(label(f"   fix: {p.fix}"))
    if snap.paused:
        rows.append(label("Paused: reading mail, drafting and sending nothing"))
    rows.append(SEPARATOR)
    if snap.approvals:
        rows.append(label(f"Waiting for your approval ({len(snap.approvals)})"))
        for n in snap.approvals[:MAX_LISTED]:
            rows.append(
                Entry(
                    n.label,
                    submenu=(
                        *([label(n.why[:100])] if n.why else []),
                        Entry("Approve and send", partial(d.approve, n.draft_id)),
                        Entry(f"Open in mail client (in {n.where})", partial(act.open_draft, n)),
                        Entry("Reject (skip this touch)", partial(d.reject, n.draft_id)),
                        Entry(
                            "Dismiss thread (no more nudges)",
                            partial(d.dismiss, n.account, n.sequence_id),
                        ),
                    ),
                )
            )
    else:
        rows.append(label("Nothing waits for your approval"))
    if snap.scheduled:
        rows.append(label(f"Scheduled to send ({len(snap.scheduled)})"))
        for n in snap.scheduled[:MAX_LISTED]:
            rows.append(
                Entry(
                    f"{n.label}, at {when(n.send_at, now)}",
                    submenu=(
                        Entry("Undo (do not send)", partial(d.undo, n.draft_id)),
                        Entry(f"Open in mail client (in {n.where})", partial(act.open_draft, n)),
                        Entry(
                            "Dismiss thread (no more nudges)",
                            partial(d.dismiss, n.account, n.sequence_id),
                        ),
                    ),
                )
            )
    if snap.undecided:
        rows.append(label(f"Needs your decision ({len(snap.undecided)})"))
        for u in snap.undecided[:MAX_LISTED]:
            rows.append(
                Entry(
                    f"{u.subject or '(no subject)'} → {u.to}",
                    submenu=(
                        label(u.reason[:100]),
                        Entry("Follow up", partial(d.decide, u.account, u.thread, True)),
                        Entry("Never", partial(d.decide, u.account, u.thread, False)),
                    ),
                )
            )
    hidden = max(0, len(snap.approvals) - MAX_LISTED) + max(0, len(snap.scheduled) - MAX_LISTED)
    if hidden:
        rows.append(label(f"… {hidden} more: inbox-agent queue"))
    rows.append(SEPARATOR)
    rows.append(
        Entry("Resume", partial(d.set_paused, False))
        if snap.paused
        else Entry("Pause all", partial(d.set_paused, True))
    )
    levels = {
        a.name: tuple(
            Entry(
                level.title(),
                partial(d.set_autonomy, a.name, level),
                checked=a.autonomy == level,
                radio=True,
            )
            for level in AUTONOMY_LEVELS
        )
        for a in snap.accounts
    }
    if len(snap.accounts) == 1:
        rows.append(
            Entry(f"Autonomy ({snap.accounts[0].name})", submenu=levels[snap.accounts[0].name])
        )
    elif snap.accounts:
        rows.append(
            Entry("Autonomy", submenu=tuple(Entry(n, submenu=items) for n, items in levels.items()))
        )
    for a in snap.accounts:
        rows.append(label(f"Last sync ({a.name}): {when(a.last_sync, now)}"))
        if a.next_nudge:
            rows.append(label(f"Next nudge due ({a.name}): {when(a.next_nudge, now)}"))
    rows.append(Entry("Open audit log", partial(d.export_audit, act.open_path)))
    rows.append(Entry("Open config folder", partial(act.open_path, paths.config_dir())))
    rows.append(SEPARATOR)
    rows.append(Entry("Quit", d.quit))
    return tuple(rows)


def signature(entries: tuple[Entry, ...]) -> tuple[Any, ...]:
    """What the user can see of a menu: rebuild the real one only when this changes."""
    return tuple((e.text, e.enabled, e.checked, signature(e.submenu)) for e in entries)
