"""`inbox-agent demo` leaves real drafts in a real IMAP server; every command is documented."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from imapclient import IMAPClient

from inbox_agent.cli.main import build_parser
from inbox_agent.demo.run import sample_mailbox
from inbox_agent.mail.when import deadline
from inbox_agent.tracker.start import after_deadline
from tests.infra.process import end

ROOT = Path(__file__).resolve().parent.parent


def test_demo_leaves_drafts_an_independent_client_can_see(tmp_path: Path) -> None:
    env = dict(os.environ, INBOX_AGENT_HOME=str(tmp_path), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "inbox_agent", "demo", "--keep-running"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert proc.stdout is not None
    output = ""
    try:
        deadline = time.monotonic() + 60
        while "Press Ctrl-C" not in output and time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 1)
            if ready:
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                output += chunk.decode(errors="replace")
        assert "2 nudges saved to Drafts" in output and "1 queued for approval" in output, output
        match = re.search(r"host (\S+)\s+port (\d+)\s+user (\S+)\s+password (\S+)", output)
        assert match, output
        host, port, user, password = match.groups()
        with IMAPClient(host, port=int(port), ssl=False, timeout=10) as client:
            client.login(user, password)
            client.select_folder("Drafts", readonly=True)
            uids = client.search(["ALL"])
            fetched = client.fetch(
                uids, ["BODY.PEEK[HEADER.FIELDS (SUBJECT IN-REPLY-TO)]", "FLAGS"]
            )
        assert len(uids) == 2
        for data in fetched.values():
            assert b"\\Draft" in data[b"FLAGS"]
            block = next(
                v for k, v in data.items() if k.startswith(b"BODY[HEADER")
            )  # pymap quotes the names
            assert b"In-Reply-To: <" in block
        # the first nudge, printed in full as it sits in Drafts: greeting, text, sign-off, quote
        shown = output[output.index("The first nudge") :]
        assert "Hi Bob,\n\n" in shown and "Q3 contract: redlines" in shown
        assert "Thanks,\nAlice" in shown and "Alice Example <alice@example.test> wrote:" in shown
        assert "\n> Hi Bob,\n" in shown and "whether legal is fine with clause 7?" in shown
        # the offline text asks after what Alice's own ask waits for, in her words
        assert "Hi Bob,\n\nAny news on whether legal is fine with clause 7?\n\n" in shown
        assert "below" not in shown.split("wrote:")[0] or "> " in shown
        # approved from a second shell: the demo lends its keyring over a socket, no file
        approve = re.search(
            r"^  (PYTHON_KEYRING_BACKEND=\S+) (INBOX_AGENT_HOME=\S+) "
            r"inbox-agent approve (\d+)$",
            output,
            re.M,
        )
        assert approve, output
        second = dict(os.environ, PYTHONUNBUFFERED="1")
        for pair in approve.groups()[:2]:
            key, _, value = pair.partition("=")
            second[key] = value
        home = Path(second["INBOX_AGENT_HOME"])
        assert oct(home.stat().st_mode & 0o777) == "0o700"
        done = subprocess.run(
            [sys.executable, "-m", "inbox_agent", "approve", approve.group(3)],
            cwd=ROOT,
            env=second,
            capture_output=True,
            text=True,
            timeout=90,
        )
        assert done.returncode == 0 and "sent" in done.stdout, done.stdout + done.stderr
        written = [p for p in home.rglob("*") if p.is_file()]
        assert not any(password.encode() in p.read_bytes() for p in written)  # in no file
    finally:
        end(proc, 15)


def _commands() -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sorted(sub.choices)  # type: ignore[arg-type]


@pytest.mark.parametrize("command", _commands())
def test_every_command_has_help_and_is_in_the_readme(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args([command, "--help"])
    assert done.value.code == 0
    assert len(capsys.readouterr().out) > 80
    assert f"inbox-agent {command}" in (ROOT / "README.md").read_text()


def test_help_is_fast_and_needs_no_display() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "inbox_agent", "--help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        cwd=ROOT,
    )
    assert done.returncode == 0 and "demo" in done.stdout
    assert time.monotonic() - started < 5
    probe = "import sys, inbox_agent.cli; print(sorted(m for m in ('openai', 'pystray', 'pymap') if m in sys.modules))"
    assert (
        subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=30
        ).stdout.strip()
        == "[]"
    )


def test_the_example_config_reads_as_a_settings_file() -> None:
    from inbox_agent.config import load_settings

    settings = load_settings(ROOT / "config.example.toml")
    assert settings.llm.enabled and settings.cadence.touches == 3


@pytest.mark.parametrize("weekday", range(7))
def test_the_sample_ask_by_friday_is_overdue_on_every_day_of_the_week(weekday: int) -> None:
    """The demo drafts its two nudges whatever day it runs on: the contract ask ("by Friday") is
    dated so that the business day after its Friday has come (dated eight days back, it had not
    on weekends: sent on a Friday, "by Friday" is the next one)."""
    today = datetime.now(UTC).replace(microsecond=0)
    now = today - timedelta(days=(today.weekday() - weekday) % 7)
    [contract] = [m for _f, m in sample_mailbox(now) if "clause 7" in str(m.get_content())]
    sent = parsedate_to_datetime(str(contract["Date"]))
    by = deadline(str(contract.get_content()), sent)
    assert by is not None and by.weekday() == 4
    assert after_deadline(by, sent) <= now
    assert timedelta(days=8) <= now - sent <= timedelta(days=12)  # inside the 14-day lookback
