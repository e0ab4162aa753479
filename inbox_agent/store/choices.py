"""What the user chose that the store keeps: autonomy set from the command line or the tray, and
the edits they made to our nudges (what `voice.edits` learns from).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inbox_agent.store.connection import Connection
from inbox_agent.store.messagerows import join_words, split_words


class ChoiceTables(Connection):
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
        row = {**values, "recipients": join_words(values["recipients"])}  # type: ignore[arg-type]
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
        return [{**dict(zip(names, r, strict=True)), "recipients": split_words(r[3])} for r in cur]

    def forget_edits(self, account: str) -> int:
        return self.conn.execute("DELETE FROM edits WHERE account = ?", (account,)).rowcount
