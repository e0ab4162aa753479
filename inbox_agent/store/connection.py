"""The store's connection to its SQLite file: opening it privately (WAL, foreign keys, migrated
to the current schema), the exclusive write transaction, and the few generic statements the
table modules build on. Writes that change state happen inside `tx()` (BEGIN IMMEDIATE …
COMMIT), and the audit row for that change is written in the same transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from inbox_agent.paths import private_file
from inbox_agent.store.records import R, decode, encode
from inbox_agent.store.schema import migrate


class Connection:
    """One SQLite file for all accounts. Callers serialise access (the daemon runs one cycle at a time)."""

    def __init__(self, path: Path | str) -> None:
        self.path = None if str(path) == ":memory:" else Path(path)  # None: in memory only
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

    def _records(self, record: type[R], sql: str, params: Sequence[Any] = ()) -> list[R]:
        cursor = self.conn.execute(sql, params)
        return decode(record, [d[0] for d in cursor.description], cursor.fetchall())

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
