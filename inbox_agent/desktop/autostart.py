"""`inbox-agent autostart enable|disable|status`: start at login, the way each desktop expects.

- Linux: an XDG autostart entry, `$XDG_CONFIG_HOME/autostart/inbox-agent.desktop`.
- macOS: a LaunchAgent, `~/Library/LaunchAgents/<label>.plist`; launchd also restarts a daemon
  that crashed (not one the user quit).
- Windows: a value under `HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run`, the list
  Task Manager shows as Startup apps; `pythonw.exe` so that no console window opens.

The command is this interpreter with `-m inbox_agent run`: it keeps working when the
`inbox-agent` script is not on the login PATH, and `status` can tell when that interpreter is gone
(a deleted or moved virtualenv). A second profile (INBOX_AGENT_HOME) gets an entry of its own.
The rendering is pure; only `enable`, `disable` and `status` touch files or the registry.
"""

from __future__ import annotations

import hashlib
import os
import plistlib
import shlex
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath

from inbox_agent.errors import UserError

RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


@dataclass(frozen=True)
class Entry:
    """What autostart writes, and where: a file path, or `HKCU\\<key>\\<value name>`."""

    platform: str
    location: str
    content: str
    argv: tuple[str, ...]


def name_for(home: str | None) -> str:
    """`inbox-agent`, or `inbox-agent-<8 hex>` for a profile set by INBOX_AGENT_HOME."""
    if not home:
        return "inbox-agent"
    return "inbox-agent-" + hashlib.sha256(home.encode()).hexdigest()[:8]


def command(python: str, home: str | None, platform: str) -> tuple[str, ...]:
    argv = (python, "-m", "inbox_agent", "run")
    if home and platform.startswith("linux"):
        return ("env", f"INBOX_AGENT_HOME={home}", *argv)
    return argv


def exec_line(argv: tuple[str, ...]) -> str:
    """An Exec value by the Desktop Entry spec: arguments with reserved characters quoted, `"`,
    `` ` ``, `$` and `\\` escaped inside quotes, `%` doubled, then `\\` escaped once more because
    the value is itself a string."""
    out = []
    for arg in argv:
        if arg and not _RESERVED & set(arg):
            out.append(arg)
        else:
            inner = "".join("\\" + c if c in '"`$\\' else c for c in arg)
            out.append(f'"{inner}"')
    return " ".join(out).replace("%", "%%").replace("\\", "\\\\")


def parse_exec(value: str) -> list[str]:
    """The arguments of an Exec value: the inverse of `exec_line`, for `status`."""
    text, i = [], 0
    while i < len(value):  # the string level first: \\ \s \n \t \r
        if value[i] == "\\" and i + 1 < len(value):
            text.append({"s": " ", "n": "\n", "t": "\t", "r": "\r"}.get(value[i + 1], value[i + 1]))
            i += 2
        else:
            text.append(value[i])
            i += 1
    line = "".join(text).replace("%%", "%")
    args: list[str] = []
    current: list[str] = []
    quoted = started = False
    i = 0
    while i < len(line):
        c = line[i]
        if quoted and c == "\\" and i + 1 < len(line) and line[i + 1] in '"`$\\':
            current.append(line[i + 1])
            i += 1
        elif c == '"':
            quoted, started = not quoted, True
        elif c == " " and not quoted:
            if current or started:
                args.append("".join(current))
            current, started = [], False
        else:
            current.append(c)
        i += 1
    if current or started:
        args.append("".join(current))
    return args


def desktop_entry(argv: tuple[str, ...], profile: str | None) -> str:
    name = "inbox-agent" + (f" ({profile})" if profile else "")
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        f"Name={name}\n"
        "Comment=Follow-up agent: watches your mailbox for threads that went quiet\n"
        f"Exec={exec_line(argv)}\n"
        "Icon=mail-send-receive\n"
        "Terminal=false\n"
        "NoDisplay=true\n"
        "X-GNOME-Autostart-enabled=true\n"
        "X-GNOME-Autostart-Delay=10\n"
        "X-KDE-autostart-after=panel\n"
    )


def launch_agent(argv: tuple[str, ...], label: str, home: str | None, log_dir: str) -> str:
    plist: dict[str, object] = {
        "Label": label,
        "ProgramArguments": list(argv),
        "RunAtLoad": True,
        "KeepAlive": {"SuccessfulExit": False},  # restart after a crash, not after Quit
        "ProcessType": "Interactive",
        "StandardOutPath": f"{log_dir}/launchd.log",
        "StandardErrorPath": f"{log_dir}/launchd.log",
    }
    if home:
        plist["EnvironmentVariables"] = {"INBOX_AGENT_HOME": home}
    return plistlib.dumps(plist).decode()


def windows_command(argv: tuple[str, ...]) -> str:
    return subprocess.list2cmdline(argv)


def plan(platform: str, env: Mapping[str, str], python: str, user_home: Path) -> Entry:
    """The entry for this platform, profile and interpreter. Pure."""
    home = env.get("INBOX_AGENT_HOME") or None
    name = name_for(home)
    if platform.startswith("linux"):
        config = Path(env.get("XDG_CONFIG_HOME") or user_home / ".config")
        argv = command(python, home, platform)
        return Entry(
            platform, str(config / "autostart" / f"{name}.desktop"), desktop_entry(argv, home), argv
        )
    if platform == "darwin":
        label = "io.github.inbox-agent" + name.removeprefix("inbox-agent")
        argv = command(python, home, platform)
        log_dir = str(user_home / "Library" / "Logs" / "inbox-agent")
        return Entry(
            platform,
            str(user_home / "Library" / "LaunchAgents" / f"{label}.plist"),
            launch_agent(argv, label, home, log_dir),
            argv,
        )
    if platform == "win32":
        windowless = str(PureWindowsPath(python).with_name("pythonw.exe"))
        argv = command(windowless, home, platform)
        return Entry(platform, f"HKCU\\{RUN_KEY}\\{name}", windows_command(argv), argv)
    raise UserError(
        f"autostart does not know this platform ({platform})",
        "start `inbox-agent run` from your session's own startup settings",
    )


def current() -> Entry:
    return plan(sys.platform, os.environ, sys.executable, Path.home())


# -- the edge: files and the registry ---------------------------------------------------------------


def enable() -> Entry:
    entry = current()
    if entry.platform == "win32":
        _registry_set(entry.location.rsplit("\\", 1)[1], entry.content)
        return entry
    path = Path(entry.location)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_suffix(path.suffix + ".tmp")
    temp.write_text(entry.content, encoding="utf-8")
    os.replace(temp, path)
    if entry.platform == "darwin":  # launchd does not create the log's folder
        log_file = plistlib.loads(entry.content.encode())["StandardOutPath"]
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
    return entry


def disable() -> tuple[Entry, bool]:
    """Remove the entry; the bool says whether there was one."""
    entry = current()
    if entry.platform == "win32":
        return entry, _registry_delete(entry.location.rsplit("\\", 1)[1])
    path = Path(entry.location)
    existed = path.exists()
    path.unlink(missing_ok=True)
    return entry, existed


def status() -> dict[str, object]:
    """Whether the entry exists, what it runs, and whether that still can run."""
    entry = current()
    if entry.platform == "win32":
        found = _registry_get(entry.location.rsplit("\\", 1)[1])
        argv = shlex.split(found, posix=False) if found else []
    else:
        path = Path(entry.location)
        found = path.read_text(encoding="utf-8") if path.exists() else None
        argv = _argv_of(entry.platform, found) if found else []
    interpreter = argv[argv.index("-m") - 1].strip('"') if "-m" in argv[1:] else ""
    problem = ""
    if found is not None and interpreter and not Path(interpreter).exists():
        problem = f"it runs {interpreter}, which no longer exists: run `inbox-agent autostart enable` again"
    elif found is not None and found != entry.content:
        problem = "it differs from what this installation would write: run `inbox-agent autostart enable` to update it"
    return {
        "enabled": found is not None,
        "location": entry.location,
        "command": argv,
        "problem": problem,
    }


def _argv_of(platform: str, text: str) -> list[str]:
    if platform == "darwin":
        data = plistlib.loads(text.encode())
        return [str(a) for a in data.get("ProgramArguments", [])]
    for line in text.splitlines():
        if line.startswith("Exec="):
            return parse_exec(line.removeprefix("Exec="))
    return []


def _registry_set(name: str, value: str) -> None:
    if sys.platform == "win32":
        import winreg

        with winreg.CreateKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
            winreg.SetValueEx(key, name, 0, winreg.REG_SZ, value)


def _registry_get(name: str) -> str | None:
    if sys.platform == "win32":
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
                return str(winreg.QueryValueEx(key, name)[0])
        except FileNotFoundError:
            return None
    return None


def _registry_delete(name: str) -> bool:
    if sys.platform == "win32":
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
                winreg.DeleteValue(key, name)
        except FileNotFoundError:
            return False
        return True
    return False
