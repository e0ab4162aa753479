"""Timing and endings a person would expect, on Dovecot with the CLI as a user runs it.

A nudge alice never approves expires at the next step instead of going out weeks late.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from inbox_agent import clock
from inbox_agent.cadence import add_business_days
from tests.test_story import drafts_of, later, run, write_account

__all__ = ["later"]  # the fixture: four business days pass after the mail is sent


def test_a_nudge_never_approved_expires_at_the_next_step(
    mail_world: Any, agent_home: Path, capsys: pytest.CaptureFixture[str], later: None
) -> None:
    alice, bob = mail_world.new_user("alice"), mail_world.new_user("bob")
    write_account(alice, mail_world.imap_port, mail_world.smtp_port)
    mail_world.send(alice, [bob.address], "Offsite venue", "Which venue should I book?")
    code, out, err = run(capsys, "run", "--once")
    assert code == 0 and "1 queued for approval" in out, err
    [queued] = json.loads(run(capsys, "queue", "--json")[1])
    [row] = json.loads(run(capsys, "threads", "--json")[1])
    assert "waits for your approval" in row["reason"] and "expires unsent" in row["reason"]

    clock.set_now(add_business_days(clock.now(), 6))  # past the second gap (5 business days)
    code, out, err = run(capsys, "run", "--once")
    assert code == 0 and "1 expired unapproved" in out, err
    assert drafts_of(mail_world, alice) == []  # the untouched draft left Drafts
    assert json.loads(run(capsys, "queue", "--json")[1]) == []
    code, _, err = run(capsys, "approve", str(queued["id"]))
    assert code != 0  # never sent late
    with mail_world.imap_client(bob) as client:
        client.select_folder("INBOX", readonly=True)
        assert len(client.search(["ALL"])) == 1  # only alice's question
    [shown] = json.loads(run(capsys, "threads", "--json", "--all")[1])
    assert shown["state"] == "expired" and not shown["awaiting"]
    audit = json.loads(run(capsys, "audit", "--json")[1])
    [end] = [r for r in audit if r["action"] == "end"]
    assert end["state_after"] == "expired" and "waited for your approval" in end["reason"]
    assert any(r["action"] == "draft_removed" for r in audit)
