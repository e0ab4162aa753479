"""What the user asks of the running daemon, from the tray's menu: approve, reject, undo,
dismiss, sync now, pause, the default autonomy, the audit log, quit.

Each request runs in the daemon's worker after the step in progress (the engine is not
thread-safe, and the menu must never wait on the network), acts as the user (audit rows say
`tray`), and ends in a notification that says what happened, or why not.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inbox_agent import paths
from inbox_agent.desktop import status
from inbox_agent.errors import NotFound

if TYPE_CHECKING:
    from inbox_agent.desktop.daemon import Daemon

log = logging.getLogger(__name__)

AUTONOMY_HINT = {
    "manual": "nudges are saved to Drafts for you to send",
    "copilot": "nudges wait in Drafts for your approval",
    "autopilot": "nudges go out by themselves, after the undo window, in your send hours",
}


class UserActions:
    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon

    @contextmanager
    def _as_user(self, account: str, actor: str) -> Iterator[Any]:
        yield self.daemon.engines[account].acting_as(actor)

    def _nudge(self, draft_id: int) -> status.Nudge:
        for nudge in (*self.daemon.snapshot.approvals, *self.daemon.snapshot.scheduled):
            if nudge.draft_id == draft_id:
                return nudge
        raise NotFound(f"draft {draft_id} no longer waits", "the menu shows what still does")

    def approve(self, draft_id: int, actor: str = "tray") -> None:
        def act() -> str:
            nudge = self._nudge(draft_id)
            with self._as_user(nudge.account, actor) as engine:
                engine.approve(draft_id)
            return f"Sent: {nudge.label}"

        self.daemon.run_action("Not sent", act)

    def reject(self, draft_id: int, actor: str = "tray") -> None:
        def act() -> str:
            nudge = self._nudge(draft_id)
            with self._as_user(nudge.account, actor) as engine:
                engine.reject(draft_id)
            return f"Rejected: {nudge.label} (removed from {nudge.where}; this touch is skipped)"

        self.daemon.run_action("Reject", act)

    def undo(self, draft_id: int, actor: str = "tray") -> None:
        def act() -> str:
            nudge = self._nudge(draft_id)
            with self._as_user(nudge.account, actor) as engine:
                engine.undo(draft_id)
            return f"Will not be sent: {nudge.label}"

        self.daemon.run_action("Undo", act)

    def dismiss(self, account: str, sequence_id: int, actor: str = "tray") -> None:
        def act() -> str:
            with self._as_user(account, actor) as engine:
                engine.dismiss(sequence_id)
            return "Thread dismissed: no more nudges on it"

        self.daemon.run_action("Dismiss", act)

    def sync_now(self) -> None:
        self.daemon.unblock_all()
        self.daemon.poll_now(None, "asked from the tray")

    def set_paused(self, flag: bool, actor: str = "tray") -> None:
        status.set_paused(flag, actor)
        log.info("%s by %s", "paused" if flag else "resumed", actor)
        if not flag:
            self.daemon.poll_now(None, "resumed")
        self.daemon.run_action("Pause", lambda: "")

    def set_autonomy(self, name: str, level: str, actor: str = "tray") -> None:
        """The account's default level, as `inbox-agent autonomy set default LEVEL` sets it
        (contact, domain, folder and thread rules still win where they apply)."""

        def act() -> str:
            with self._as_user(name, actor) as engine:
                engine.set_autonomy("default", level)
            return f"{name} is now {level.title()} by default: {AUTONOMY_HINT[level]}"

        self.daemon.run_action("Autonomy", act)

    def export_audit(self, then: Callable[[Path], None]) -> None:
        """Write the audit log as text (newest 5000 rows) and hand the file to `then`."""

        def act() -> str:
            path = paths.data_dir() / "audit-log.txt"
            path.write_text(
                status.audit_text(self.daemon.store.audit_rows()[-5000:]), encoding="utf-8"
            )
            then(path)
            return ""

        self.daemon.run_action("Open audit log", act)

    def quit(self) -> None:
        self.daemon.request_stop()
