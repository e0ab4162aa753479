"""`inbox-agent init` as a person uses it, in a pseudo-terminal with answers typed at its prompts,
against Dovecot with a password and with XOAUTH2; the same steps from flags in a script;
`config validate`; every command documented."""

from __future__ import annotations

import io
import json
import os
import pty
import re
import select
import signal
import sys
import threading
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from keyrings.alt.file import PlaintextKeyring

from inbox_agent import config, paths
from inbox_agent.cli.main import build_parser
from inbox_agent.config import load as config_load
from inbox_agent.config import secrets
from inbox_agent.setup import wizard
from inbox_agent.setup.questions import LlmChoice
from inbox_agent.sync import oauth, signin
from tests.infra.oauth_server import (
    GOOGLE_CLIENT,
    MICROSOFT_CLIENT,
    OAuthWorld,
    click,
    oauth_world,
)
from tests.test_story import run

ROOT = Path(__file__).resolve().parent.parent


class Terminal:
    """A child process on a pseudo-terminal (its controlling tty, so getpass turns echo off)."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        pid, fd = pty.fork()
        if pid == 0:  # the child: become inbox-agent at once
            try:
                os.chdir(ROOT)
                os.execve(sys.executable, [sys.executable, "-m", "inbox_agent", *args], env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.output = ""
        self._seen = 0

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            return False
        if not chunk:
            return False
        self.output += chunk.decode(errors="replace")
        return True

    def expect(self, pattern: str, timeout: float = 30) -> re.Match[str]:
        """Wait (bounded) for `pattern` in what the child wrote since the last match."""
        deadline = time.monotonic() + timeout
        while True:
            found = re.compile(pattern, re.DOTALL).search(self.output, self._seen)
            if found:
                self._seen = found.end()
                return found
            if time.monotonic() > deadline or not self._read(min(1.0, timeout)):
                raise AssertionError(f"never saw {pattern!r}; the terminal shows:\n{self.output}")

    def type(self, answer: str) -> None:
        os.write(self.fd, answer.encode() + b"\r")  # Enter, as a keyboard sends it

    def exit_code(self, timeout: float = 60) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._read(0.5):
            pass
        for _ in range(int(timeout * 10)):
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                os.close(self.fd)
                return os.waitstatus_to_exitcode(status)
            time.sleep(0.1)
        raise AssertionError(f"inbox-agent init did not exit; it shows:\n{self.output}")

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


@pytest.fixture
def terminal_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A fresh profile, and a file keyring that this test can read after the child wrote it."""
    home, data = tmp_path / "home", tmp_path / "xdg-data"
    home.mkdir()
    monkeypatch.setenv("INBOX_AGENT_HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    return {
        **os.environ,
        "INBOX_AGENT_HOME": str(home),
        "XDG_DATA_HOME": str(data),
        "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
        "BROWSER": "true",  # the test plays the browser; never start a real one
        "PYTHONUNBUFFERED": "1",
        "TERM": "dumb",
    }


@pytest.fixture
def spawn(terminal_env: dict[str, str]) -> Iterator[Any]:
    started: list[Terminal] = []

    def start(*args: str) -> Terminal:
        started.append(Terminal(list(args), terminal_env))
        return started[-1]

    yield start
    for child in started:
        child.kill()


@pytest.fixture(scope="module")
def world() -> Iterator[OAuthWorld]:
    with oauth_world() as started:
        yield started


def _files_containing(root: Path, *needles: str) -> list[str]:
    return [
        str(path)
        for path in root.rglob("*")
        if path.is_file() and any(n.encode() in path.read_bytes() for n in needles)
    ]


def test_the_wizard_at_a_terminal_with_a_password(
    mail_world: Any, llm_server: Any, spawn: Any, terminal_env: dict[str, str]
) -> None:
    alice = mail_world.new_user("alice")
    term = spawn("init")
    answers = [
        (r"Email address: ", alice.address),
        (r"Your name, as recipients should see it: ", "Alice Example"),
        (r"Provider \(gmail, .*generic\) \[generic\]: ", ""),
        (r"IMAP server \[imap\.example\.test\]: ", "127.0.0.1"),
        (r"IMAP port \(993 = TLS, 143 = STARTTLS\) \[993\]: ", str(mail_world.imap_port)),
        (r"IMAP security on port \d+ \(tls, starttls, none\) \[tls\]: ", "none"),
        (r"SMTP server \[smtp\.example\.test\]: ", "127.0.0.1"),
        (r"SMTP port \(465 = TLS, 587 = STARTTLS\) \[465\]: ", str(mail_world.smtp_port)),
        (r"SMTP security on port \d+ \(tls, starttls, none\) \[tls\]: ", "none"),
        (r"Account name \(the file accounts/NAME\.toml\) \[alice\w+\]: ", "work"),
        (rf"Password for {alice.address}; it goes into the keyring: ", alice.password),
        (r"autopilot .*\r\nDefault autonomy \[manual\]: ", "copilot"),
        (r"LLM base URL, or 'none' for offline drafts \[none\]: ", llm_server.base_url),
        (r"Model name: ", "test-model"),
        (r"API key \(Enter if the endpoint needs none; it goes into the keyring\): ", ""),
    ]
    for prompt, answer in answers:
        term.expect(prompt)
        term.type(answer)
    term.expect(rf"IMAP 127\.0\.0\.1:{mail_world.imap_port} ok: logged in as {alice.address}")
    term.expect(r"drafts=Drafts")
    term.expect(rf"SMTP 127\.0\.0\.1:{mail_world.smtp_port} ok: .* nothing sent")
    term.expect(r"LLM http://127\.0\.0\.1:\d+/v1 ok \(model test-model\)")
    term.expect(r"ready\. Next: `inbox-agent sync --once`")
    assert term.exit_code() == 0, term.output
    assert alice.password not in term.output  # typed with echo off

    account = config.load_account(paths.accounts_dir() / "work.toml", config.load_settings())
    assert (account.email, account.display_name, account.autonomy.default) == (
        alice.address,
        "Alice Example",
        "copilot",
    )
    assert (account.imap.port, account.imap.security, account.smtp.port) == (
        mail_world.imap_port,
        "none",
        mail_world.smtp_port,
    )
    assert config.load_settings().llm.model == "test-model"
    assert PlaintextKeyring().get_password("inbox-agent", "work:imap") == alice.password
    assert _files_containing(Path(terminal_env["INBOX_AGENT_HOME"]), alice.password) == []


def test_the_wizard_at_a_terminal_with_oauth(
    world: OAuthWorld, spawn: Any, terminal_env: dict[str, str]
) -> None:
    login, email = world.add_user("alice")
    fake = world.server
    term = spawn(
        "init",
        "--provider",
        "gmail",
        "--imap-host",
        "127.0.0.1",
        "--imap-port",
        str(world.dovecot.imap_port),
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        str(world.smtp.port),
        "--security",
        "none",
        "--oauth-authorize-url",
        fake.authorize_url,
        "--oauth-token-url",
        fake.token_url,
    )
    for prompt, answer in [
        (r"Email address: ", email),
        (r"Your name, as recipients should see it: ", "Alice Example"),
        (r"Account name \(the file accounts/NAME\.toml\) \[alice\w+\]: ", ""),
        (
            r"1\. OAuth: sign in with Google in a browser.*\r\n.*2\. app password.*Choose \[1\]: ",
            "1",
        ),
        (r"OAuth client ID: ", GOOGLE_CLIENT[0]),
        (
            r"OAuth client secret \(shown next to the client ID; kept in the keyring\): ",
            GOOGLE_CLIENT[1],
        ),
    ]:
        term.expect(prompt)
        term.type(answer)
    url = term.expect(r"(http://127\.0\.0\.1:\d+/authorize\?\S+)").group(1)
    assert click(url) is not None  # the person allows access in the browser
    term.expect(r"Default autonomy \[manual\]: ")
    term.type("")
    term.expect(r"LLM base URL, or 'none' for offline drafts \[none\]: ")
    term.type("none")
    term.expect(rf"IMAP 127\.0\.0\.1:\d+ ok: logged in as {email} with OAuth \(Google\)")
    term.expect(r"SMTP 127\.0\.0\.1:\d+ ok: .*with OAuth \(Google\), nothing sent")
    term.expect(r"ready\.")
    assert term.exit_code() == 0, term.output
    assert GOOGLE_CLIENT[1] not in term.output

    name = login
    text = (paths.accounts_dir() / f"{name}.toml").read_text()
    assert 'auth = "oauth2"' in text and f'client_id = "{GOOGLE_CLIENT[0]}"' in text
    tokens = oauth.TokenSet.from_secret(
        PlaintextKeyring().get_password("inbox-agent", f"{name}:imap") or ""
    )
    assert tokens.client_secret == GOOGLE_CLIENT[1]
    home = Path(terminal_env["INBOX_AGENT_HOME"])
    assert (
        _files_containing(home, GOOGLE_CLIENT[1], tokens.refresh_token, tokens.access_token) == []
    )
    assert f"user=<{login}>, method=XOAUTH2" in world.dovecot.log.read_text()
    assert login in world.smtp.handler.xoauth2_logins  # type: ignore[attr-defined]


def test_the_same_steps_from_flags_in_a_script(
    mail_world: Any,
    agent_home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    alice = mail_world.new_user("alice")
    flags = [
        "init",
        "--email",
        alice.address,
        "--name",
        "main",
        "--imap-host",
        "127.0.0.1",
        "--imap-port",
        str(mail_world.imap_port),
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        str(mail_world.smtp_port),
        "--security",
        "none",
        "--autonomy",
        "autopilot",
        "--no-llm",
        "--password-stdin",
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO(alice.password + "\n"))
    code, out, err = run(capsys, *flags)
    assert code == 0, err
    assert "IMAP 127.0.0.1" in out and "ready." in out and alice.password not in out + err
    assert secrets.get_secret("main", "imap") == alice.password
    account = config.load_accounts(config.load_settings())[0]
    assert account.autonomy.default == "autopilot" and not config.load_settings().llm.enabled

    monkeypatch.setattr("sys.stdin", io.StringIO(alice.password + "\n"))
    code, _, err = run(capsys, *flags)
    assert code == 2 and "already exists" in err and "--force" in err
    code, _, err = run(capsys, "init", "--name", "other")
    assert code == 2 and "Email address is needed" in err and "pass --email" in err


def test_a_preset_needs_no_servers_and_refuses_what_the_provider_refuses(
    agent_home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("abcd efgh ijkl mnop\n"))
    code, _, err = run(capsys, "init", "--email", "me@gmail.com", "--password-stdin", "--no-check")
    assert code == 0, err
    text = (paths.accounts_dir() / "me.toml").read_text()
    assert 'provider = "gmail"' in text and 'host = "imap.gmail.com"' in text
    assert "saves_sent = true" in text and "abcd" not in text

    code, _, err = run(capsys, "init", "--email", "you@outlook.com", "--password-stdin")
    assert code == 2 and "Outlook.com does not accept passwords" in err and "--oauth" in err
    code, _, err = run(capsys, "init", "--email", "you@icloud.com", "--oauth", "--client-id", "x")
    assert code == 2 and "iCloud Mail has no OAuth sign-in" in err


def test_config_validate_reads_every_file_and_checks_the_keyring(
    agent_home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("app-password\n"))
    assert (
        run(capsys, "init", "--email", "me@fastmail.com", "--password-stdin", "--no-check")[0] == 0
    )
    (paths.accounts_dir() / "broken.toml").write_text(
        'email = "x@example.org"\n[imap]\nhost = 1\n[smtp]\nhost = "smtp.example.org"\n'
    )
    (paths.accounts_dir() / "nosecret.toml").write_text('email = "y@gmail.com"\n')
    code, out, err = run(capsys, "config", "validate")
    assert code == 2
    assert "me.toml: ok (me@fastmail.com, Fastmail, password, manual)" in out
    assert "broken.toml: imap.host: must be a string" in err
    assert "nosecret.toml: no password is stored in the keyring" in err
    assert "fix: `inbox-agent secret set nosecret imap`" in err
    code, out, _ = run(capsys, "config", "validate", "--json")
    rows = json.loads(out)
    assert code == 2 and [r["ok"] for r in rows] == [True, False, True, False]


def test_the_llm_table_is_replaced_and_the_rest_of_the_file_kept(agent_home: Path) -> None:
    path = paths.global_config_file()
    path.parent.mkdir(parents=True)
    path.write_text(
        '[daemon]\npoll_interval = "2m"\n\n[llm]\nbase_url = "http://old/v1"\nmodel = "m"\n'
        'timeout = "45s"\n\n[cadence]\ntouches = 2\n'
    )
    wizard.write_llm(path, LlmChoice(True, "http://localhost:11434/v1", "llama3.1"))
    settings = config.load_settings(path)
    assert (settings.llm.base_url, settings.llm.model, settings.llm.timeout_s) == (
        "http://localhost:11434/v1",
        "llama3.1",
        45.0,
    )
    assert settings.cadence.touches == 2 and settings.poll_interval.amount == 2
    wizard.write_llm(path, LlmChoice(True))
    assert not config.load_settings(path).llm.enabled and "[llm]" not in path.read_text()
    assert tomllib.loads(path.read_text())["cadence"]["touches"] == 2


def _commands(parser: Any, prefix: str = "inbox-agent") -> Iterator[tuple[str, Any]]:
    for action in parser._actions:
        if action.__class__.__name__ == "_SubParsersAction":
            for name, sub in action.choices.items():
                yield f"{prefix} {name}", sub
                yield from _commands(sub, f"{prefix} {name}")


@pytest.mark.parametrize(
    ("command", "parser"), list(_commands(build_parser())), ids=lambda c: str(c)
)
def test_every_command_and_subcommand_has_help_and_is_in_the_readme(
    command: str, parser: Any
) -> None:
    assert parser.description and len(parser.format_help()) > 80
    readme = (ROOT / "README.md").read_text()
    assert f"`{command}" in readme or f"{command} " in readme, f"{command} is not in the README"


def test_the_example_config_comments_every_key_and_its_account_part_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (ROOT / "config.example.toml").read_text()
    part = text.split("accounts/work.toml", 1)[1].split("\n", 1)[1]
    account = "\n".join(re.findall(r"^# ([A-Za-z_\[].*)$", part, re.MULTILINE))
    known: list[str] = []
    original = config_load._Table.unknown_keys

    def recording(table: Any, keys: set[str]) -> None:  # the code's own list of keys
        known.extend(f"{table.prefix}{k}" for k in keys)
        original(table, keys)

    monkeypatch.setattr(config_load._Table, "unknown_keys", recording)
    path = tmp_path / "work.toml"
    path.write_text(account)
    loaded = config.load_account(path, config.load_settings(ROOT / "config.example.toml"))
    assert loaded.sending.holidays == "DE-BY" and loaded.autonomy.folders == {"Clients": "copilot"}
    assert loaded.oauth is not None and loaded.oauth.server.scopes == ("https://mail.google.com/",)
    assert len(known) > 30
    for key in known:  # each key, in the example, as `key =` inside its [table], or a [table]
        table, _, name = key.rpartition(".")
        section = text.split(f"[{table}]", 1)[1] if table else text
        pattern = rf"^#? ?({re.escape(name)} = |\[{re.escape(key)}\])"
        assert re.search(pattern, section, re.MULTILINE), key


def test_without_a_usable_keyring_nothing_is_asked_or_written(
    agent_home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import keyring
    from keyring.backends.fail import Keyring as NoKeyring

    from tests.infra.memkeyring import MemoryKeyring

    monkeypatch.setattr("sys.stdin", io.StringIO("app-password\n"))
    keyring.set_keyring(NoKeyring())
    try:
        code, out, err = run(capsys, "init", "--email", "me@gmail.com", "--password-stdin")
    finally:
        keyring.set_keyring(MemoryKeyring())
    assert code == 2 and "no usable keyring" in err and "fix:" in err
    assert not paths.accounts_dir().exists() and out == ""


def test_a_script_signs_in_to_microsoft_with_a_device_code(
    world: OAuthWorld, agent_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    login, email = world.add_user("carol")
    fake = world.server
    approved: list[str] = []
    threading.Thread(
        target=lambda: approved.append(fake.approve_pending(email)), daemon=True
    ).start()
    code, out, err = run(
        capsys,
        *("init", "--email", email, "--provider", "microsoft365", "--oauth", "--device"),
        *("--client-id", MICROSOFT_CLIENT, "--tenant", "contoso.example"),
        *("--imap-host", "127.0.0.1", "--imap-port", str(world.dovecot.imap_port)),
        *("--smtp-host", "127.0.0.1", "--smtp-port", str(world.smtp.port), "--security", "none"),
        *("--oauth-authorize-url", fake.authorize_url, "--oauth-token-url", fake.token_url),
        *("--oauth-device-url", fake.device_url, "--no-llm"),
    )
    assert code == 0, err
    assert f"open {fake.base_url}/device and enter the code {approved[0]}" in out
    assert "signed in with Microsoft" in out and "with OAuth (Microsoft), nothing sent" in out
    text = (paths.accounts_dir() / f"{login}.toml").read_text()
    assert 'provider = "microsoft365"' in text and 'tenant = "contoso.example"' in text
    assert "client_secret" not in fake.grants(signin.DEVICE_GRANT)[-1]


def test_check_names_a_model_the_endpoint_does_not_serve(
    mail_world: Any,
    llm_server: Any,
    agent_home: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tests.test_story import write_account

    alice = mail_world.new_user("alice")
    write_account(alice, mail_world.imap_port, mail_world.smtp_port)
    wizard.write_llm(paths.global_config_file(), LlmChoice(True, llm_server.base_url, "llama9"))
    code, out, err = run(capsys, "check")
    assert code == 2 and "IMAP 127.0.0.1" in out and "SMTP 127.0.0.1" in out
    assert "does not serve the model 'llama9' (it has: test-model)" in err
    assert "ollama pull llama9" in err
    code, out, _ = run(capsys, "check", "--json")
    findings = json.loads(out)
    assert [(f["part"], f["ok"]) for f in findings] == [
        ("imap", True),
        ("smtp", True),
        ("llm", False),
    ]
