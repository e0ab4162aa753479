"""The SQLite store: schema, migrations and every SQL statement in the program.

Writes that change state happen inside `Store.tx()` (BEGIN IMMEDIATE … COMMIT), and the audit row
for that change is written in the same transaction. The schema is one SQL script, versioned by
`PRAGMA user_version`; every statement is plain sqlite3.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from inbox_agent.mail.headers import Header

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS folders (
    account TEXT NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL,
    uidvalidity INTEGER, uidnext INTEGER, highestmodseq INTEGER, synced_at TEXT,
    PRIMARY KEY (account, name)
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY, account TEXT NOT NULL, folder TEXT NOT NULL,
    uidvalidity INTEGER NOT NULL, uid INTEGER NOT NULL, message_id TEXT NOT NULL,
    in_reply_to TEXT NOT NULL, refs TEXT NOT NULL, subject TEXT NOT NULL,
    from_addr TEXT NOT NULL, from_name TEXT NOT NULL, to_addrs TEXT NOT NULL,
    cc_addrs TEXT NOT NULL, reply_to TEXT NOT NULL, date TEXT, kind TEXT NOT NULL,
    agent_id TEXT NOT NULL, flags TEXT NOT NULL, size INTEGER NOT NULL DEFAULT 0,
    thrid TEXT NOT NULL DEFAULT '',
    UNIQUE (account, folder, uidvalidity, uid)
);
CREATE INDEX IF NOT EXISTS messages_by_id ON messages (account, message_id);
CREATE TABLE IF NOT EXISTS sequences (
    id INTEGER PRIMARY KEY, account TEXT NOT NULL, anchor_message_id TEXT NOT NULL,
    thread_key TEXT NOT NULL, subject TEXT NOT NULL, state TEXT NOT NULL,
    touches_sent INTEGER NOT NULL DEFAULT 0, last_touch_at TEXT NOT NULL, next_due_at TEXT,
    seen_ids TEXT NOT NULL, participants TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    UNIQUE (account, anchor_message_id)
);
CREATE TABLE IF NOT EXISTS drafts (
    id INTEGER PRIMARY KEY, account TEXT NOT NULL, sequence_id INTEGER NOT NULL,
    touch INTEGER NOT NULL, message_id TEXT NOT NULL, agent_id TEXT NOT NULL,
    folder TEXT NOT NULL, uidvalidity INTEGER, uid INTEGER, subject TEXT NOT NULL,
    body TEXT NOT NULL, raw_sha256 TEXT NOT NULL, recipients TEXT NOT NULL,
    autonomy TEXT NOT NULL, drafter TEXT NOT NULL, html INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY, account TEXT NOT NULL, draft_id INTEGER NOT NULL,
    sequence_id INTEGER NOT NULL, message_id TEXT NOT NULL UNIQUE, state TEXT NOT NULL,
    not_before TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS facts (
    account TEXT NOT NULL, message_id TEXT NOT NULL, facts TEXT NOT NULL, read_at TEXT NOT NULL,
    PRIMARY KEY (account, message_id)
);
CREATE TABLE IF NOT EXISTS opt_outs (
    account TEXT NOT NULL, address TEXT NOT NULL, message_id TEXT NOT NULL, at TEXT NOT NULL,
    PRIMARY KEY (account, address)
);
CREATE TABLE IF NOT EXISTS autonomy (
    account TEXT NOT NULL, scope TEXT NOT NULL, level TEXT NOT NULL, set_at TEXT NOT NULL,
    PRIMARY KEY (account, scope)
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
    account TEXT NOT NULL, sequence_id INTEGER, draft_id INTEGER, message_id TEXT NOT NULL,
    state_before TEXT NOT NULL, state_after TEXT NOT NULL, reason TEXT NOT NULL,
    prev_hash TEXT NOT NULL, hash TEXT NOT NULL
);
"""

_JSON_COLUMNS = {
    "seen_ids",
    "participants",
    "recipients",
    "facts",
}


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    return {
        k: json.loads(v) if k in _JSON_COLUMNS and isinstance(v, str) else v for k, v in row.items()
    }


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A message as the store keeps it: its header facts and where it lives."""

    folder: str
    uid: int
    header: Header
    flags: tuple[str, ...]


class Store:
    """One SQLite file for all accounts. Callers serialise access (the daemon runs one cycle at a time)."""

    def __init__(self, path: Path | str) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(
            str(path), isolation_level=None, timeout=30, check_same_thread=False
        )
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self._migrate()
        self._depth = 0
        self.generation = 0  # bumped whenever messages are forgotten; thread indexes rebuild then

    def close(self) -> None:
        self.conn.close()

    def _migrate(self) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise RuntimeError(
                f"the database was written by a newer inbox-agent (schema {version}); upgrade inbox-agent"
            )
        if version < 1:
            self.conn.executescript(_SCHEMA)
            self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

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

    def _insert(self, table: str, values: dict[str, Any]) -> int:
        encoded = {k: json.dumps(v) if k in _JSON_COLUMNS else v for k, v in values.items()}
        columns = ", ".join(encoded)
        marks = ", ".join("?" for _ in encoded)
        cursor = self.conn.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(encoded.values())
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def _update(self, table: str, row_id: int, values: dict[str, Any]) -> None:
        encoded = {k: json.dumps(v) if k in _JSON_COLUMNS else v for k, v in values.items()}
        assignments = ", ".join(f"{k} = ?" for k in encoded)
        self.conn.execute(
            f"UPDATE {table} SET {assignments} WHERE id = ?", [*encoded.values(), row_id]
        )

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cursor = self.conn.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [_decode(dict(zip(names, row, strict=True))) for row in cursor.fetchall()]

    # -- folders -------------------------------------------------------------------------------
    def folder_state(self, account: str, name: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT * FROM folders WHERE account = ? AND name = ?", (account, name))
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
        self.conn.execute(
            "INSERT INTO folders VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account, name) DO UPDATE SET "
            "role = excluded.role, uidvalidity = excluded.uidvalidity, uidnext = excluded.uidnext, "
            "highestmodseq = excluded.highestmodseq, synced_at = excluded.synced_at",
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
                _join(h.to),
                _join(h.cc),
                _join(h.reply_to),
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
        return self.conn.total_changes - before

    def count_messages(self, account: str, folder: str, uidvalidity: int) -> int:
        row = self.conn.execute(
            "SELECT COUNT(*) FROM messages WHERE account = ? AND folder = ? AND uidvalidity = ?",
            (account, folder, uidvalidity),
        ).fetchone()
        return int(row[0])

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

    # -- what bodies said ----------------------------------------------------------------------
    def facts(self, account: str) -> dict[str, dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT message_id, facts FROM facts WHERE account = ?", (account,)
        )
        return {mid: json.loads(data) for mid, data in rows}

    def save_facts(
        self, account: str, message_id: str, facts: dict[str, Any], read_at: str
    ) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO facts VALUES (?, ?, ?, ?)",
            (account, message_id, json.dumps(facts), read_at),
        )

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
        self.conn.executemany(
            "UPDATE messages SET flags = ? WHERE account = ? AND folder = ? AND uid = ?",
            [(_join(flags), account, folder, uid) for uid, flags in changes.items()],
        )

    def message_ids_flagged(self, account: str, keyword: str) -> set[str]:
        """Message-IDs carrying `keyword` (compared case-insensitively, as IMAP does)."""
        rows = self.conn.execute(
            "SELECT message_id FROM messages WHERE account = ? AND (' ' || lower(flags) || ' ') LIKE ?",
            (account, f"% {keyword.lower()} %"),
        )
        return {r[0] for r in rows}

    def messages_since(self, account: str, rowid: int) -> Iterator[tuple[int, StoredMessage]]:
        """Messages added after `rowid`, streamed: a big mailbox is never held twice in memory."""
        cursor = self.conn.execute(
            f"SELECT id, {_MESSAGE_COLUMNS} FROM messages WHERE account = ? AND id > ? ORDER BY id",
            (account, rowid),
        )
        while rows := cursor.fetchmany(2000):
            for row in rows:
                yield int(row[0]), _message_from_tuple(row[1:])

    def senders_in(self, account: str, folder: str) -> set[str]:
        rows = self.conn.execute(
            "SELECT DISTINCT from_addr FROM messages WHERE account = ? AND folder = ? AND from_addr != ''",
            (account, folder),
        )
        return {r[0] for r in rows}

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
        self.conn.execute(
            "DELETE FROM messages WHERE account = ? AND folder = ?", (account, folder)
        )

    def forget_uids(self, account: str, folder: str, uids: Iterable[int]) -> None:
        self.generation += 1
        self.conn.executemany(
            "DELETE FROM messages WHERE account = ? AND folder = ? AND uid = ?",
            [(account, folder, uid) for uid in uids],
        )

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
    def sequences(self, account: str, states: Sequence[str] = ()) -> list[dict[str, Any]]:
        if states:
            marks = ", ".join("?" for _ in states)
            return self._rows(
                f"SELECT * FROM sequences WHERE account = ? AND state IN ({marks}) ORDER BY id",
                (account, *states),
            )
        return self._rows("SELECT * FROM sequences WHERE account = ? ORDER BY id", (account,))

    def sequence(self, sequence_id: int) -> dict[str, Any] | None:
        rows = self._rows("SELECT * FROM sequences WHERE id = ?", (sequence_id,))
        return rows[0] if rows else None

    def add_sequence(self, values: dict[str, Any]) -> int:
        return self._insert("sequences", values)

    def update_sequence(self, sequence_id: int, values: dict[str, Any]) -> None:
        self._update("sequences", sequence_id, values)

    def _select(
        self, table: str, account: str | None, states: Sequence[str]
    ) -> list[dict[str, Any]]:
        sql, params = f"SELECT * FROM {table} WHERE 1 = 1", list[Any]()
        if account:
            sql += " AND account = ?"
            params.append(account)
        if states:
            sql += f" AND state IN ({', '.join('?' for _ in states)})"
            params += list(states)
        return self._rows(sql + " ORDER BY id", params)

    def drafts(
        self, account: str | None = None, states: Sequence[str] = ()
    ) -> list[dict[str, Any]]:
        return self._select("drafts", account, states)

    def draft(self, draft_id: int) -> dict[str, Any] | None:
        rows = self._rows("SELECT * FROM drafts WHERE id = ?", (draft_id,))
        return rows[0] if rows else None

    def add_draft(self, values: dict[str, Any]) -> int:
        return self._insert("drafts", values)

    def update_draft(self, draft_id: int, values: dict[str, Any]) -> None:
        self._update("drafts", draft_id, values)

    def outbox(
        self, account: str | None = None, states: Sequence[str] = ()
    ) -> list[dict[str, Any]]:
        return self._select("outbox", account, states)

    def add_outbox(self, values: dict[str, Any]) -> int:
        return self._insert("outbox", values)

    def update_outbox(self, outbox_id: int, values: dict[str, Any]) -> None:
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
        states = ("sent", "sending", "pending") if pending else ("sent", "sending")
        rows = self.conn.execute(
            "SELECT CASE WHEN state = 'pending' THEN not_before ELSE updated_at END FROM outbox "
            f"WHERE account = ? AND state IN ({', '.join('?' for _ in states)}) AND updated_at >= ?",
            (account, *states, since),
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

    # -- audit ---------------------------------------------------------------------------------
    def last_audit_hash(self) -> str:
        row = self.conn.execute("SELECT hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
        return str(row[0]) if row else ""

    def add_audit(self, values: dict[str, Any]) -> int:
        return self._insert("audit", values)

    def audit_rows(
        self, account: str | None = None, sequence_id: int | None = None, since: str | None = None
    ) -> list[dict[str, Any]]:
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
        return self._rows(sql + " ORDER BY id", params)


_MESSAGE_COLUMNS = (
    "folder, uid, message_id, in_reply_to, refs, subject, from_addr, from_name, to_addrs, cc_addrs, "
    "reply_to, date, kind, agent_id, thrid, flags"
)
_intern = sys.intern


def _join(values: Iterable[str]) -> str:
    # Message-IDs, addresses and flags never hold a space: a joined string reads back far
    # faster than JSON, and sync and the thread index read every row
    return " ".join(values)


def _split(text: str) -> tuple[str, ...]:
    return tuple(map(_intern, text.split())) if text else ()


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
        _split(to),
        _split(cc),
        _split(reply_to),
        datetime.fromisoformat(date) if date else None,
        _intern(kind),
        agent_id,
        thrid,
    )
    return StoredMessage(_intern(folder), int(uid), header, _split(flags))
