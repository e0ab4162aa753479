"""A poll that finds nothing costs nothing that grows with the mailbox (on a real Dovecot).

Watched through the real parts, nothing patched: every SQL statement through SQLite's trace
callback on the store's connection, every mailbox call through a recording `Mailbox` wrapper
(tests/infra/faults.py), and what the planner was handed through `view.planned.last`."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from inbox_agent import clock, config, paths
from inbox_agent.engine import Engine
from inbox_agent.mail.headers import Header
from inbox_agent.store import SequenceState, Store
from tests.infra.faults import Faults
from tests.test_story import write_account

# what an idle poll may ask of the messages table: the newest row (is anything new?), and the
# rows after the newest one seen (none); no scan, no COUNT, no body, no facts
ALLOWED = (
    re.compile(r"SELECT MAX\(id\) FROM messages$"),
    re.compile(
        r"SELECT id, .* FROM messages WHERE id > \d+ AND \+account = .[^.]*. ORDER BY id LIMIT \d+$"
    ),
)


def _reads(statements: list[str], table: str) -> list[str]:
    return [s for s in statements if re.search(rf"\b(FROM|INTO|UPDATE) {table}\b", s)]


def test_a_poll_with_nothing_new_reads_no_message_rows_and_plans_nothing(
    mail_world: Any, agent_home: Path
) -> None:
    alice, bob = mail_world.new_user("alice"), mail_world.new_user("bob")
    old = datetime.now(UTC) - timedelta(days=90)
    history = [
        mail_world.send(alice, [bob.address], f"Old question {i}", "Any news?", date=old)
        for i in range(4)
    ]
    asked = mail_world.send(alice, [bob.address], "Contract", "Could you sign it?")
    write_account(alice, mail_world.imap_port, mail_world.smtp_port)
    settings = config.load_settings()
    account = config.load_account(paths.accounts_dir() / "main.toml", settings)
    faults = Faults()
    store = Store(paths.database_file())
    engine = Engine(account, settings, store, opener=faults.opener)
    engine.tick()  # the first cycle: the baseline, the live threads planned once
    [seq] = engine.sequences()
    assert seq.anchor_message_id == asked and seq.state == SequenceState.WAITING
    view = engine.ctx.view
    assert view.planned.last == (asked,)  # the others are history: older than the lookback

    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    faults.calls.clear()
    engine.tick()
    store.conn.set_trace_callback(None)
    watched = len(view.folders.watched())
    assert faults.calls.count("status") == watched
    assert not {"fetch_headers", "fetch_bodies", "fetch_raw", "uids", "search"} & set(faults.calls)
    on_messages = _reads(statements, "messages")
    assert all(any(p.search(s) for p in ALLOWED) for s in on_messages), on_messages
    for statement in on_messages:  # and each is a seek, not a walk over the account's rows
        plan = " ".join(r[3] for r in store.conn.execute(f"EXPLAIN QUERY PLAN {statement}"))
        assert plan == "SEARCH messages" or "(rowid>?)" in plan, (statement, plan)
    assert _reads(statements, "facts") == []
    # and a second one reads no audit row, draft, send or opt-out again: only whether any
    # was written since (`Store.standing_marks`), and the newest audit id
    statements.clear()
    store.conn.set_trace_callback(statements.append)
    engine.tick()
    store.conn.set_trace_callback(None)
    marks = re.compile(
        r"^SELECT \(SELECT id \|\| ' ' \|\| hash FROM audit|^SELECT MAX\(id\) FROM audit$"
    )
    kept = [s for s in statements if re.search(r"\b(FROM|INTO|UPDATE) (audit|opt_outs)\b", s)]
    assert all(marks.search(s) for s in kept), kept
    saving = "state IN ('saving')"  # the crash recovery's look for half-saved drafts
    assert [
        s for s in _reads(statements, "drafts") if not marks.search(s) and saving not in s
    ] == []
    assert view.planned.last == ()  # plan() was handed nothing

    # one reply to one old thread: the plan is handed that thread and the running sequence's
    clock.set_now(datetime.now(UTC) + timedelta(minutes=5))
    mail_world.reply(bob, to_message_id=history[2], body="Sorry, I missed this one.")
    engine.tick()
    keys = set(view.planned.last)
    assert keys == {history[2], asked}
    assert len(view.threads()) == 5  # of the five threads, the other three were not planned

    # a restart: the threads are in the store; the first plan reads the live threads' rows only
    again = Engine(account, settings, Store(paths.database_file()), opener=faults.opener)
    statements.clear()
    again.store.conn.set_trace_callback(statements.append)
    again.tick()
    again.store.conn.set_trace_callback(None)
    assert set(again.ctx.view.planned.last) == {history[2], asked}
    by_id = re.compile(r"\b(message_id|t\.thread) IN \(|GROUP BY \+?from_addr")
    whole = [
        s
        for s in _reads(statements, "messages")
        if not by_id.search(s) and not any(p.search(s) for p in ALLOWED)
    ]
    assert whole == []
    clock.set_now(None)


def test_the_folder_count_is_kept_by_every_write_and_migrated_once(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    store = Store(path)

    def item(uid: int) -> tuple[int, Header, list[str], int]:
        when = datetime(2026, 1, 1, tzinfo=UTC)
        return (
            uid,
            Header(f"<{uid}@x>", (), (), "s", "a@x", "", (), (), (), when, "normal", ""),
            [],
            1,
        )

    with store.tx():
        store.save_folder_state("main", "INBOX", "inbox", 7, 1, None, "t")
        store.add_messages("main", "INBOX", 7, [item(1), item(2), item(3)])
        store.add_messages("main", "INBOX", 7, [item(3)])  # a copy it has: not counted twice
    assert store.count_messages("main", "INBOX", 7) == 3
    with store.tx():
        store.forget_uids("main", "INBOX", [2])
        store.save_folder_state("main", "INBOX", "inbox", 7, 4, None, "t")
    assert store.count_messages("main", "INBOX", 7) == 2
    store.close()

    conn = sqlite3.connect(path)  # a file of schema 2 had no kept count
    conn.execute("ALTER TABLE folders DROP COLUMN messages")
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    store = Store(path)
    assert store.conn.execute("SELECT messages FROM folders").fetchone() == (2,)
    with store.tx():  # a UIDVALIDITY reset: counted again, once, for the new one
        store.save_folder_state("main", "INBOX", "inbox", 8, 1, None, "t")
    assert store.count_messages("main", "INBOX", 8) == 0
    assert store.conn.execute("SELECT messages FROM folders").fetchone() == (0,)
