"""Run `inbox-agent` in a subprocess against the test world, the way a login session would.

Each process gets its own INBOX_AGENT_HOME and a file keyring under it (keyrings.alt's
PlaintextKeyring: a subprocess cannot share the tests' in-memory one; only test passwords ever
land in it). `AgentProcess` starts a command, collects its output in a file, signals it and waits
for it; `store_rows` reads the store from outside, read-only, as `status` would.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.infra.mail import MailUser
from tests.infra.process import end

ROOT = Path(__file__).resolve().parents[2]


def profile_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        INBOX_AGENT_HOME=str(home),
        PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring",
        XDG_DATA_HOME=str(home / "xdg-data"),
        PYTHONUNBUFFERED="1",
    )
    env.pop("INBOX_AGENT_NOW", None)
    env.update(extra)
    return env


def write_profile(
    home: Path,
    user: MailUser,
    imap_port: int,
    smtp_port: int,
    autonomy: str = "copilot",
    settings: str = "",
    name: str = "main",
) -> Path:
    """An account file, a global file (`settings` is its TOML text) and the password in the
    profile's file keyring."""
    from keyrings.alt.file import PlaintextKeyring

    accounts = home / "config" / "accounts"
    accounts.mkdir(parents=True, exist_ok=True)
    path = accounts / f"{name}.toml"
    path.write_text(
        f'email = "{user.address}"\ndisplay_name = "Alice Example"\n\n'
        f'[imap]\nhost = "127.0.0.1"\nport = {imap_port}\nsecurity = "none"\n'
        f'username = "{user.login}"\n\n'
        f'[smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\nsecurity = "none"\n'
        f'username = "{user.login}"\n\n'
        f'[autonomy]\ndefault = "{autonomy}"\n'
    )
    (home / "config" / "inbox-agent.toml").write_text(settings)
    ring = PlaintextKeyring()
    ring.file_path = str(home / "xdg-data" / "python_keyring" / "keyring_pass.cfg")
    ring.set_password("inbox-agent", f"{name}:imap", user.password)
    return path


class AgentProcess:
    """`python -m inbox_agent ARGS` with a profile's environment; output goes to a file."""

    def __init__(
        self,
        home: Path,
        args: Sequence[str],
        env: dict[str, str],
        argv: Sequence[str] | None = None,
        cwd: Path = ROOT,
    ) -> None:
        """`argv` replaces the whole command line (an autostart entry's, say)."""
        self.home = home
        self.out_path = home / f"out-{time.monotonic_ns()}.txt"
        self._out = self.out_path.open("wb")
        self.proc = subprocess.Popen(
            list(argv) if argv else [sys.executable, "-m", "inbox_agent", *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )

    @property
    def output(self) -> str:
        return self.out_path.read_text(errors="replace")

    def signal(self, signum: int) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signum)

    def wait(self, timeout: float = 20.0) -> int:
        try:
            return self.proc.wait(timeout)
        finally:
            self._out.close()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it will not go: for test teardown."""
        end(self.proc, 20)
        self._out.close()


def store_rows(home: Path, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Rows from the profile's store, opened read-only (the daemon may be writing)."""
    path = home / "data" / "inbox-agent.sqlite3"
    if not path.exists():
        return []
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return list(conn.execute(sql, params))
    except sqlite3.OperationalError:  # the schema is not there yet
        return []
    finally:
        conn.close()


def log_text(home: Path) -> str:
    path = home / "logs" / "inbox-agent.log"
    return path.read_text(errors="replace") if path.exists() else ""


def sequences(home: Path) -> dict[str, str]:
    """anchor Message-ID → state, for every sequence in the profile's store."""
    return dict(store_rows(home, "SELECT anchor_message_id, state FROM sequences"))


def watch_mode(home: Path, account: str = "main") -> str:
    """How the daemon says it watches `account` (idle, polling, connecting), from its state file."""
    try:
        state = json.loads((home / "data" / "daemon-state.json").read_text())
        return str(state["accounts"][account]["watch"])
    except (OSError, ValueError, KeyError):
        return ""


def idle_latencies(
    home: Path, alice: MailUser, bob: MailUser, imap_port: int, smtp_port: int, n: int
) -> list[float]:
    """Seconds from handing each of `n` replies from bob to SMTP (delivered by LMTP before the
    250) to its sequence reading `replied`, with `inbox-agent run --no-tray` watching alice's
    account and polls set to once an hour: only IDLE can explain a fast answer."""
    from tests.infra.mail import build_message, send, submit, wait_for

    write_profile(home, alice, imap_port, smtp_port, settings='[daemon]\npoll_interval = "1h"\n')
    originals = [
        send(smtp_port, imap_port, alice, [bob.address], f"Question {i}", f"Number {i}?")
        for i in range(n)
    ]
    agent = AgentProcess(home, ["run", "--no-tray"], profile_env(home))
    try:
        if not wait_for(lambda: len(sequences(home)) == n and watch_mode(home) == "idle", 30):
            raise AssertionError("not tracked or not idle:\n" + agent.output + log_text(home))
        seconds = []
        for i, original in enumerate(originals):
            reply = build_message(
                bob,
                [alice.address],
                f"Re: Question {i}",
                "Yes.",
                in_reply_to=original,
                references=[original],
            )
            started = time.monotonic()
            submit(smtp_port, bob, reply)
            if not wait_for(lambda o=original: sequences(home).get(o) == "replied", 30, 0.01):
                raise AssertionError(f"reply {i} was not noticed in 30 s:\n" + log_text(home))
            seconds.append(time.monotonic() - started)
    finally:
        agent.stop()
    return seconds
