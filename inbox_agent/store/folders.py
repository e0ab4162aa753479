"""The store's folders table: what was last seen of each watched folder (UIDVALIDITY, UIDNEXT,
HIGHESTMODSEQ, when it was synced, and the kept count of its stored messages).
"""

from __future__ import annotations

from collections.abc import Sequence

from inbox_agent.store.connection import Connection
from inbox_agent.store.records import FolderRow


class FolderTables(Connection):
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

    def stamp_synced(self, account: str, names: Sequence[str], synced_at: str) -> None:
        """These folders were synced at `synced_at` and found as saved."""
        self.conn.execute(
            f"UPDATE folders SET synced_at = ? WHERE account = ? AND name IN "
            f"({', '.join('?' for _ in names)})",
            (synced_at, account, *names),
        )

    def folder_of_role(self, account: str, role: str) -> str:
        """The synced folder that holds `role`'s mail ("sent"), as the last sync found it ("" if
        none): what a view that opens no mailbox goes by."""
        row = self.conn.execute(
            "SELECT name FROM folders WHERE account = ? AND role = ? ORDER BY name LIMIT 1",
            (account, role),
        ).fetchone()
        return str(row[0]) if row else ""

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
