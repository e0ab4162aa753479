"""The SQLite store: every SQL statement in the program (the tables are in `schema`).

Writes that change state happen inside `Store.tx()` (BEGIN IMMEDIATE … COMMIT), and the audit row
for that change is written in the same transaction. Reads return typed records (`records`); every
write of a sequence's, draft's or send's state is checked against its machine's transition table
(`states`) first, inside the same transaction, so an illegal transition raises and writes nothing.
Every statement is plain sqlite3.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from inbox_agent.mail.classify import BodyFacts
from inbox_agent.mail.headers import Header
from inbox_agent.paths import private_file
from inbox_agent.store.records import (
    AuditRow,
    DraftChanges,
    DraftRow,
    FolderRow,
    NewDraft,
    NewSend,
    NewSequence,
    OutboxRow,
    R,
    SendChanges,
    SequenceChanges,
    SequenceRow,
    StoredMessage,
    decode,
    encode,
)
from inbox_agent.store.schema import migrate
from inbox_agent.store.states import (
    DRAFT,
    OUTBOX,
    SEQUENCE,
    DraftState,
    Event,
    Machine,
    OutboxState,
    S,
    SequenceState,
)
from inbox_agent.store.threadtables import ThreadTables


class Store(ThreadTables):
    """One SQLite file for all accounts. Callers serialise access (the daemon runs one cycle at a time)."""

    def __init__(self, path: Path | str) -> None:
        if str(path) != ":memory:":
            # private before SQLite opens it: it makes -wal and -shm with the file's own mode
            private_file(Path(path))
            for suffix in ("-wal", "-shm"):
                if (extra := Path(f"{path}{suffix}")).exists():
                    private_file(extra)
        self.conn = sqlite3.connect(
            str(path), isolation_level=None, timeout=30, check_same_thread=False
        )
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        migrate(self.conn)
        self._depth = 0
        self.generation = 0  # bumped whenever messages are forgotten; thread indexes rebuild then
        self._touched: dict[str, set[str]] = {}  # Message-IDs whose flags or facts changed
        self._forgotten: dict[str, set[str]] = {}  # Message-IDs whose rows were deleted

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def tx(self) -> Iterator[None]:
        """One exclusive write transaction; nested calls join the outer one."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self.conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")
        finally:
            self._depth = 0

    def _insert(self, table: str, values: Mapping[str, object]) -> int:
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        cursor = self.conn.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({marks})",
            [encode(v) for v in values.values()],
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def _update(self, table: str, row_id: int, values: Mapping[str, object]) -> None:
        assignments = ", ".join(f"{k} = ?" for k in values)
        self.conn.execute(
            f"UPDATE {table} SET {assignments} WHERE id = ?",
            [*(encode(v) for v in values.values()), row_id],
        )

    def _check(
        self,
        machine: Machine[S],
        table: str,
        row_id: int | None,
        event: Event | None,
        target: S | None,
    ) -> None:
        """Raise IllegalTransition unless the machine allows this write of a row's state. Call
        inside the transaction of the write, so the state read is the one being replaced."""
        if target is None:
            return
        source = None
        if row_id is not None:
            row = self.conn.execute(f"SELECT state FROM {table} WHERE id = ?", (row_id,)).fetchone()
            if row is None:
                raise LookupError(f"no row {row_id} in {table}")
            source = machine.kind(row[0])
        machine.check(source, event, machine.kind(target))

    def _records(self, record: type[R], sql: str, params: Sequence[Any] = ()) -> list[R]:
        cursor = self.conn.execute(sql, params)
        return decode(record, [d[0] for d in cursor.description], cursor.fetchall())

    # -- folders -------------------------------------------------------------------------------
    def folder_state(self, account: str, name: str) -> FolderRow | None:
        rows = self._records(
            FolderRow, "SELECT * FROM folders WHERE account = ? AND name = ?", (account, name)
        )
        return rows[0] if rows else None

    def save_folder_state(
        self,
        account: str,
        name: str,
        role: str,
        uidvalidity: int,
        uidnext: int,
        highestmodseq: int | None,
        synced_at: str,
    ) -> None:
        # a new folder is counted once here, a new UIDVALIDITY by the next `count_messages`;
        # after that every write of the folder's messages keeps its count
        changed = self.conn.execute(
            "UPDATE folders SET role = ?, uidnext = ?, highestmodseq = ?, synced_at = ?, "
            "messages = CASE WHEN uidvalidity IS ? THEN messages END, uidvalidity = ? "
            "WHERE account = ? AND name = ?",
            (role, uidnext, highestmodseq, synced_at, uidvalidity, uidvalidity, account, name),
        ).rowcount
        if not changed:
            self.conn.execute(
                "INSERT INTO folders (account, name, role, uidvalidity, uidnext, highestmodseq, "
                "synced_at, messages) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, (SELECT COUNT(*) FROM "
                "messages WHERE account = ?1 AND folder = ?2 AND uidvalidity = ?4))",
                (account, name, role, uidvalidity, uidnext, highestmodseq, synced_at),
            )

    def last_sync(self, account: str) -> str | None:
        row = self.conn.execute(
            "SELECT MAX(synced_at) FROM folders WHERE account = ?", (account,)
        ).fetchone()
        return row[0] if row else None

    def has_synced(self, account: str) -> bool:
        return (
            self.conn.execute(
                "SELECT 1 FROM folders WHERE account = ? AND synced_at IS NOT NULL LIMIT 1",
                (account,),
            ).fetchone()
            is not None
        )

    # -- messages ------------------------------------------------------------------------------
    def add_messages(
        self,
        account: str,
        folder: str,
        uidvalidity: int,
        items: Iterable[tuple[int, Header, Sequence[str], int]],
    ) -> int:
        rows = [
            (
                account,
                folder,
                uidvalidity,
                uid,
                h.message_id,
                _join(h.in_reply_to),
                _join(h.references),
                h.subject,
                h.from_addr,
                h.from_name,
                _join_addresses(h.to),
                _join_addresses(h.cc),
                _join_addresses(h.reply_to),
                h.date.isoformat() if h.date else None,
                h.kind,
                h.agent_id,
                _join(flags),
                size,
                h.thread_hint,
            )
            for uid, h, flags, size in items
        ]
        before = self.conn.total_changes
        self.conn.executemany(
            "INSERT OR IGNORE INTO messages (account, folder, uidvalidity, uid, message_id, in_reply_to, refs, "
            "subject, from_addr, from_name, to_addrs, cc_addrs, reply_to, date, kind, agent_id, flags, size, thrid) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        added = self.conn.total_changes - before
        self._recount(account, folder, added, uidvalidity)
        return added

    def _recount(
        self, account: str, folder: str, delta: int, uidvalidity: int | None = None
    ) -> None:
        """Keep folders.messages in step with a write of `delta` of the folder's messages (of
        `uidvalidity`, when given: rows of another one are not the folder's count)."""
        if delta:
            self.conn.execute(
                "UPDATE folders SET messages = messages + ? WHERE account = ? AND name = ? "
                "AND (? IS NULL OR uidvalidity = ?)",
                (delta, account, folder, uidvalidity, uidvalidity),
            )

    def count_messages(self, account: str, folder: str, uidvalidity: int) -> int:
        """How many of the folder's messages under `uidvalidity` the store holds: the kept count
        (folders.messages), counted once and kept when it is not known yet."""
        row = self.conn.execute(
            "SELECT messages FROM folders WHERE account = ? AND name = ? AND uidvalidity = ?",
            (account, folder, uidvalidity),
        ).fetchone()
        if row is not None and row[0] is not None:
            return int(row[0])
        count = int(
            self.conn.execute(
                "SELECT COUNT(*) FROM messages WHERE account = ? AND folder = ? AND uidvalidity = ?",
                (account, folder, uidvalidity),
            ).fetchone()[0]
        )
        if row is not None:
            self.conn.execute(
                "UPDATE folders SET messages = ? WHERE account = ? AND name = ? AND uidvalidity = ?",
                (count, account, folder, uidvalidity),
            )
        return count

    def folder_uids(self, account: str, folder: str) -> set[int]:
        rows = self.conn.execute(
            "SELECT uid FROM messages WHERE account = ? AND folder = ?", (account, folder)
        )
        return {int(r[0]) for r in rows}

    def locate(self, account: str, message_ids: Iterable[str]) -> dict[str, tuple[str, int, int]]:
        """Where each message lives: Message-ID -> (folder, uid, size), one copy each."""
        out: dict[str, tuple[str, int, int]] = {}
        ids = list(message_ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            rows = self.conn.execute(
                f"SELECT message_id, folder, uid, size FROM messages WHERE account = ? AND message_id IN ({marks})",
                (account, *chunk),
            )
            for mid, folder, uid, size in rows:
                out.setdefault(mid, (folder, int(uid), int(size)))
        return out

    def _chunks(self, sql: str, head: Sequence[object], ids: Iterable[str]) -> Iterator[Any]:
        """The rows of `sql` (its `{marks}` an IN list of Message-IDs, after the parameters in
        `head`) for `ids`, 500 at a time."""
        ordered = sorted(set(ids))
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            yield from self.conn.execute(
                sql.format(marks=", ".join("?" for _ in chunk)), (*head, *chunk)
            )

    def take_touched(self, account: str) -> set[str]:
        """The Message-IDs whose flags or facts this process changed since it last asked: what
        the planner must look at again although no new message arrived."""
        return self._touched.pop(account, set())

    def _touch(self, account: str, message_ids: Iterable[str]) -> None:
        self._touched.setdefault(account, set()).update(message_ids)

    # -- what bodies said ----------------------------------------------------------------------
    def facts(self, account: str, message_ids: Iterable[str] | None = None) -> dict[str, BodyFacts]:
        """What each read body said, by Message-ID (of `message_ids` only, when given)."""
        rows: Iterable[Any]
        if message_ids is None:
            rows = self.conn.execute(
                "SELECT message_id, facts FROM facts WHERE account = ?", (account,)
            )
        else:
            rows = self._chunks(
                "SELECT message_id, facts FROM facts WHERE account = ? AND message_id IN ({marks})",
                (account,),
                message_ids,
            )
        return {mid: BodyFacts.from_json(json.loads(data)) for mid, data in rows}

    def save_facts(self, account: str, message_id: str, facts: BodyFacts, read_at: str) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO facts VALUES (?, ?, ?, ?)",
            (account, message_id, json.dumps(facts.to_json()), read_at),
        )
        self._touch(account, (message_id,))

    def opt_outs(self, account: str, until: str | None = None) -> set[str]:
        """Who asked never to be followed up again (by `until`, an ISO time, when given)."""
        sql, params = "SELECT address FROM opt_outs WHERE account = ?", [account]
        if until is not None:
            sql += " AND at <= ?"
            params.append(until)
        return {r[0] for r in self.conn.execute(sql, params)}

    def add_opt_out(self, account: str, address: str, message_id: str, at: str) -> None:
        self.conn.execute(
            "INSERT OR IGNORE INTO opt_outs VALUES (?, ?, ?, ?)", (account, address, message_id, at)
        )

    def update_flags(self, account: str, folder: str, changes: dict[int, tuple[str, ...]]) -> None:
        for uid, flags in changes.items():
            rows = self.conn.execute(
                "UPDATE messages SET flags = ? WHERE account = ? AND folder = ? AND uid = ? "
                "RETURNING message_id",
                (_join(flags), account, folder, uid),
            )
            self._touch(account, (r[0] for r in rows))

    def message_ids_flagged(
        self, account: str, keyword: str, among: Iterable[str] | None = None
    ) -> set[str]:
        """Message-IDs carrying `keyword` (compared case-insensitively, as IMAP does); only
        those in `among` when given (an indexed lookup instead of a scan of every message)."""
        like = (f"% {keyword.lower()} %",)
        test = "(' ' || lower(flags) || ' ') LIKE ?"
        if among is None:
            rows = self.conn.execute(
                f"SELECT message_id FROM messages WHERE account = ? AND {test}", (account, *like)
            )
            return {r[0] for r in rows}
        found = self._chunks(
            f"SELECT message_id, {test} FROM messages WHERE account = ? AND message_id IN ({{marks}})",
            (*like, account),
            among,
        )
        return {mid for mid, flagged in found if flagged}

    def messages_since(self, account: str, rowid: int) -> Iterator[tuple[int, StoredMessage]]:
        """Messages added after `rowid`, streamed: a big mailbox is never held twice in memory."""
        cursor = self.conn.execute(
            f"SELECT id, {_MESSAGE_COLUMNS} FROM messages WHERE id > ? AND +account = ? ORDER BY id",
            (rowid, account),
        )
        while rows := cursor.fetchmany(2000):
            for row in rows:
                yield int(row[0]), _message_from_tuple(row[1:])

    def senders_in(self, account: str, folder: str, after: int = 0) -> tuple[set[str], int]:
        """The From addresses of `folder`'s messages stored after row `after`, and the newest row
        looked at: the caller keeps the set and asks again with that row, so a poll reads only
        what arrived since."""
        newest = self.conn.execute("SELECT MAX(id) FROM messages").fetchone()[0] or 0
        if newest <= after:
            return set(), after
        # after a first look, a range of rows (`+`: not the folder's index, which would visit
        # every row of the folder to find the few new ones)
        plus = "+" if after else ""
        rows = self.conn.execute(
            f"SELECT DISTINCT from_addr FROM messages WHERE id > ? AND id <= ? AND {plus}account = ? "
            f"AND {plus}folder = ? AND from_addr != ''",
            (after, newest, account, folder),
        )
        return {r[0] for r in rows}, int(newest)

    def newest_sent(
        self, account: str, folder: str, senders: Iterable[str], limit: int
    ) -> list[StoredMessage]:
        """The newest `limit` messages of `folder` sent by one of `senders`, drafts left out,
        newest first: only their dates are read before the rows themselves."""
        who = sorted(set(senders))
        if not who:
            return []
        rows = self.conn.execute(
            f"SELECT id, date FROM messages WHERE account = ? AND folder = ? AND from_addr IN "
            f"({', '.join('?' for _ in who)}) AND (' ' || flags || ' ') NOT LIKE '% \\Draft %'",
            (account, folder, *who),
        )
        undated = datetime.min.replace(tzinfo=UTC)
        dated = [(datetime.fromisoformat(d) if d else undated, int(i)) for i, d in rows]
        chosen = [i for _d, i in sorted(dated, reverse=True)[:limit]]
        if not chosen:
            return []
        found = self.conn.execute(
            f"SELECT id, {_MESSAGE_COLUMNS} FROM messages WHERE id IN "
            f"({', '.join('?' for _ in chosen)})",
            chosen,
        )
        by_id = {int(r[0]): _message_from_tuple(r[1:]) for r in found}
        return [by_id[i] for i in chosen if i in by_id]

    def display_names(self, account: str, addresses: Iterable[str]) -> dict[str, str]:
        """The newest display name each address used in a From header (those that used one)."""
        out: dict[str, str] = {}
        for address, name in self._chunks(
            "SELECT from_addr, from_name FROM messages WHERE account = ? AND from_name != '' "
            "AND from_addr IN ({marks}) ORDER BY id",
            (account,),
            addresses,
        ):
            out[address] = name  # a later row's name replaces an earlier one
        return out

    def display_name(self, account: str, address: str) -> str:
        """The newest display name `address` used in a From header, or "" when none is known."""
        row = self.conn.execute(
            "SELECT from_name FROM messages WHERE account = ? AND from_addr = ? AND from_name != '' "
            "ORDER BY id DESC LIMIT 1",
            (account, address.lower()),
        ).fetchone()
        return str(row[0]) if row else ""

    def drop_folder_messages(self, account: str, folder: str) -> None:
        self.generation += 1
        rows = self.conn.execute(
            "SELECT message_id FROM messages WHERE account = ? AND folder = ?", (account, folder)
        )
        self._forgotten.setdefault(account, set()).update(r[0] for r in rows)
        self.conn.execute(
            "DELETE FROM messages WHERE account = ? AND folder = ?", (account, folder)
        )
        self.conn.execute(
            "UPDATE folders SET messages = 0 WHERE account = ? AND name = ?", (account, folder)
        )

    def forget_uids(self, account: str, folder: str, uids: Iterable[int]) -> None:
        self.generation += 1
        before = self.conn.total_changes
        gone = self._forgotten.setdefault(account, set())
        for uid in uids:
            rows = self.conn.execute(
                "DELETE FROM messages WHERE account = ? AND folder = ? AND uid = ? "
                "RETURNING message_id",
                (account, folder, uid),
            )
            gone.update(r[0] for r in rows)
        self._recount(account, folder, before - self.conn.total_changes)

    def messages_after(
        self, account: str, rowid: int, limit: int
    ) -> list[tuple[int, StoredMessage]]:
        """Up to `limit` messages stored after row `rowid`, oldest first."""
        rows = self.conn.execute(
            # `+account`: a range of rows after the cursor, not the account's index (which
            # would visit every row of the account to find none: 34 ms a poll at 100k)
            f"SELECT id, {_MESSAGE_COLUMNS} FROM messages WHERE id > ? AND +account = ? "
            "ORDER BY id LIMIT ?",
            (rowid, account, limit),
        )
        return [(int(row[0]), _message_from_tuple(row[1:])) for row in rows]

    def thread_rows(self, account: str, threads: set[int] | None) -> dict[int, list[Header]]:
        """The stored messages of each thread (of every thread when None), drafts left out,
        oldest row first: the thread tables give the ids, `messages_by_id` the rows."""
        join = (
            f"SELECT t.thread, {_MESSAGE_COLUMNS_OF_M} FROM thread_ids t CROSS JOIN messages m "
            "ON m.account = t.account AND m.message_id = t.message_id WHERE t.account = ?"
        )
        out: dict[int, list[Header]] = {}
        if threads is None:
            batches: Iterable[list[Any]] = [
                list(self.conn.execute(join + " ORDER BY m.id", (account,)))
            ]
        else:
            numbers = sorted(threads)
            batches = (
                list(
                    self.conn.execute(
                        join + f" AND t.thread IN ({', '.join('?' for _ in chunk)}) ORDER BY m.id",
                        (account, *chunk),
                    )
                )
                for chunk in (numbers[i : i + 500] for i in range(0, len(numbers), 500))
            )
        for rows in batches:
            for row in rows:
                m = _message_from_tuple(row[1:])
                if "\\Draft" not in m.flags:
                    out.setdefault(int(row[0]), []).append(m.header)
        return out

    def messages(self, account: str) -> list[StoredMessage]:
        return [m for _, m in self.messages_since(account, 0)]

    def messages_with_ids(self, account: str, message_ids: Iterable[str]) -> list[StoredMessage]:
        ids = list(message_ids)
        out: list[StoredMessage] = []
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            rows = self.conn.execute(
                f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE account = ? AND message_id IN ({marks})",
                (account, *chunk),
            )
            out += [_message_from_tuple(row) for row in rows]
        return out

    # -- sequences, drafts, outbox -------------------------------------------------------------
    def _select(
        self, record: type[R], table: str, account: str | None, states: Collection[str]
    ) -> list[R]:
        sql, params = f"SELECT * FROM {table} WHERE 1 = 1", list[Any]()
        if account:
            sql += " AND account = ?"
            params.append(account)
        if states:
            sql += f" AND state IN ({', '.join('?' for _ in states)})"
            params += [str(s) for s in states]
        return self._records(record, sql + " ORDER BY id", params)

    def _one(self, record: type[R], table: str, row_id: int) -> R | None:
        rows = self._records(record, f"SELECT * FROM {table} WHERE id = ?", (row_id,))
        return rows[0] if rows else None

    def sequences(self, account: str, states: Collection[SequenceState] = ()) -> list[SequenceRow]:
        return self._select(SequenceRow, "sequences", account, states)

    def sequence(self, sequence_id: int) -> SequenceRow | None:
        return self._one(SequenceRow, "sequences", sequence_id)

    def add_sequence(self, values: NewSequence, event: Event) -> int:
        self._check(SEQUENCE, "sequences", None, event, values["state"])
        return self._insert("sequences", values)

    def update_sequence(
        self, sequence_id: int, values: SequenceChanges, event: Event | None = None
    ) -> None:
        """Change a sequence; `event` names what moves it when `values` holds a new state."""
        self._check(SEQUENCE, "sequences", sequence_id, event, values.get("state"))
        self._update("sequences", sequence_id, values)

    def drafts(
        self, account: str | None = None, states: Collection[DraftState] = ()
    ) -> list[DraftRow]:
        return self._select(DraftRow, "drafts", account, states)

    def draft(self, draft_id: int) -> DraftRow | None:
        return self._one(DraftRow, "drafts", draft_id)

    def add_draft(self, values: NewDraft, event: Event) -> int:
        self._check(DRAFT, "drafts", None, event, values["state"])
        return self._insert("drafts", values)

    def update_draft(self, draft_id: int, values: DraftChanges, event: Event | None = None) -> None:
        """Change a draft; `event` names what moves it when `values` holds a new state."""
        self._check(DRAFT, "drafts", draft_id, event, values.get("state"))
        self._update("drafts", draft_id, values)

    def outbox(
        self, account: str | None = None, states: Collection[OutboxState] = ()
    ) -> list[OutboxRow]:
        return self._select(OutboxRow, "outbox", account, states)

    def add_outbox(self, values: NewSend, event: Event) -> int:
        """Add a send: `event` is SCHEDULE for one that waits, SEND for one that goes now."""
        self._check(OUTBOX, "outbox", None, event, values["state"])
        return self._insert("outbox", values)

    def update_outbox(
        self, outbox_id: int, values: SendChanges, event: Event | None = None
    ) -> None:
        """Change a send; `event` names what moves it when `values` holds a new state."""
        self._check(OUTBOX, "outbox", outbox_id, event, values.get("state"))
        self._update("outbox", outbox_id, values)

    def our_message_ids(self, account: str) -> set[str]:
        """Message-IDs of every draft and send we made: their copies in Sent are our touches."""
        rows = self.conn.execute(
            "SELECT message_id FROM drafts WHERE account = ? UNION SELECT message_id FROM outbox WHERE account = ?",
            (account, account),
        )
        return {r[0] for r in rows}

    def sent_times(self, account: str, since: str, pending: bool = True) -> list[datetime]:
        """When each of the account's recent sends left, and (with `pending`) when each
        scheduled one will."""
        states = [OutboxState.SENT, OutboxState.SENDING]
        states += [OutboxState.PENDING] if pending else []
        rows = self.conn.execute(
            "SELECT CASE WHEN state = ? THEN not_before ELSE updated_at END FROM outbox "
            f"WHERE account = ? AND state IN ({', '.join('?' for _ in states)}) AND updated_at >= ?",
            (OutboxState.PENDING.value, account, *(s.value for s in states), since),
        )
        return sorted(datetime.fromisoformat(r[0]) for r in rows)

    # -- autonomy set from the command line or the tray ----------------------------------------
    def autonomy_overrides(self, account: str) -> list[tuple[str, str]]:
        rows = self.conn.execute(
            "SELECT scope, level FROM autonomy WHERE account = ? ORDER BY set_at", (account,)
        )
        return [(r[0], r[1]) for r in rows]

    def set_autonomy(self, account: str, scope: str, level: str, at: str) -> None:
        self.conn.execute(
            "INSERT INTO autonomy VALUES (?, ?, ?, ?) ON CONFLICT (account, scope) DO UPDATE SET "
            "level = excluded.level, set_at = excluded.set_at",
            (account, scope, level, at),
        )

    # -- what the user changed in our nudges ----------------------------------------------------
    def add_edit(self, values: Mapping[str, object]) -> None:
        """One edit (account, draft_id, message_id, kind, recipients, subject, drafted, written,
        at); the same message twice is kept once."""
        row = {**values, "recipients": _join(values["recipients"])}  # type: ignore[arg-type]
        self.conn.execute(
            f"INSERT OR IGNORE INTO edits ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
            tuple(row.values()),
        )

    def edits(self, account: str) -> list[dict[str, Any]]:
        """The account's edits, oldest first, as plain rows (`voice.edits.Edit` reads them)."""
        cur = self.conn.execute(
            "SELECT draft_id, message_id, kind, recipients, subject, drafted, written, at "
            "FROM edits WHERE account = ? ORDER BY at, id",
            (account,),
        )
        names = [d[0] for d in cur.description]
        return [{**dict(zip(names, r, strict=True)), "recipients": _split(r[3])} for r in cur]

    def forget_edits(self, account: str) -> int:
        return self.conn.execute("DELETE FROM edits WHERE account = ?", (account,)).rowcount

    # -- audit ---------------------------------------------------------------------------------
    def last_audit_id(self) -> int:
        """The newest audit row's id: every change of a sequence, draft or send writes one, by
        any process, so a planner that saw this id has seen every such change before it."""
        row = self.conn.execute("SELECT MAX(id) FROM audit").fetchone()
        return int(row[0] or 0)

    def last_audit_hash(self) -> str:
        row = self.conn.execute("SELECT hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
        return str(row[0]) if row else ""

    def add_audit(self, values: Mapping[str, object]) -> int:
        return self._insert("audit", values)

    def decided_messages(self, account: str, actions: Collection[str]) -> dict[str, str]:
        """Message-ID → the latest of `actions` the audit log holds for it (the user's own
        decisions about a message, such as following it up or never)."""
        marks = ", ".join("?" for _ in actions)
        rows = self.conn.execute(
            f"SELECT message_id, action FROM audit WHERE account = ? AND action IN ({marks}) "
            "ORDER BY id",
            (account, *actions),
        )
        return {mid: action for mid, action in rows if mid}

    def audit_rows(
        self, account: str | None = None, sequence_id: int | None = None, since: str | None = None
    ) -> list[AuditRow]:
        sql, params = "SELECT * FROM audit WHERE 1 = 1", list[Any]()
        if account:
            sql += " AND account = ?"
            params.append(account)
        if sequence_id is not None:
            sql += " AND sequence_id = ?"
            params.append(sequence_id)
        if since:
            sql += " AND at >= ?"
            params.append(since)
        return self._records(AuditRow, sql + " ORDER BY id", params)


_MESSAGE_COLUMNS = (
    "folder, uid, message_id, in_reply_to, refs, subject, from_addr, from_name, to_addrs, cc_addrs, "
    "reply_to, date, kind, agent_id, thrid, flags"
)
_MESSAGE_COLUMNS_OF_M = ", ".join(f"m.{c.strip()}" for c in _MESSAGE_COLUMNS.split(","))
_intern = sys.intern


def _join(values: Iterable[str]) -> str:
    # Message-IDs and flags never hold a space: a joined string reads back far
    # faster than JSON, and sync and the thread index read every row
    return " ".join(values)


def _split(text: str) -> tuple[str, ...]:
    return tuple(map(_intern, text.split())) if text else ()


# An address can hold a space ("carol x"@example.net): address lists are joined with the unit
# separator, which no normalised address holds (mail.addresses refuses every control)
ADDRESS_SEPARATOR = "\x1f"


def _join_addresses(values: Iterable[str]) -> str:
    return ADDRESS_SEPARATOR.join(values)


def _split_addresses(text: str) -> tuple[str, ...]:
    return tuple(map(_intern, text.split(ADDRESS_SEPARATOR))) if text else ()


def _message_from_tuple(row: Sequence[Any]) -> StoredMessage:
    # positional, in Header's field order: this runs once per message when the index is built
    (folder, uid, mid, irt, refs, subject, from_addr, from_name, to, cc, reply_to, date, kind,
     agent_id, thrid, flags) = row  # fmt: skip
    header = Header(
        mid,
        tuple(map(_intern, irt.split())) if irt else (),
        tuple(map(_intern, refs.split())) if refs else (),
        _intern(subject),
        _intern(from_addr),
        _intern(from_name),
        _split_addresses(to),
        _split_addresses(cc),
        _split_addresses(reply_to),
        datetime.fromisoformat(date) if date else None,
        _intern(kind),
        agent_id,
        thrid,
    )
    return StoredMessage(_intern(folder), int(uid), header, _split(flags))
