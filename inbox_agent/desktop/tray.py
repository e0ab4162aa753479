"""The tray icon: state and pending count at a glance, the approval queue one click away.

Pure in the middle: `icon.draw_icon` (Pillow) and `menu.menu_model` (a `Snapshot` in, `Entry`
rows out, each row's action a call into the daemon). This module is the edge: pystray, imported
only by `open_tray`, so `inbox-agent --help` and headless runs never load a GUI toolkit, and
opening files and the mail client. Every action that touches mail or the store goes to the
daemon's worker; the menu never blocks on the network.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from inbox_agent import clock
from inbox_agent.desktop.icon import draw_icon
from inbox_agent.desktop.menu import SEPARATOR, Entry, MenuActions, menu_model, signature, title_of
from inbox_agent.desktop.notify import LogNotifier
from inbox_agent.desktop.status import Nudge, Snapshot

log = logging.getLogger(__name__)


def display_problem(platform: str, env: Mapping[str, str]) -> str:
    """Why there can be no tray here, or "" (Linux needs an X11 or Wayland display)."""
    if platform.startswith("linux") and not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        return "no display: DISPLAY and WAYLAND_DISPLAY are unset"
    return ""


def opener(platform: str, target: str) -> list[str] | None:
    """The command that opens a file or folder with the desktop's default application."""
    if platform.startswith("linux"):
        return ["xdg-open", target]
    if platform == "darwin":
        return ["open", target]
    return None  # Windows: os.startfile


def _open(target: Path) -> bool:
    command = opener(sys.platform, str(target))
    try:
        if sys.platform == "win32":
            os.startfile(str(target))
        elif command is not None:
            subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
    except OSError as exc:
        log.warning("cannot open %s: %s", target, exc)
        return False
    return True


def _launch_mail_client() -> bool:
    """Start the default mail client (its main window, not a new message)."""
    if sys.platform == "darwin":
        return subprocess.call(["open", "-a", "Mail"], timeout=10) == 0
    try:
        from gi.repository import Gio
    except ImportError:
        return False
    app = Gio.AppInfo.get_default_for_uri_scheme("mailto")
    if app is None:
        return False
    try:
        return bool(app.launch([], None))
    except Exception as exc:  # GLib.Error: the client is configured but will not start
        log.warning("cannot start %s: %s", app.get_name(), exc)
        return False


class Tray:
    """The pystray icon bound to a daemon. `run` owns the main thread until the daemon stops."""

    def __init__(self, daemon: Any, pystray: Any) -> None:
        self.daemon, self._pystray = daemon, pystray
        self.actions = MenuActions(daemon.user, self.open_draft, self.open_path)
        self.notifications: list[tuple[str, str]] = []  # the last few, for tests and the log
        self._seen: tuple[Any, ...] = ()
        self._drawn: tuple[str, int] = ("", -1)
        self.icon = pystray.Icon("inbox-agent", draw_icon("watching", 0), "inbox-agent", menu=None)

    def run(self, on_ready: Callable[[Tray], None] | None = None) -> None:
        def setup(icon: Any) -> None:
            icon.visible = True
            self._restore_sigint()
            self.daemon.notifier = self
            self.daemon.add_listener(self.refresh)
            try:
                self.refresh(self.daemon.snapshot)
                if on_ready is not None:
                    on_ready(self)
            except Exception:  # a broken menu must not take the watch down with it
                log.exception("the tray could not draw its menu")
            self.daemon.wait()
            icon.stop()

        try:
            self.icon.run(setup)
        except Exception as exc:  # e.g. the notification service went away during stop
            log.warning("the tray icon ended with an error: %s", exc)
        if not self.daemon.stopping.is_set():
            log.error("the tray icon stopped by itself; watching goes on without it")
            self.daemon.notifier = LogNotifier()
            self.daemon.wait()

    def refresh(self, snap: Snapshot) -> None:
        now = clock.now()
        drawn = (snap.state, len(snap.approvals))
        if drawn != self._drawn:
            self._drawn = drawn
            self.icon.icon = draw_icon(*drawn)
        self.icon.title = title_of(snap, now)
        entries = menu_model(snap, self.actions, now)
        seen = signature(entries)
        if seen != self._seen:
            self._seen = seen
            self.icon.menu = to_pystray(self._pystray, entries)

    def notify(self, title: str, message: str) -> None:
        self.notifications = [*self.notifications[-19:], (title, message)]
        log.info("notification: %s: %s", title, message.replace("\n", " / "))
        if self.icon.HAS_NOTIFICATION:
            self.icon.notify(message, title)

    def open_path(self, path: Path) -> None:
        if not _open(path):
            self.notify("inbox-agent", f"Open it yourself: {path}")

    def open_draft(self, nudge: Nudge) -> None:
        started = _launch_mail_client()
        where = f"{nudge.label}\nis in {nudge.where}."
        self.notify(
            "inbox-agent",
            where
            if started
            else where + " No default mail client was found: open it there yourself.",
        )

    def _restore_sigint(self) -> None:
        """pystray's GTK backend sets Ctrl-C to kill at once; give it our graceful stop back."""
        handler = signal.getsignal(signal.SIGTERM)
        if not callable(handler):
            return
        try:
            from gi.repository import GLib
        except ImportError:
            return

        done = threading.Event()

        def put_back() -> bool:
            signal.signal(signal.SIGINT, handler)  # only the main thread (GLib's loop) may
            done.set()
            return False

        GLib.idle_add(put_back)
        if not done.wait(5):  # ready means ready: a Ctrl-C from now on stops gracefully
            log.warning("Ctrl-C may stop the tray at once (the GTK loop did not take our handler)")


def _clicked(action: Callable[[], None] | None) -> Callable[[Any, Any], None]:
    def on_click(icon: Any, item: Any) -> None:  # pystray wants exactly (icon, item)
        if action is not None:
            action()

    return on_click


def _fixed(value: bool) -> Callable[[Any], bool]:
    def checked(item: Any) -> bool:
        return value

    return checked


def to_pystray(pystray: Any, entries: tuple[Entry, ...]) -> Any:
    items = []
    for e in entries:
        if e is SEPARATOR:
            items.append(pystray.Menu.SEPARATOR)
        elif e.submenu:
            items.append(
                pystray.MenuItem(e.text, to_pystray(pystray, e.submenu), enabled=e.enabled)
            )
        else:
            items.append(
                pystray.MenuItem(
                    e.text,
                    _clicked(e.action),
                    enabled=e.enabled and e.action is not None,
                    checked=_fixed(e.checked) if e.checked is not None else None,
                    radio=e.radio,
                    default=e.default,
                )
            )
    return pystray.Menu(*items)


def open_tray(daemon: Any) -> tuple[Tray | None, str]:
    """The tray, or None and the reason there can be none here (the daemon then runs headless)."""
    why = display_problem(sys.platform, os.environ)
    if why:
        return None, why
    try:
        import pystray
    except Exception as exc:  # not only ImportError: Xlib raises its own errors without X
        return None, f"the tray toolkit did not load ({type(exc).__name__}: {exc})"
    if not pystray.Icon.HAS_MENU:
        return None, (
            "this tray backend has no menu; on Linux install PyGObject: pip install 'inbox-agent[tray]'"
        )
    if pystray.Icon.__module__.endswith(("_gtk", "_appindicator")):
        from gi.repository import Gio, GLib

        try:
            Gio.bus_get_sync(Gio.BusType.SESSION, None)
        except GLib.Error as exc:
            return None, f"no D-Bus session bus for the tray and notifications ({exc.message})"
    return Tray(daemon, pystray), ""
