"""The SQLite store: every SQL statement in the program (the tables are in `schema`), one `Store`
made of the table modules, each owning its tables: `folders`, `messages`, `facts`,
`threadtables`, `followups` (the state machines' rows), `choices`, `answers` (how people answer
the user) and the audit rows here.

Writes that change state happen inside `Store.tx()` (BEGIN IMMEDIATE … COMMIT), and the audit row
for that change is written in the same transaction. Reads return typed records (`records`); every
write of a sequence's, draft's or send's state is checked against its machine's transition table
(`states`) first, inside the same transaction, so an illegal transition raises and writes nothing.
Every statement is plain sqlite3.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from inbox_agent.store.answers import Answers
from inbox_agent.store.choices import ChoiceTables
from inbox_agent.store.facts import FactTables
from inbox_agent.store.folders import FolderTables
from inbox_agent.store.followups import FollowupTables
from inbox_agent.store.records import AuditRow
from inbox_agent.store.threadtables import ThreadTables


class Store(FolderTables, ThreadTables, FactTables, FollowupTables, ChoiceTables, Answers):
    """One SQLite file for all accounts. Callers serialise access (the daemon runs one cycle at a time)."""

    # -- audit ---------------------------------------------------------------------------------
    def last_audit_id(self) -> int:
        """The newest audit row's id: every change of a sequence, draft or send writes one, by
        any process, so a planner that saw this id has seen every such change before it."""
        row = self.conn.execute("SELECT MAX(id) FROM audit").fetchone()
        return int(row[0] or 0)

    def standing_marks(self) -> tuple[object, ...]:
        """Marks that move with every row written to the audit log, drafts, outbox and opt_outs
        (of any account, by any process): what was read of those tables while the marks were
        the same is still so. The audit row's hash tells a row written after one that was
        rolled back under the same id."""
        row = self.conn.execute(
            "SELECT (SELECT id || ' ' || hash FROM audit ORDER BY id DESC LIMIT 1), "
            "(SELECT MAX(id) FROM drafts), (SELECT MAX(id) FROM outbox), "
            "(SELECT MAX(rowid) FROM opt_outs)"
        ).fetchone()
        return tuple(row)

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

    def latest_audit(self, account: str, action: str) -> dict[str, tuple[str, str]]:
        """Message-ID → (state_after, reason) of the latest `action` row the log holds for it."""
        rows = self.conn.execute(
            "SELECT message_id, state_after, reason FROM audit WHERE account = ? AND action = ? "
            "ORDER BY id",
            (account, action),
        )
        return {mid: (after or "", reason or "") for mid, after, reason in rows if mid}

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
