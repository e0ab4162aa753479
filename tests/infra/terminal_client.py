"""Real mail clients (mutt, alpine) in tmux, driven by keystrokes as a person would.

One tmux server on a private socket per test session (`Terminal`); each client runs in its own
tmux session (`Screen`) with its own HOME and a generated config that points at a loopback
Dovecot user. The body is edited by `scripted_editor.py`, the client's editor, which applies
the edit the test wrote into a JSON file (text replaced, a header line added) and keeps the
text it was shown. Every wait is bounded in polls and in time.

    term = Terminal(tmp_dir)
    mutt = term.start("mutt", mutt_command(home, user, imap_port, smtp_port, editor))
    mutt.wait_for("Post:1")
    mutt.keys("m")
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.infra.mail import HOST, MailUser

EDITOR_SCRIPT = Path(__file__).with_name("scripted_editor.py")
POLL = 0.05
MAX_POLLS = 400  # with POLL, at most 20 s per wait whatever the timeout says


class ScreenTimeout(AssertionError):
    """The client never showed what the test waited for; the message holds its last screen."""


def available(program: str) -> str:
    """'' when `program` and tmux are installed, else why the test must skip."""
    missing = [p for p in ("tmux", program) if shutil.which(p) is None]
    return f"{' and '.join(missing)} not installed (scripts/test installs them)" if missing else ""


@dataclass
class Editor:
    """The scripted editor: `edit(...)` says what the next run of it does to the text."""

    spec: Path

    @property
    def command(self) -> str:
        return f"{shlex.quote(sys.executable)} {shlex.quote(str(EDITOR_SCRIPT))} {shlex.quote(str(self.spec))}"

    def edit(self, replace: tuple[tuple[str, str], ...] = (), append: str = "") -> None:
        self.spec.write_text(json.dumps({"replace": replace, "append": append}))

    def seen(self) -> list[str]:
        """The texts the editor was shown, oldest first."""
        log = self.spec.with_suffix(".seen")
        if not log.exists():
            return []
        # the editor writes one JSON string a line, each with a trailing comma
        return [json.loads(line.rstrip(",")) for line in log.read_text().splitlines() if line]


class Screen:
    """One client in one tmux session."""

    def __init__(self, term: Terminal, name: str) -> None:
        self.term, self.name = term, name

    def keys(self, *keys: str, literal: bool = False) -> None:
        """tmux key names (`Enter`, `C-o`, `BSpace`) or, with `literal`, text typed as is."""
        # "--": a literal that starts with "-" (a random password can) is text, not a flag
        self.term.tmux("send-keys", "-t", self.name, *(["-l", "--"] if literal else []), *keys)

    def type(self, text: str) -> None:
        self.keys(text, literal=True)

    def text(self) -> str:
        return self.term.tmux("capture-pane", "-p", "-t", self.name)

    def alive(self) -> bool:
        return self.term.ok("has-session", "-t", self.name)

    def wait_for(self, *texts: str, timeout: float = 10.0) -> str:
        """Poll the screen until it shows one of `texts`; that text. Bounded in time and polls."""
        deadline = time.monotonic() + timeout
        screen = ""
        for _ in range(MAX_POLLS):
            screen = self.text()
            hit = next((t for t in texts if t in screen), None)
            if hit is not None:
                return hit
            if time.monotonic() > deadline:
                break
            time.sleep(POLL)
        raise ScreenTimeout(f"{self.name}: none of {texts!r} in {timeout}s; the screen:\n{screen}")

    def wait_without(self, text: str, timeout: float = 10.0) -> None:
        """Poll until the screen no longer shows `text` (a prompt answered). Bounded."""
        deadline = time.monotonic() + timeout
        for _ in range(MAX_POLLS):
            if text not in self.text():
                return
            if time.monotonic() > deadline:
                break
            time.sleep(POLL)
        raise ScreenTimeout(f"{self.name}: {text!r} still shown after {timeout}s:\n{self.text()}")

    def wait_gone(self, timeout: float = 10.0) -> None:
        """Wait for the client to exit."""
        deadline = time.monotonic() + timeout
        for _ in range(MAX_POLLS):
            if not self.alive() or time.monotonic() > deadline:
                break
            time.sleep(POLL)
        if self.alive():
            raise ScreenTimeout(f"{self.name}: still running after {timeout}s:\n{self.text()}")

    def close(self) -> None:
        self.term.tmux("kill-session", "-t", self.name, check=False)


class Terminal:
    """A private tmux server (its own socket), shared by every client of a test session."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.socket = root / "tmux.sock"
        self._count = 0

    def _run(self, args: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["tmux", "-S", str(self.socket), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )

    def tmux(self, *args: str, check: bool = True) -> str:
        done = self._run(args)
        if done.returncode != 0 and check:
            raise RuntimeError(f"tmux {args[0]} failed: {done.stderr.strip()}")
        return done.stdout

    def ok(self, *args: str) -> bool:
        return self._run(args).returncode == 0

    def start(self, program: str, argv: list[str], home: Path) -> Screen:
        """Run `argv` in a new 120x40 tmux session with HOME=`home` (and TERM, LANG set)."""
        self._count += 1
        name = f"{program}{self._count}"
        home.mkdir(parents=True, exist_ok=True)
        env = {"HOME": str(home), "TERM": "xterm", "LANG": "C.UTF-8", "TZ": "UTC"}
        command = " ".join(["env", *(f"{k}={shlex.quote(v)}" for k, v in env.items())])
        command += " " + " ".join(shlex.quote(a) for a in argv)
        self.tmux("new-session", "-d", "-x", "120", "-y", "40", "-s", name, command)
        self.tmux("set-option", "-t", name, "remain-on-exit", "off", check=False)
        return Screen(self, name)

    def close(self) -> None:
        self.tmux("kill-server", check=False)
        if self.socket.exists():
            os.unlink(self.socket)


def mutt_argv(
    home: Path, user: MailUser, imap_port: int, smtp_port: int, editor: Editor
) -> list[str]:
    """mutt on the user's mailbox: postponed = Drafts, edited headers, purge asked."""
    rc = home / "muttrc"
    lines = [
        f'set folder="imap://{user.login}@{HOST}:{imap_port}/"',
        f'set imap_pass="{user.password}"',
        'set spoolfile="+INBOX" postponed="+Drafts" record="+Sent"',
        f'set smtp_url="smtp://{user.login}@{HOST}:{smtp_port}/" smtp_pass="{user.password}"',
        "set ssl_starttls=no ssl_force_tls=no certificate_file=/dev/null",
        f'set from="{user.address}" realname="{user.display_name}"',
        f"set editor='{editor.command}'",
        "set edit_headers=yes delete=ask-no recall=yes imap_check_subscribed=no",
        "set mail_check=1 timeout=1 wait_key=no sleep_time=0 header_cache='' message_cachedir=''",
    ]
    home.mkdir(parents=True, exist_ok=True)
    rc.write_text("\n".join(lines) + "\n")
    return ["mutt", "-n", "-F", str(rc)]


def alpine_argv(
    home: Path, user: MailUser, imap_port: int, smtp_port: int, editor: Editor
) -> list[str]:
    """alpine on the user's Dovecot mailbox (postponed = Drafts); it asks for the password."""
    box = f"{{{HOST}:{imap_port}/imap/notls/user={user.login}}}"
    rc = home / "pinerc"
    lines = [
        f"personal-name={user.display_name}",
        f"user-domain={user.address.split('@')[1]}",
        f"user-id={user.login}",
        f"inbox-path={box}INBOX",
        f"postponed-folder={box}Drafts",
        f"default-fcc={box}Sent",
        f"smtp-server={HOST}:{smtp_port}/user={user.login}/notls",
        f"editor={editor.command}",
        "feature-list=enable-alternate-editor-implicitly,quit-without-confirm,"
        "disable-password-file-saving",
        "last-version-used=2.26",
    ]
    home.mkdir(parents=True, exist_ok=True)
    rc.write_text("\n".join(lines) + "\n")
    return ["alpine", "-p", str(rc)]
