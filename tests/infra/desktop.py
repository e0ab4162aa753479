"""A private headless desktop for tray tests: Xvfb, a session D-Bus, a tray host and a
notification daemon, each started here and stopped here (by pid, never by name).

- Xvfb picks a free display itself (`-displayfd`), so parallel runs never fight over `:99`.
- A private `dbus-daemon --session`: pystray's GTK backend needs one for notifications, and
  without one it fails and then hangs at exit.
- trayer is the XEmbed tray host (stalonetray is not in Debian 12); dunst shows notifications
  and keeps them in `dunstctl history`, which tests read.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from tests.infra.process import end

PACKAGES = ("Xvfb", "dbus-daemon", "trayer", "dunst", "xdotool", "import", "dunstctl")
WIDTH, HEIGHT = 1280, 640
TRAY_HEIGHT = 48


def missing_tools() -> list[str]:
    return [tool for tool in PACKAGES if shutil.which(tool) is None]


class Desktop:
    def __init__(self) -> None:
        self.procs: list[subprocess.Popen[Any]] = []
        self.env: dict[str, str] = {}
        self.display = ""

    def start(self, timeout: float = 15.0) -> Desktop:
        deadline = time.monotonic() + timeout
        try:
            self._start_xvfb(deadline)
            self._start_bus()
            quiet: dict[str, Any] = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
            self.procs.append(
                subprocess.Popen(
                    [
                        "trayer",
                        "--edge",
                        "top",
                        "--align",
                        "right",
                        "--widthtype",
                        "request",
                        "--height",
                        str(TRAY_HEIGHT),
                        "--tint",
                        "0x808080",
                        "--transparent",
                        "true",
                        "--alpha",
                        "0",
                    ],
                    env=self.env,
                    **quiet,
                )
            )
            self.procs.append(subprocess.Popen(["dunst"], env=self.env, **quiet))
            self._wait_tray(deadline)
            self._wait_name("org.freedesktop.Notifications", deadline)
        except BaseException:
            self.stop()
            raise
        return self

    def _start_xvfb(self, deadline: float) -> None:
        read, write = os.pipe()
        self.procs.append(
            subprocess.Popen(
                [
                    "Xvfb",
                    "-displayfd",
                    str(write),
                    "-screen",
                    "0",
                    f"{WIDTH}x{HEIGHT}x24",
                    "-nolisten",
                    "tcp",
                ],
                pass_fds=(write,),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        os.close(write)
        number = b""
        try:
            while not number.endswith(b"\n") and time.monotonic() < deadline:
                chunk = os.read(read, 16)
                if not chunk:
                    raise RuntimeError("Xvfb exited before it chose a display")
                number += chunk
        finally:
            os.close(read)
        self.display = ":" + number.decode().strip()

    def _start_bus(self) -> None:
        bus = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", "--nosyslog", "--print-address=1"],
            stdout=subprocess.PIPE,
            text=True,
        )
        self.procs.append(bus)
        assert bus.stdout is not None
        address = bus.stdout.readline().strip()
        # NO_AT_BRIDGE: GTK would otherwise look for an accessibility bus that is not there
        self.env = dict(
            os.environ, DISPLAY=self.display, DBUS_SESSION_BUS_ADDRESS=address, NO_AT_BRIDGE="1"
        )

    def _wait_tray(self, deadline: float) -> None:
        from Xlib import display as xdisplay

        conn = xdisplay.Display(self.display)
        try:
            atom = conn.intern_atom("_NET_SYSTEM_TRAY_S0")
            while conn.get_selection_owner(atom) == 0:
                if time.monotonic() > deadline:
                    raise TimeoutError("trayer did not take the system tray selection")
                time.sleep(0.05)
        finally:
            conn.close()

    def _wait_name(self, name: str, deadline: float) -> None:
        while time.monotonic() < deadline:
            result = subprocess.run(
                [
                    "dbus-send",
                    "--session",
                    "--print-reply",
                    "--dest=org.freedesktop.DBus",
                    "/org/freedesktop/DBus",
                    "org.freedesktop.DBus.NameHasOwner",
                    f"string:{name}",
                ],
                env=self.env,
                capture_output=True,
                text=True,
                timeout=5,
            )
            if "boolean true" in result.stdout:
                return
            time.sleep(0.05)
        raise TimeoutError(f"{name} did not appear on the session bus")

    # -- what tests do ---------------------------------------------------------------------------
    def screenshot(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["import", "-display", self.display, "-window", "root", str(path)],
            check=True,
            timeout=20,
        )
        return path

    def xdotool(self, *args: str) -> None:
        subprocess.run(["xdotool", *args], env=self.env, check=True, timeout=10)

    def tray_icon_at(self) -> tuple[int, int]:
        """Where trayer shows the (only) icon: the top right corner."""
        return WIDTH - TRAY_HEIGHT // 2, TRAY_HEIGHT // 2

    def notifications(self) -> list[tuple[str, str]]:
        """(summary, body) of every notification dunst showed, shown ones closed first."""
        subprocess.run(["dunstctl", "close-all"], env=self.env, timeout=5, check=False)
        out = subprocess.run(
            ["dunstctl", "history"], env=self.env, capture_output=True, text=True, timeout=5
        ).stdout
        try:
            data = json.loads(out)
        except ValueError:
            return []
        rows = data.get("data", [[]])[0] if isinstance(data, dict) else []
        return [
            (str(r.get("summary", {}).get("data", "")), str(r.get("body", {}).get("data", "")))
            for r in rows
        ]

    def stop(self) -> None:
        for proc in reversed(self.procs):
            end(proc, 5)
            if proc.stdout is not None:
                proc.stdout.close()
        self.procs.clear()
