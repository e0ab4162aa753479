"""Sync and tracking on real servers: baseline, out-of-office, bounces, opt-outs, moved mail, tags
set in the mail client, UIDVALIDITY resets, and a server killed mid-sync. No duplicates and no
missed reply. On Dovecot, Cyrus and pymap (`world`), except the reset and the kill, which need a
server the test can take apart (Dovecot)."""

from __future__ import annotations

import secrets as random_secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from inbox_agent import clock, config, paths
from inbox_agent.cadence import add_business_days
from inbox_agent.engine import Engine
from inbox_agent.mail import headers
from inbox_agent.store.db import Store
from inbox_agent.store.records import SequenceRow
from inbox_agent.store.states import SequenceState
from inbox_agent.sync import folder_sync
from tests.infra.dovecot import DovecotServer
from tests.infra.mail import MailUser
from tests.infra.mailgen import generate, write_maildir
from tests.test_story import write_account


def engine_for(user: MailUser, imap_port: int, smtp_port: int, autonomy: str = "copilot") -> Engine:
    write_account(user, imap_port, smtp_port, autonomy)
    settings = config.load_settings()
    account = config.load_account(paths.accounts_dir() / "main.toml", settings)
    return Engine(account, settings, Store(paths.database_file()))


def state_of(engine: Engine, message_id: str) -> SequenceRow:
    [seq] = [s for s in engine.sequences() if s.anchor_message_id == message_id]
    return seq


@pytest.fixture
def four_days_later() -> Iterator[None]:
    clock.set_now(add_business_days(datetime.now(UTC), 4))
    yield
    clock.set_now(None)


def test_first_sync_is_a_baseline(world: Any, agent_home: Path) -> None:
    alice, bob = world.new_user("alice"), world.new_user("bob")
    old = datetime.now(UTC) - timedelta(days=60)
    world.send(alice, [bob.address], "Ancient history", "Any news?", date=old)
    fresh = world.send(alice, [bob.address], "This week", "Can we talk?")
    engine = engine_for(alice, world.imap_port, world.smtp_port)
    clock.set_now(add_business_days(datetime.now(UTC), 4))
    report = engine.tick()
    assert report.started == 1 and report.counts["due"] == 1
    assert [s.anchor_message_id for s in engine.sequences()] == [fresh]


def test_out_of_office_pauses_until_the_return_date(
    world: Any, agent_home: Path, four_days_later: None
) -> None:
    alice, bob = world.new_user("alice"), world.new_user("bob")
    engine = engine_for(alice, world.imap_port, world.smtp_port)
    original = world.send(
        alice,
        [bob.address],
        "Contract",
        "Please sign.",
        date=datetime.now(UTC) - timedelta(minutes=1),
    )
    back = (datetime.now(UTC) + timedelta(days=12)).strftime("%A, %B %d, %Y")
    world.reply(
        bob,
        to_message_id=original,
        body=f"I am out of the office until {back}.",
        subject="Automatic reply: Contract",
        headers={"Auto-Submitted": "auto-replied"},
    )
    report = engine.tick()
    assert report.counts["paused"] == 1 and report.counts["due"] == 0
    seq = state_of(engine, original)
    assert seq.state == SequenceState.WAITING and "until they are back" in seq.reason
    assert seq.next_due_at is not None
    assert seq.next_due_at.date() == (datetime.now(UTC) + timedelta(days=12)).date()


def test_hard_bounce_without_threading_headers_ends_the_sequence(
    world: Any, agent_home: Path, four_days_later: None
) -> None:
    alice, bob = world.new_user("alice"), world.new_user("bob")
    engine = engine_for(alice, world.imap_port, world.smtp_port)
    original = world.send(
        alice, [bob.address], "Proposal", "Thoughts?", date=datetime.now(UTC) - timedelta(days=1)
    )
    clock.set_now(datetime.now(UTC))
    engine.tick()  # tracked, not due yet
    dsn = (
        f"From: Mail Delivery System <MAILER-DAEMON@{alice.address.split('@')[1]}>\r\nTo: {alice.address}\r\n"
        f"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn{random_secrets.token_hex(4)}@example.test>\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx\r\n\r\nFinal-Recipient: rfc822; gone@example.test\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {original}\r\nSubject: Proposal\r\n--B--\r\n"
    )
    with world.imap_client(alice) as client:
        client.append("INBOX", dsn.encode())
    clock.set_now(add_business_days(datetime.now(UTC), 4))
    report = engine.tick()
    assert report.counts["bounced"] == 1 and report.counts["due"] == 0
    assert state_of(engine, original).state == SequenceState.BOUNCED


def test_opt_out_ends_for_good(world: Any, agent_home: Path, four_days_later: None) -> None:
    alice, bob = world.new_user("alice"), world.new_user("bob")
    engine = engine_for(alice, world.imap_port, world.smtp_port)
    original = world.send(
        alice, [bob.address], "Partnership", "Shall we?", date=datetime.now(UTC) - timedelta(days=1)
    )
    clock.set_now(datetime.now(UTC))
    engine.tick()
    world.reply(bob, to_message_id=original, body="Not interested, please stop emailing me.")
    clock.set_now(add_business_days(datetime.now(UTC), 4))
    assert engine.tick().counts["opted_out"] == 1
    assert state_of(engine, original).state == SequenceState.OPTED_OUT
    again = world.send(
        alice, [bob.address], "One more idea", "What about this?", date=datetime.now(UTC)
    )
    clock.set_now(add_business_days(datetime.now(UTC), 6))
    engine.tick()
    assert not [s for s in engine.sequences() if s.anchor_message_id == again]


def test_a_reply_moved_to_archive_is_not_missed(
    world: Any, agent_home: Path, four_days_later: None
) -> None:
    alice, bob = world.new_user("alice"), world.new_user("bob")
    engine = engine_for(alice, world.imap_port, world.smtp_port)
    original = world.send(
        alice, [bob.address], "Numbers", "Send them?", date=datetime.now(UTC) - timedelta(days=1)
    )
    answer = world.reply(bob, to_message_id=original, body="Attached.")
    with world.imap_client(alice) as client:  # the user files the answer away before we ever sync
        client.select_folder("INBOX")
        client.move(client.search(["HEADER", "Message-ID", answer]), "Archive")
    engine.tick()
    assert not engine.sequences()  # the archived answer counts: nothing to follow up
    with engine.session() as client:
        assert engine.sync(client) == 0  # and a second poll finds nothing new


def test_uidvalidity_reset_resyncs_without_duplicates(mail_world: Any, agent_home: Path) -> None:
    # On Dovecot only: a new UIDVALIDITY is made by deleting and re-creating the folder, and
    # Cyrus refuses to delete a folder flagged \Archive ("SPECIAL-USE flag conflict")
    alice, bob = mail_world.new_user("alice"), mail_world.new_user("bob")
    engine = engine_for(alice, mail_world.imap_port, mail_world.smtp_port)
    first = mail_world.send(alice, [bob.address], "Plan", "Here is the plan.")
    answer = mail_world.reply(bob, to_message_id=first, body="Looks good.")
    with mail_world.imap_client(alice) as client:
        client.select_folder("INBOX")
        client.copy(client.search(["ALL"]), "Archive")
    with engine.session() as client:
        engine.sync(client)
    before = engine.store.folder_state("main", "Archive")
    raw = mail_world.fetch_raw(alice, "INBOX", mail_world.find(alice, "INBOX", answer)[0])
    with mail_world.imap_client(alice) as client:  # recreate the folder: a new UIDVALIDITY
        client.delete_folder("Archive")
        client.create_folder("Archive")
        client.append("Archive", raw)
    with engine.session() as client:
        engine.sync(client)
    after = engine.store.folder_state("main", "Archive")
    assert before is not None and after is not None and before.uidvalidity != after.uidvalidity
    archived = [m for m in engine.store.messages("main") if m.folder == "Archive"]
    assert len(archived) == 1
    [thread] = [t for t in engine.threads() if first in t.message_ids]
    assert thread.message_ids == (first, answer)


@pytest.fixture(scope="module")
def crashy() -> Iterator[DovecotServer]:
    """A Dovecot of our own, so killing it does not disturb the other tests."""
    server = DovecotServer({})
    server.start()
    yield server
    server.cleanup()


def test_server_killed_mid_sync_costs_one_poll(crashy: DovecotServer, agent_home: Path) -> None:
    login = f"carol{random_secrets.token_hex(3)}"
    crashy.add_user(login, "pw-" + login)
    user = MailUser(login, "pw-" + login, "Carol Example")
    messages = generate(2500, login, seed=3)
    write_maildir(crashy.maildir(login), messages)
    crashy.chown_tree()
    engine = engine_for(user, crashy.imap_port, 9)
    killed: list[int] = []

    def kill_after_first_batch(folder: str, done: int, total: int) -> None:
        if not killed:
            killed.append(done)
            crashy.kill()

    with pytest.raises(Exception), engine.session() as client:  # noqa: B017 - any connection error
        stamp = clock.now().isoformat()
        for name, role in engine.folders.watched():
            folder_sync.sync_folder(
                client, engine.store, "main", name, role, stamp, kill_after_first_batch
            )
    assert killed == [folder_sync.BATCH]
    crashy.restart()
    with engine.session() as client:
        engine.sync(client)
    stored = engine.store.messages("main")
    assert len(stored) == len(messages)
    assert len({(m.folder, m.uid) for m in stored}) == len(messages)
    assert {m.header.message_id for m in stored} == {g.message_id for g in messages}


def test_a_no_follow_up_tag_in_the_mail_client_dismisses(
    world: Any, agent_home: Path, four_days_later: None
) -> None:
    alice, bob = world.new_user("alice"), world.new_user("bob")
    engine = engine_for(alice, world.imap_port, world.smtp_port)
    original = world.send(alice, [bob.address], "Ping", "Still on?", date=datetime.now(UTC))
    clock.set_now(datetime.now(UTC))
    engine.tick()
    assert state_of(engine, original).state == SequenceState.WAITING
    with world.imap_client(alice) as client:  # the user tags the message in their client
        client.select_folder("Sent")
        client.add_flags(client.search(["HEADER", "Message-ID", original]), [b"$NoFollowUp"])
    clock.set_now(add_business_days(datetime.now(UTC), 4))
    assert engine.tick().counts["due"] == 0
    seq = state_of(engine, original)
    assert seq.state == SequenceState.DISMISSED
    [row] = [r for r in engine.store.audit_rows("main") if r.action == "end"]
    assert row.actor == "user" and "$NoFollowUp" in row.reason


def test_a_named_sent_folder_that_does_not_exist_says_which_key_to_fix(
    world: Any, agent_home: Path
) -> None:
    from inbox_agent.errors import MailServerError

    alice = world.new_user("alice")
    engine_for(alice, world.imap_port, world.smtp_port)
    path = paths.accounts_dir() / "main.toml"
    path.write_text(path.read_text().replace("[imap]\n", '[imap]\nsent_folder = "Sent Items"\n'))
    settings = config.load_settings()
    engine = Engine(config.load_account(path, settings), settings, Store(paths.database_file()))
    with pytest.raises(MailServerError) as caught, engine.session():
        pass
    assert "sent_folder" in str(caught.value) and "Sent Items" in str(caught.value)
    path.write_text(path.read_text().replace('sent_folder = "Sent Items"', 'sent_folder = "Sent"'))
    engine = Engine(config.load_account(path, settings), settings, Store(paths.database_file()))
    with engine.session():
        assert engine.folders.sent == "Sent"


def test_pipelined_header_batches_are_each_batch_and_an_early_stop_leaves_the_session_usable(
    crashy: DovecotServer,
) -> None:
    """The sync keeps two UID FETCH commands in flight. Dovecot answers the next one before it
    completes the one before, so each batch must be made of the answers by UID, not of what
    came before its completion line (a batch came back empty and 239 of 2500 messages were never
    stored). Stopping early (storing failed) reads off what is in flight: the session goes on."""
    from imapclient import IMAPClient

    from inbox_agent.sync.imap import ImapMailbox

    login = f"dan{random_secrets.token_hex(3)}"
    crashy.add_user(login, "pw-" + login)
    messages = [m for m in generate(700, login, seed=5) if m.folder == "INBOX"]
    write_maildir(crashy.maildir(login), messages)
    crashy.chown_tree()
    client = IMAPClient("127.0.0.1", port=crashy.imap_port, ssl=False, timeout=30)
    client.login(login, "pw-" + login)
    mailbox = ImapMailbox(client)
    uids = mailbox.uids("INBOX")
    batches = [uids[i : i + 40] for i in range(0, len(uids), 40)]
    got = list(mailbox.fetch_header_batches("INBOX", batches))
    assert [sorted(g) for g in got] == batches
    ids = [headers.parse(f.header).message_id for g in got for f in g.values()]
    assert ids == [m.message_id for m in messages]
    answers = mailbox.fetch_header_batches("INBOX", batches)
    next(answers)
    answers.close()  # two commands were in flight
    assert sorted(mailbox.fetch_headers("INBOX", batches[-1])) == batches[-1]
    assert mailbox.status("INBOX").messages == len(messages)
    mailbox.logout()
