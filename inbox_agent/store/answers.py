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
        marks = ", ".join("?" for _ in mine)
        answer = (
            "r.account = ? AND r.from_addr = ? AND r.kind = 'normal' AND r.date IS NOT NULL "
            + ("AND r.date <= ? " if until is not None else "")
        )
        head: list[object] = [account, sender.lower(), *([until] if until is not None else [])]
        # the order and indexes said outright: left to itself SQLite walked every row of the
        # account and, for each, the user's messages (213 s a lookup at 100k). Their messages
        # are walked newest first (`messages_by_sender` ends in the date) until `limit`
        # answers are found: a habit costs what it learns from, not all they ever sent
        newest = self.conn.execute(
            "SELECT r.message_id FROM messages r INDEXED BY messages_by_sender "
            f"WHERE {answer}AND EXISTS (SELECT 1 FROM messages u INDEXED BY messages_by_id "
            "WHERE u.account = r.account AND u.message_id = r.in_reply_to "
            f"AND u.date IS NOT NULL AND u.from_addr IN ({marks})) ORDER BY r.date DESC",
            (*head, *mine),
        )
        chosen: dict[str, None] = {}
        while len(chosen) < limit and (rows := newest.fetchmany(limit)):
            chosen.update((mid, None) for (mid,) in rows)
        newest.close()
        ids = list(chosen)[:limit]
        if not ids:
            return []
        # every copy of those answers and of what they answer, as one GROUP BY reads them
        found = self.conn.execute(
            "SELECT r.message_id, MAX(u.date), MAX(r.date) FROM messages r INDEXED BY "
            "messages_by_id CROSS JOIN messages u INDEXED BY messages_by_id "
            f"ON u.account = r.account AND u.message_id = r.in_reply_to WHERE {answer}"
            f"AND r.message_id IN ({', '.join('?' for _ in ids)}) AND u.date IS NOT NULL "
            f"AND u.from_addr IN ({marks}) GROUP BY r.message_id ORDER BY MAX(r.date) DESC",
            (*head, *ids, *mine),
        )
        return [
            (datetime.fromisoformat(asked), datetime.fromisoformat(answered))
            for _mid, asked, answered in found
        ]
