"""Chaos on real parts, a few runs each of scripts/chaos_send and scripts/race_reply (the scripts
run 200): the daemon cycle SIGKILLed at random moments never sends a nudge twice and never loses
one, and a reply that was in the mailbox before a nudge's SMTP session opened always stops it.

Each script brings its own private Dovecot and timed relay (`scripts/_mailworld.py`), so these
tests share nothing with the session's servers.
"""

from __future__ import annotations

import pytest

from scripts import chaos_send_impl, race_reply_impl

pytestmark = pytest.mark.slow


def test_a_killed_daemon_never_sends_twice_and_never_loses_a_send() -> None:
    result = chaos_send_impl.main(
        ["--runs", "3", "--jobs", "3", "--threads", "4", "--restarts", "4", "--seed", "7"]
    )
    assert result["runs"] == 3 and result["threads"] == 12
    assert result["double_sends"] == 0, result
    assert result["lost_sends"] == 0, result
    assert result["audit_verified"] is True, result
    assert result["failed_cycles"] == 0 and result["unfinished_runs"] == 0, result


def test_no_nudge_is_submitted_after_the_reply_is_in_the_mailbox() -> None:
    result = race_reply_impl.main(["--runs", "3", "--jobs", "3", "--threads", "2", "--seed", "7"])
    assert result["runs"] == 3 and result["samples"] == 6
    assert result["sends_after_reply"] == 0, result
    assert result["double_sends"] == 0 and result["other"] == 0, result
    assert result["audit_verified"] is True, result
