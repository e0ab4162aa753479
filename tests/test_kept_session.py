"""The daemon keeps one IMAP session from poll to poll (on a real Dovecot).

Counted through the real parts: logins through the opener the engine is handed (the real IMAP
one inside), SELECT and EXAMINE through imapclient's own command log. A poll with nothing new
on the kept session is STATUS only; mail delivered after a cycle that left INBOX selected is
seen by the next poll (nothing stays selected between polls), each folder selected once in
its cycle; the server closing the session between polls costs one login, not the poll."""

from __future__ import annotations

import logging
import re
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from inbox_agent import clock, config, paths
from inbox_agent.config import Account
from inbox_agent.engine import Engine, open_imap
from inbox_agent.store import SequenceState, Store
from inbox_agent.sync.mailbox import Mailbox
from tests.infra.dovecot import DovecotServer
from tests.infra.mail import wait_for
from tests.test_story import write_account

SELECTS = re.compile(r"\b(SELECT|EXAMINE) ")


def _selects(caplog: pytest.LogCaptureFixture) -> list[str]:
    found = [r.getMessage() for r in caplog.records if SELECTS.search(r.getMessage())]
    caplog.clear()
    return found


def test_one_session_serves_every_poll_and_outlives_the_server_closing_it(
    mail_world: Any, dovecot: DovecotServer, agent_home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    alice, bob = mail_world.new_user("alice"), mail_world.new_user("bob")
    asked = mail_world.send(alice, [bob.address], "Contract", "Could you sign it?")
    write_account(alice, mail_world.imap_port, mail_world.smtp_port)
    settings = config.load_settings()
    account = config.load_account(paths.accounts_dir() / "main.toml", settings)
    logins: list[str] = []

    def opener(acct: Account) -> AbstractContextManager[Mailbox]:
        logins.append(acct.name)
        return open_imap(acct)

    engine = Engine(
        account, settings, Store(paths.database_file()), opener=opener, keep_session=True
    )
    caplog.set_level(logging.DEBUG, logger="imapclient.imaplib")
    engine.tick()
    watched = [name for name, _role in engine.folders.watched()]
    [seq] = engine.sequences()
    assert seq.anchor_message_id == asked
    clock.set_now(datetime.now(UTC) + timedelta(minutes=5))
    mail_world.reply(bob, to_message_id=asked, body="Signed, see attached.")
    engine.tick()  # the reply's body is read: this cycle ends with INBOX selected
    assert engine.sequence_row(seq.id).state == SequenceState.REPLIED
    mail_world.send(bob, [alice.address], "Lunch?", "Thursday at noon?")
    _selects(caplog)
    assert engine.tick().new_messages == 1  # its STATUS saw the new mail all the same
    selected = _selects(caplog)
    assert len(selected) == len(set(selected)) <= len(watched)  # each folder selected once
    for _ in range(3):  # polls that find nothing: the same session, STATUS only
        engine.tick()
        assert _selects(caplog) == []
    assert len(logins) == 1

    dovecot.doveadm("kick", alice.login)  # the server drops the session between two polls
    assert wait_for(lambda: alice.login not in dovecot.doveadm("who", check=False), 10, 0.1)
    mail_world.send(bob, [alice.address], "Dinner?", "Friday?")
    assert engine.tick().new_messages == 1
    assert len(logins) == 2
    engine.close_session()
    engine.tick()  # closed (idle too long, a wake, a stop): the next unit logs in again
    assert len(logins) == 3
    engine.close_session()
    clock.set_now(None)
