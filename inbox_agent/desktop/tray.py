"""The tray icon: state and pending count at a glance, the approval queue one click away.

Pure in the middle: `draw_icon` (Pillow) and `menu_model` (a `Snapshot` in, `Entry` rows out, each
row's action a call into the daemon). pystray sits at the edge and is imported only by
`open_tray`, so `inbox-agent --help` and headless runs never load a GUI toolkit. Every action
that touches mail or the store goes to the daemon's worker; the menu never blocks on the network.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from inbox_agent import clock, paths
from inbox_agent.config import AUTONOMY_LEVELS
from inbox_agent.desktop.notify import LogNotifier
from inbox_agent.desktop.status import Nudge, Snapshot

log = logging.getLogger(__name__)

COLORS = {
    "watching": (46, 125, 50),
    "paused": (117, 117, 117),
    "attention": (230, 120, 0),
    "error": (198, 40, 40),
}
MAX_LISTED = 12
WATCH_WORDS = {
    "idle": "push (IDLE)",
    "polling": "polling",
    "connecting": "reconnecting",
    "held": "waiting for you (see below)",
    "stopped": "not watching",
}


# -- pure: the picture and the menu --------------------------------------------------------------


def draw_icon(state: str, count: int, size: int = 64) -> Image.Image:
    """A disc in the state's colour with an envelope (watching, attention), two bars (paused) or
    an exclamation mark (error), and the pending count in a white badge."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    s = size / 64
    draw.ellipse((2 * s, 2 * s, 62 * s, 62 * s), fill=COLORS[state])
    white = (255, 255, 255)
    if state == "paused":
        draw.rectangle((21 * s, 18 * s, 28 * s, 46 * s), fill=white)
        draw.rectangle((36 * s, 18 * s, 43 * s, 46 * s), fill=white)
    elif state == "error":
        draw.rectangle((28 * s, 14 * s, 36 * s, 38 * s), fill=white)
        draw.ellipse((27 * s, 42 * s, 37 * s, 52 * s), fill=white)
    else:
        draw.rectangle((14 * s, 20 * s, 50 * s, 44 * s), outline=white, width=max(1, int(4 * s)))
        draw.line(
            (14 * s, 20 * s, 32 * s, 34 * s, 50 * s, 20 * s), fill=white, width=max(1, int(4 * s))
        )
    if count > 0:
        text = str(count) if count < 10 else "9+"
        box = (30 * s, 0, 64 * s - 1, 34 * s)
        draw.ellipse(box, fill=white, outline=(33, 33, 33), width=max(1, int(2 * s)))
        font = _font(int(22 * s))
        draw.text(
            ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2),
            text,
            fill=(0, 0, 0),
            font=font,
            anchor="mm",
        )
    return image


def _font(px: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=px)
    except TypeError:  # Pillow < 10.1 has one bitmap size only
        return ImageFont.load_default()


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
        user: Any,
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
    rows.append(Entry("Open audit log", partial(d.export_audit, act.open_path)))
    rows.append(Entry("Open config folder", partial(act.open_path, paths.config_dir())))
    rows.append(SEPARATOR)
    rows.append(Entry("Quit", d.quit))
    return tuple(rows)


def signature(entries: tuple[Entry, ...]) -> tuple[Any, ...]:
    """What the user can see of a menu: rebuild the real one only when this changes."""
    return tuple((e.text, e.enabled, e.checked, signature(e.submenu)) for e in entries)


# -- the desktop's part ------------------------------------------------------------------------------


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
