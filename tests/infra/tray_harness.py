"""`inbox-agent run` with the tray, plus a line protocol on stdin so a test can use the menu
through pystray's own API (what a click on a menu row calls), in a subprocess of its own.

Commands, one per line; every answer is one line of JSON after a keyword:
  menu                 MENU [{"text", "enabled", "checked", "submenu": [...]}, ...]
  click A > B > C      CLICKED "A > B > C"     (runs the row's action, as a click would)
  state                STATE {"state", "title", "approvals", "scheduled"}
  notes                NOTES [[title, message], ...]
"""

from __future__ import annotations

import json
import sys
import threading
from typing import Any

from inbox_agent.desktop import run
from inbox_agent.desktop.tray import Tray


def _tree(menu: Any) -> list[dict[str, Any]]:
    out = []
    for item in menu.items if menu else ():
        if item.text == "- - - -" or item is getattr(type(menu), "SEPARATOR", None):
            continue
        out.append(
            {
                "text": item.text,
                "enabled": item.enabled,
                "checked": item.checked,
                "submenu": _tree(item.submenu) if item.submenu else [],
            }
        )
    return out


def _find(menu: Any, path: list[str]) -> Any:
    for item in menu.items:
        if item.text == path[0]:
            return item if len(path) == 1 else _find(item.submenu, path[1:])
    raise LookupError(f"no menu row {path[0]!r} in {[i.text for i in menu.items]}")


def _say(keyword: str, value: Any) -> None:
    sys.stdout.write(f"{keyword} {json.dumps(value)}\n")
    sys.stdout.flush()


def serve(tray: Tray) -> None:
    def loop() -> None:
        for line in sys.stdin:
            command = line.strip()
            try:
                if command == "menu":
                    _say("MENU", _tree(tray.icon.menu))
                elif command.startswith("click "):
                    path = [p.strip() for p in command.removeprefix("click ").split(" > ")]
                    _find(tray.icon.menu, path)(tray.icon)
                    _say("CLICKED", " > ".join(path))
                elif command == "state":
                    snap = tray.daemon.snapshot
                    _say(
                        "STATE",
                        {
                            "state": snap.state,
                            "title": tray.icon.title,
                            "approvals": len(snap.approvals),
                            "scheduled": len(snap.scheduled),
                        },
                    )
                elif command == "notes":
                    _say("NOTES", tray.notifications)
            except Exception as exc:
                _say("ERROR", f"{type(exc).__name__}: {exc}")

    threading.Thread(target=loop, name="harness", daemon=True).start()
    _say("READY", type(tray.icon).__module__)


if __name__ == "__main__":
    raise SystemExit(run.run_forever(None, tray=True, on_tray_ready=serve))
