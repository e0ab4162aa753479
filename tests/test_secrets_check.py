"""Secrets live in the keyring only; `secret set` and `check` work against the real servers."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from inbox_agent import clock
from inbox_agent.cadence import add_business_days
from inbox_agent.config import secrets
from tests.test_story import run, write_account


def test_secret_set_reads_stdin_and_check_logs_in(
    mail_world: Any,
    agent_home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    alice = mail_world.new_user("alice")
    write_account(alice, mail_world.imap_port, mail_world.smtp_port)
    secrets.set_secret("main", "imap", "wrong")
    code, _, err = run(capsys, "check")
    assert code == 3 and "rejected the login" in err and "inbox-agent secret set main imap" in err
    monkeypatch.setattr("sys.stdin", io.StringIO(alice.password + "\n"))
    assert run(capsys, "secret", "set", "main", "imap")[0] == 0
    assert secrets.get_secret("main", "imap") == alice.password
    code, out, err = run(capsys, "check")
    assert code == 0, err
    assert "IMAP 127.0.0.1" in out and "drafts=Drafts" in out and "SMTP 127.0.0.1" in out


def test_no_secret_in_any_file_log_database_or_audit(
    mail_world: Any, agent_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alice, bob = mail_world.new_user("alice"), mail_world.new_user("bob")
    write_account(alice, mail_world.imap_port, mail_world.smtp_port)
    mail_world.send(alice, [bob.address], "Numbers", "Can you send the numbers?")
    secrets.set_secret("llm", "llm", "sk-super-secret-api-key")
    clock.set_now(add_business_days(datetime.now(UTC), 4))
    code, out, err = run(capsys, "-v", "run", "--once")
    assert code == 0, err
    [queued] = json.loads(run(capsys, "queue", "--json")[1])
    code, out2, err2 = run(capsys, "-v", "approve", str(queued["id"]))
    assert code == 0, err2
    leaked = [
        str(path)
        for path in agent_home.rglob("*")
        if path.is_file()
        and (
            alice.password.encode() in path.read_bytes() or b"sk-super-secret" in path.read_bytes()
        )
    ]
    assert leaked == []
    assert alice.password not in out + err + out2 + err2
