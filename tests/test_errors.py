"""The error tree: drawn where it is defined, raised where the trouble arises, each error with a
fix that names the key or the command, and told to the user by its class: a refused login or a
missing folder at once, an outage only once it lasts."""

from __future__ import annotations

import contextlib
import inspect
import logging
import os
import re
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from inbox_agent import clock, config, errors, paths
from inbox_agent.cadence import add_business_days
from inbox_agent.desktop import daemon, notify
from inbox_agent.engine import Engine
from inbox_agent.errors import (
    FolderMissing,
    LoginRefused,
    MailServerError,
    SendFailure,
    SendRefused,
    Unreachable,
    UserError,
)
from inbox_agent.sender import smtp
from inbox_agent.store.db import Store
from inbox_agent.store.states import DraftState
from inbox_agent.sync import failures, imap
from inbox_agent.sync.folders import discover_folders
from tests.infra.dovecot import free_port
from tests.infra.mail import MailUser, MailWorld
from tests.test_daemon import Told
from tests.test_outbox import make_engine, nudges_to
from tests.test_story import run, write_account

# -- the tree ---------------------------------------------------------------------------------------


def _classes() -> list[type[BaseException]]:
    return [
        value
        for value in vars(errors).values()
        if inspect.isclass(value)
        and issubclass(value, BaseException)
        and value.__module__ == errors.__name__
    ]


def _drawn_parents() -> dict[str, str]:
    """Class name -> the name it hangs under in the module docstring's drawing."""
    drawing = (errors.__doc__ or "").split("\n\n")[1]  # the block after the first line
    parents: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    for line in drawing.splitlines():
        found = re.match(r"^([│├└─ ]*)([A-Z][A-Za-z]+) ", line)
        assert found, line
        depth = len(found.group(1)) // 4
        name = found.group(2)
        stack = stack[:depth]
        parents[name] = stack[-1][1] if stack else "Exception"
        stack.append((depth, name))
    return parents


def test_the_docstring_draws_the_tree_as_it_is() -> None:
    drawn = _drawn_parents()
    for cls in _classes():
        assert cls.__doc__ and len(cls.__doc__.split()) >= 8, cls  # says when it is raised
        assert drawn.get(cls.__name__) == cls.__mro__[1].__name__, cls.__name__


def test_each_mail_error_carries_a_fix_and_an_exit_code() -> None:
    mail = [cls for cls in _classes() if issubclass(cls, MailServerError)]
    assert {c.__name__ for c in mail} >= {
        "LoginRefused",
        "TokenRevoked",
        "Unreachable",
        "FolderMissing",
        "SendFailure",
        "SendRefused",
    }
    for cls in mail:
        error = cls("something happened")  # type: ignore[call-arg]
        assert error.fix == cls.default_fix and len(error.fix.split()) >= 5, cls
        assert str(error) == f"something happened\n  fix: {error.fix}"
    assert "inbox-agent secret set" in LoginRefused.default_fix
    assert "init --oauth" in errors.TokenRevoked.default_fix
    assert "[imap] sent_folder" in FolderMissing.default_fix
    assert "drafts_folder" in FolderMissing.default_fix
    assert FolderMissing.exit_code == UserError.exit_code == 2  # the user fixes the config
    assert LoginRefused.exit_code == Unreachable.exit_code == SendFailure.exit_code == 3
    assert SendRefused.permanent and not SendFailure.permanent
    assert issubclass(SendRefused, SendFailure) and SendFailure is smtp.SendFailure
    assert LoginRefused("x", "do this").fix == "do this"  # the raise site's own fix wins


# -- raised where it arises, with the fix for that account -----------------------------------------


def _account(user: MailUser, world: MailWorld, imap_port: int = 0, smtp_port: int = 0) -> Any:
    write_account(user, imap_port or world.imap_port, smtp_port or world.smtp_port)
    settings = config.load_settings()
    return config.load_account(paths.accounts_dir() / "main.toml", settings)


def _set_imap_key(line: str) -> None:
    path = paths.accounts_dir() / "main.toml"
    path.write_text(path.read_text().replace("[imap]\n", f"[imap]\n{line}\n"))


def test_a_refused_imap_login_is_login_refused_with_the_secret_command(
    mail_world: MailWorld, agent_home: Path
) -> None:
    account = _account(mail_world.new_user("alice"), mail_world)
    with pytest.raises(LoginRefused) as caught:
        imap.connect(account, "not-the-password", timeout=10)
    assert "rejected the login" in caught.value.message
    assert "inbox-agent secret set main imap" in caught.value.fix
    assert notify.problem_of(caught.value, "main").kind == "login"


def test_a_closed_port_is_unreachable_naming_the_imap_and_smtp_keys(
    mail_world: MailWorld, agent_home: Path
) -> None:
    closed = free_port()
    alice = mail_world.new_user("alice")
    account = _account(alice, mail_world, imap_port=closed, smtp_port=closed)
    with pytest.raises(Unreachable) as caught:
        imap.connect(account, alice.password, timeout=5)
    assert f"cannot reach the IMAP server 127.0.0.1:{closed}" in caught.value.message
    assert "[imap] host, port and security" in caught.value.fix
    with pytest.raises(SendFailure) as send:
        smtp.submit(account, alice.password, EmailMessage(), timeout=5)
    assert not send.value.permanent and not isinstance(send.value, SendRefused)
    assert "[smtp] host, port and security" in send.value.fix


def test_a_refused_smtp_login_is_refused_for_good(mail_world: MailWorld, agent_home: Path) -> None:
    account = _account(mail_world.new_user("alice"), mail_world)
    with pytest.raises(SendRefused) as caught:
        smtp.submit(account, "not-the-password", EmailMessage(), timeout=10)
    assert caught.value.permanent and "(535)" in caught.value.message
    assert "inbox-agent secret set main smtp" in caught.value.fix


def test_a_login_whose_connection_breaks_is_unreachable_not_refused(
    agent_home: Path, mail_world: MailWorld
) -> None:
    """imapclient wraps every error during LOGIN in a LoginError, a dropped connection too:
    holding the account until the password changes would be wrong for a network blip."""
    with _greets_then_hangs_up() as port:
        account = _account(mail_world.new_user("alice"), mail_world, imap_port=port)
        with pytest.raises(Unreachable) as caught:
            imap.connect(account, "whatever", timeout=5)
    assert not isinstance(caught.value, LoginRefused)
    assert notify.problem_of(caught.value, "main").kind == "unreachable"


@contextlib.contextmanager
def _greets_then_hangs_up() -> Iterator[int]:
    """A loopback IMAP server that greets, reads the LOGIN line and closes the connection."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)

    def serve() -> None:
        with contextlib.suppress(OSError):
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(10)
                conn.sendall(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n")
                conn.recv(4096)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        thread.join(15)
        listener.close()


def test_a_named_drafts_folder_the_server_lacks_is_folder_missing(
    mail_world: MailWorld, agent_home: Path
) -> None:
    alice = mail_world.new_user("alice")
    account = _account(alice, mail_world)
    _set_imap_key('drafts_folder = "Brouillons"')
    account = config.load_account(paths.accounts_dir() / "main.toml", config.load_settings())
    with imap.session(account, alice.password) as mailbox, pytest.raises(FolderMissing) as caught:
        discover_folders(mailbox, account)
    assert "drafts_folder = 'Brouillons'" in caught.value.message
    assert "set [imap] drafts_folder to one of the folders listed" in caught.value.fix
    assert caught.value.exit_code == 2


def test_check_exits_2_naming_the_key_for_a_missing_drafts_folder(
    mail_world: MailWorld, agent_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alice = mail_world.new_user("alice")
    write_account(alice, mail_world.imap_port, mail_world.smtp_port)
    _set_imap_key('drafts_folder = "Brouillons"')
    code, _out, err = run(capsys, "check")
    assert code == 2, err
    assert (
        "IMAP: " in err and "has no such folder" in err and "fix: set [imap] drafts_folder" in err
    )
    code, _out, err = run(capsys, "run", "--once")  # the worst failure's own code, not 3
    assert code == 2, err
    assert "drafts_folder = 'Brouillons'" in err


# -- told by class: at once, or once it lasts ------------------------------------------------------


@pytest.fixture
def frozen() -> Iterator[datetime]:
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    clock.set_now(start)
    yield start
    clock.set_now(None)


def test_a_refused_login_is_told_at_once_and_an_outage_only_once_it_lasts(
    frozen: datetime,
) -> None:
    told: list[tuple[str, str]] = []
    health = notify.Health(lambda title, text: told.append((title, text)), lambda _: "same", {})
    refused = LoginRefused("imap.x rejected the login for a", "store the right password")
    health.failed("work", refused)
    assert told == [
        ("inbox-agent needs you", "work: imap.x rejected the login for a\nstore the right password")
    ]
    assert health.blocked("work")  # not retried with the same secret

    told.clear()
    down = Unreachable("cannot reach the IMAP server imap.x:993 (timed out)")
    for minutes in (0, 10, 29):
        clock.set_now(frozen + timedelta(minutes=minutes))
        health.failed("home", down)
    assert told == [] and not health.blocked("home")
    clock.set_now(frozen + timedelta(minutes=31))
    health.failed("home", down)
    assert told == [("inbox-agent needs you", f"home: {down.message}\n{down.fix}")]
    health.tell("home", "mail", None)
    assert told[-1] == ("inbox-agent", "home: working again")


def test_a_missing_folder_is_told_at_once_and_not_held(frozen: datetime) -> None:
    told: list[tuple[str, str]] = []
    health = notify.Health(lambda title, text: told.append((title, text)), lambda _: "same", {})
    missing = FolderMissing("cannot find the drafts folder on imap.x (folders: INBOX)")
    for _poll in range(3):
        health.failed("main", missing)
    assert len(told) == 1 and "[imap] sent_folder" in told[0][1]
    assert not health.blocked("main")  # trying again costs nothing: the next poll sees the fix
    assert notify.problem_of(missing, "main").breaks_watch


def test_the_daemon_tells_a_missing_drafts_folder_at_once_and_recovers_when_fixed(
    mail_world: MailWorld, agent_home: Path
) -> None:
    alice = mail_world.new_user("alice")
    write_account(alice, mail_world.imap_port, mail_world.smtp_port)
    _set_imap_key('drafts_folder = "Brouillons"')
    settings = config.load_settings()
    told = Told()
    d = daemon.Daemon(
        settings, config.load_accounts(settings), Store(paths.database_file()), told, idle=False
    )
    try:
        d._job("poll", "main")
        d._job("poll", "main")
        needs = [text for title, text in told.said if title == "inbox-agent needs you"]
        assert len(needs) == 1 and "fix: " not in needs[0]
        assert "drafts_folder = 'Brouillons'" in needs[0] and "set [imap] drafts_folder" in needs[0]
        assert d.snapshot.state == "error" and not d.health.blocked("main")
        path = paths.accounts_dir() / "main.toml"
        path.write_text(path.read_text().replace('drafts_folder = "Brouillons"\n', ""))
        stat = path.stat()  # a new mtime even on a coarse clock: the daemon reloads by it
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        d._job("poll", "main")  # reloads the configuration; its new jobs poll from then on
        d._job("poll", "main")
        assert told.said[-1] == ("inbox-agent", "main: working again")
        assert d.store.last_sync("main")
    finally:
        d.store.close()


def test_the_boundary_names_the_tree_and_the_untranslated_edge() -> None:
    import imaplib
    import ssl

    for exc in (
        Unreachable("x"),
        SendRefused("x"),
        imaplib.IMAP4.error("APPEND failed"),
        imaplib.IMAP4.abort("socket error: EOF"),
        ssl.SSLError("bad record mac"),
        TimeoutError("timed out"),
        ConnectionResetError(),
    ):
        assert isinstance(exc, failures.ACTION_ERRORS), exc
    # a bug, or a keyring that will not open, is not the mail edge: it stops the tick
    assert not isinstance(KeyError("x"), failures.ACTION_ERRORS)
    assert not isinstance(errors.SecretError("no keyring"), failures.ACTION_ERRORS)


# -- the per-action boundary, against the real server ----------------------------------------------


def test_a_refused_append_costs_that_nudge_only_and_the_due_send_still_goes(
    mail_world: MailWorld, agent_home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Dovecot answers NO [TRYCREATE] to the APPEND of one nudge (its Drafts folder was deleted
    while the daemon ran); the same cycle still sends the nudge that was due, says in the log
    what failed, and the next cycle names the folder to fix."""
    alice, bob, carol = (mail_world.new_user(n) for n in ("alice", "bob", "carol"))
    monday = datetime(2026, 3, 2, 10, tzinfo=UTC)
    clock.set_now(monday)
    try:
        mail_world.send(alice, [bob.address], "Budget", "Numbers?", date=monday)
        mail_world.send(
            alice, [carol.address], "Venue", "Which one?", date=monday + timedelta(days=1)
        )
        first = make_engine(alice, mail_world, "autopilot")
        clock.set_now(add_business_days(monday, 3) + timedelta(minutes=1))
        assert first.tick().counts["scheduled"] == 1  # Budget; Venue is due a day later

        # the user points drafts_folder at a folder of their own, then deletes that folder
        with mail_world.imap_client(alice) as client:
            client.create_folder("Nudges")
        _set_imap_key('drafts_folder = "Nudges"')
        settings = config.load_settings()
        account = config.load_account(paths.accounts_dir() / "main.toml", settings)
        engine = Engine(account, settings, Store(paths.database_file()))
        with engine.session():
            assert engine.folders.drafts == "Nudges"
        with mail_world.imap_client(alice) as client:
            client.delete_folder("Nudges")

        clock.set_now(add_business_days(monday + timedelta(days=1), 3) + timedelta(minutes=1))
        with caplog.at_level(logging.ERROR, logger="inbox_agent.engine"):
            report = engine.tick()
        assert report.counts["due"] == 1 and report.counts["failed"] == 1
        assert report.counts["sent"] == 1 and len(nudges_to(mail_world, bob)) == 1
        assert nudges_to(mail_world, carol) == []
        [line] = [r.getMessage() for r in caplog.records if "failed" in r.getMessage()]
        assert line.startswith("main: Due ('Venue') failed; the rest of the cycle goes on: ")
        assert "TRYCREATE" in line  # the server's own words
        assert "1 actions failed (see the log)" in report.summary()
        [abandoned] = [r for r in engine.store.audit_rows("main") if r.action == "draft_abandoned"]
        assert "Nudges refused it" in abandoned.reason  # nothing left half-saved

        with pytest.raises(FolderMissing) as caught:
            engine.tick()
        assert "drafts_folder = 'Nudges'" in caught.value.message
        assert "[imap] drafts_folder" in caught.value.fix
        assert notify.problem_of(caught.value, "main").needs_user  # told at once

        path = paths.accounts_dir() / "main.toml"  # the user follows the fix
        path.write_text(path.read_text().replace('drafts_folder = "Nudges"\n', ""))
        account = config.load_account(path, settings)
        report = Engine(account, settings, Store(paths.database_file())).tick()
        assert report.counts["scheduled"] == 1 and not report.counts["failed"]
        scheduled = engine.store.drafts("main", (DraftState.SCHEDULED,))
        assert [d.folder for d in scheduled] == ["Drafts"]
    finally:
        clock.set_now(None)
