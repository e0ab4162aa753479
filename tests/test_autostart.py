"""Autostart: the Linux entry for real (written, read back, its command started, removed), the
macOS LaunchAgent and the Windows Run value by their content."""

from __future__ import annotations

import os
import plistlib
import signal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inbox_agent.desktop import autostart
from tests.infra.daemon import AgentProcess, log_text, profile_env, store_rows, write_profile
from tests.infra.mail import MailWorld, wait_for


def _cli(home: Path, env: dict[str, str], *args: str) -> tuple[int, str]:
    agent = AgentProcess(home, args, env)
    code = agent.wait(30)
    return code, agent.output


def test_linux_entry_is_written_starts_the_daemon_and_is_removed(
    mail_world: MailWorld, tmp_path: Path
) -> None:
    home = tmp_path / "profile"
    alice = mail_world.new_user("alice")
    write_profile(home, alice, mail_world.imap_port, mail_world.smtp_port)
    env = profile_env(home, XDG_CONFIG_HOME=str(tmp_path / "xdg-config"))
    env.pop("DISPLAY", None)

    code, out = _cli(home, env, "autostart", "enable")
    assert code == 0, out
    [entry] = (tmp_path / "xdg-config" / "autostart").glob("inbox-agent-*.desktop")
    assert str(entry) in out
    fields = dict(line.split("=", 1) for line in entry.read_text().splitlines() if "=" in line)
    assert fields["Type"] == "Application" and fields["Terminal"] == "false"
    assert fields["X-GNOME-Autostart-enabled"] == "true"
    argv = autostart.parse_exec(fields["Exec"])
    assert argv[:2] == ["env", f"INBOX_AGENT_HOME={home}"]
    assert argv[3:] == ["-m", "inbox_agent", "run"] and Path(argv[2]).exists()
    code, out = _cli(home, env, "autostart", "status")
    assert code == 0 and out.startswith("enabled:")

    # what the session would do at login: run Exec as written
    login_env = {k: v for k, v in env.items() if k != "INBOX_AGENT_HOME"}
    started = AgentProcess(home, [], login_env, argv=argv, cwd=tmp_path)
    try:
        assert wait_for(lambda: store_rows(home, "SELECT synced_at FROM folders"), 30), (
            started.output + log_text(home)
        )
        assert "no tray icon" in started.output and "is watching main" in started.output
        code, out = _cli(home, env, "status", "--json")
        assert f'"pid": {started.proc.pid}' in out
        started.signal(signal.SIGTERM)
        assert started.wait(20) == 0
    finally:
        started.stop()

    code, out = _cli(home, env, "autostart", "disable")
    assert code == 0 and "removed" in out and not entry.exists()
    code, out = _cli(home, env, "autostart", "disable")
    assert "was not enabled" in out
    code, out = _cli(home, env, "autostart", "status")
    assert out.startswith("disabled")


def test_a_stale_entry_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("INBOX_AGENT_HOME", raising=False)
    monkeypatch.setattr("sys.platform", "linux")
    entry = autostart.enable()
    path = Path(entry.location)
    assert path == tmp_path / "autostart" / "inbox-agent.desktop"
    assert autostart.status()["problem"] == ""
    path.write_text(path.read_text().replace(entry.argv[0], "/gone/venv/bin/python"))
    problem = str(autostart.status()["problem"])
    assert "/gone/venv/bin/python, which no longer exists" in problem
    assert autostart.disable() == (entry, True)


def test_macos_launch_agent_by_content() -> None:
    entry = autostart.plan(
        "darwin",
        {"INBOX_AGENT_HOME": "/Users/a/work"},
        "/Users/a/venv/bin/python",
        Path("/Users/a"),
    )
    label = "io.github.inbox-agent-" + autostart.name_for("/Users/a/work").split("-")[-1]
    assert entry.location == f"/Users/a/Library/LaunchAgents/{label}.plist"
    plist = plistlib.loads(entry.content.encode())
    assert plist["Label"] == label
    assert plist["ProgramArguments"] == ["/Users/a/venv/bin/python", "-m", "inbox_agent", "run"]
    assert plist["RunAtLoad"] is True and plist["KeepAlive"] == {"SuccessfulExit": False}
    assert plist["EnvironmentVariables"] == {"INBOX_AGENT_HOME": "/Users/a/work"}
    assert plist["StandardOutPath"] == "/Users/a/Library/Logs/inbox-agent/launchd.log"
    plain = autostart.plan("darwin", {}, "/usr/bin/python3", Path("/Users/a"))
    assert plain.location.endswith("/io.github.inbox-agent.plist")
    assert "EnvironmentVariables" not in plistlib.loads(plain.content.encode())


def test_windows_run_value_by_content() -> None:
    python = r"C:\Program Files\Python311\python.exe"
    entry = autostart.plan("win32", {}, python, Path(r"C:\Users\a"))
    assert entry.location == r"HKCU\Software\Microsoft\Windows\CurrentVersion\Run\inbox-agent"
    assert entry.content == r'"C:\Program Files\Python311\pythonw.exe" -m inbox_agent run'
    assert entry.argv == (r"C:\Program Files\Python311\pythonw.exe", "-m", "inbox_agent", "run")


def test_an_unknown_platform_says_what_to_do_instead() -> None:
    with pytest.raises(Exception, match="startup settings"):
        autostart.plan("sunos5", {}, "/usr/bin/python3", Path("/home/a"))


@given(
    st.lists(
        st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=12),
        min_size=1,
        max_size=5,
    )
)
def test_exec_lines_quote_and_read_back_any_argument(argv: list[str]) -> None:
    line = autostart.exec_line(tuple(argv))
    assert "\n" not in line
    assert autostart.parse_exec(line) == argv


def test_the_desktop_entry_keeps_paths_with_spaces_and_percent_signs() -> None:
    argv = ("/home/a/my venv/bin/python", "-m", "inbox_agent", "run")
    line = autostart.exec_line(argv)
    assert line == '"/home/a/my venv/bin/python" -m inbox_agent run'
    assert autostart.exec_line(("/x/100%/python",)) == "/x/100%%/python"
    assert os.sep == "/"
