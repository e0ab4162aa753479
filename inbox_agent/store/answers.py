"""The store's view of how people answer the user: when the user wrote, and when each answer to it
came, for one person at a time (`tracker.habits` learns their usual delay and hours from it).

One lookup by sender (the `messages_by_sender` index) joined to the message each answer names
in its In-Reply-To: bounded by `limit`, never a walk of the mailbox.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from inbox_agent.store.connection import Connection

ANSWERS = 20  # the newest answers a habit is learned from


class Answers(Connection):
    def answer_times(
        self,
        account: str,
        sender: str,
        user: Iterable[str],
        until: str | None = None,
        limit: int = ANSWERS,
    ) -> list[tuple[datetime, datetime]]:
        """(when the user wrote, when `sender` answered it) for `sender`'s newest `limit` answers
        to a message of the user's (`until`: dated up to that ISO time), newest first."""
        mine = sorted(set(user))
        if not mine or not sender:
            return []
        sql = (
            # the order and indexes said outright: left to itself SQLite walked every row of the
            # account and, for each, the user's messages (213 s a lookup at 100k; 0.05 s so)
            "SELECT r.message_id, MAX(u.date), MAX(r.date) FROM messages r INDEXED BY "
            "messages_by_sender CROSS JOIN messages u INDEXED BY messages_by_id "
            "ON u.account = r.account AND u.message_id = r.in_reply_to "
            "WHERE r.account = ? AND r.from_addr = ? AND r.kind = 'normal' AND r.date IS NOT NULL "
            f"AND u.date IS NOT NULL AND u.from_addr IN ({', '.join('?' for _ in mine)})"
        )
        params: list[object] = [account, sender.lower(), *mine]
        if until is not None:
            sql += " AND r.date <= ?"
            params.append(until)
        sql += " GROUP BY r.message_id ORDER BY MAX(r.date) DESC LIMIT ?"
        params.append(limit)
        return [
            (datetime.fromisoformat(asked), datetime.fromisoformat(answered))
            for _mid, asked, answered in self.conn.execute(sql, params)
        ]
