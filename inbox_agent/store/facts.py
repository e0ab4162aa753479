"""What the store knows from read bodies and from the people written to: each read body's facts
and who asked never to be followed up again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from inbox_agent.mail.classify import BodyFacts
from inbox_agent.store.connection import Connection


class FactTables(Connection):
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
