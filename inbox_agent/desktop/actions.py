"""What the user asks of the running daemon, from the tray's menu: approve, reject, undo,
dismiss, sync now, pause, the default autonomy, the audit log, quit.

Each request runs in the daemon's worker after the step in progress (the engine is not
thread-safe, and the menu must never wait on the network), acts as the user (audit rows say
`tray`), and ends in a notification that says what happened, or why not. What the actions need of
the daemon is the `Host` protocol, so this module does not depend on `daemon.py` (which builds
the actions for itself).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from inbox_agent import paths
from inbox_agent.desktop import status
from inbox_agent.errors import NotFound

if TYPE_CHECKING:  # types only: the engine is imported when the daemon builds one
    from inbox_agent.engine import Engine
    from inbox_agent.store.db import Store

log = logging.getLogger(__name__)

AUTONOMY_HINT = {
    "manual": "nudges are saved to Drafts for you to send",
    "copilot": "nudges wait in Drafts for your approval",
    "autopilot": "nudges go out by themselves, after the undo window, in your send hours",
}


class Host(Protocol):
    """What the actions use of the running daemon (`daemon.Daemon` is the one host)."""

    @property
    def engines(self) -> Mapping[str, Engine]: ...

    @property
    def snapshot(self) -> status.Snapshot: ...

    @property
    def store(self) -> Store: ...

    def run_action(self, label: str, action: Callable[[], str]) -> None:
        """Run `action` in the worker after the step in progress; notify what it returns."""

    def poll_now(self, name: str | None = None, reason: str = "asked") -> None: ...

    def unblock_all(self) -> None: ...

    def request_stop(self) -> None: ...


class UserActions:
    def __init__(self, host: Host) -> None:
        self.host = host

    def _as_user(self, account: str, actor: str) -> Engine:
        return self.host.engines[account].acting_as(actor)

    def _nudge(self, draft_id: int) -> status.Nudge:
        for nudge in (*self.host.snapshot.approvals, *self.host.snapshot.scheduled):
            if nudge.draft_id == draft_id:
                return nudge
        raise NotFound(f"draft {draft_id} no longer waits", "the menu shows what still does")

    def approve(self, draft_id: int, actor: str = "tray") -> None:
        def act() -> str:
            nudge = self._nudge(draft_id)
            self._as_user(nudge.account, actor).approve(draft_id)
            return f"Sent: {nudge.label}"

        self.host.run_action("Not sent", act)

    def reject(self, draft_id: int, actor: str = "tray") -> None:
        def act() -> str:
            nudge = self._nudge(draft_id)
            self._as_user(nudge.account, actor).reject(draft_id)
            return f"Rejected: {nudge.label} (removed from {nudge.where}; this touch is skipped)"

        self.host.run_action("Reject", act)

    def undo(self, draft_id: int, actor: str = "tray") -> None:
        def act() -> str:
            nudge = self._nudge(draft_id)
            self._as_user(nudge.account, actor).undo(draft_id)
            return f"Will not be sent: {nudge.label}"

        self.host.run_action("Undo", act)

    def dismiss(self, account: str, sequence_id: int, actor: str = "tray") -> None:
        def act() -> str:
            self._as_user(account, actor).dismiss(sequence_id)
            return "Thread dismissed: no more nudges on it"

        self.host.run_action("Dismiss", act)

    def decide(self, account: str, thread: str, follow: bool, actor: str = "tray") -> None:
        """Follow up a thread the user was asked to decide about, or never; a follow-up drafts
        at the next cycle, which starts at once."""

        def act() -> str:
            self._as_user(account, actor).decide(thread, follow)
            self.host.poll_now(account, "a thread to follow up")
            return "Following it up" if follow else "It will never be followed up"

        self.host.run_action("Follow up" if follow else "Never", act)

    def sync_now(self) -> None:
        self.host.unblock_all()
        self.host.poll_now(None, "asked from the tray")

    def set_paused(self, flag: bool, actor: str = "tray") -> None:
        status.set_paused(flag, actor)
        log.info("%s by %s", "paused" if flag else "resumed", actor)
        if not flag:
            self.host.poll_now(None, "resumed")
        self.host.run_action("Pause", lambda: "")

    def set_autonomy(self, name: str, level: str, actor: str = "tray") -> None:
        """The account's default level, as `inbox-agent autonomy set default LEVEL` sets it
        (contact, domain, folder and thread rules still win where they apply)."""

        def act() -> str:
            self._as_user(name, actor).set_autonomy("default", level)
            return f"{name} is now {level.title()} by default: {AUTONOMY_HINT[level]}"

        self.host.run_action("Autonomy", act)

    def export_audit(self, then: Callable[[Path], None]) -> None:
        """Write the audit log as text (newest 5000 rows) and hand the file to `then`."""

        def act() -> str:
            path = paths.data_dir() / "audit-log.txt"
            path.write_text(
                status.audit_text(self.host.store.audit_rows()[-5000:]), encoding="utf-8"
            )
            then(path)
            return ""

        self.host.run_action("Open audit log", act)

    def quit(self) -> None:
        self.host.request_stop()
