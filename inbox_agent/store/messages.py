"""The store's messages table: the headers and flags of every stored copy of a message, written
by sync and read by threading, planning, drafting and the voice (`messagerows` is its row
format). Deletions and flag changes are noted for the threading and planning that follow.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from sys import intern
from typing import Any

from inbox_agent.mail.headers import Header
from inbox_agent.store.connection import Connection
from inbox_agent.store.messagerows import (
    MESSAGE_COLUMNS,
    MESSAGE_COLUMNS_OF_M,
    join_addresses,
    join_words,
    message_from_row,
    split_addresses,
    split_words,
)
from inbox_agent.store.records import StoredMessage

# the widest gap between a date's local time and its time in UTC, twice (offsets are under a day)
_OFFSET_SPAN = timedelta(hours=48)


class MessageTables(Connection):
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
                join_words(h.in_reply_to),
                join_words(h.references),
                h.subject,
                h.from_addr,
                h.from_name,
                join_addresses(h.to),
                join_addresses(h.cc),
                join_addresses(h.reply_to),
                h.date.isoformat() if h.date else None,
                h.kind,
                h.agent_id,
                join_words(flags),
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

    def folder_flags(
        self, account: str, folder: str, uidvalidity: int, start: int
    ) -> dict[int, tuple[str, ...]]:
        """UID -> stored flags of the folder's messages from UID `start` on."""
        rows = self.conn.execute(
            "SELECT uid, flags FROM messages WHERE account = ? AND folder = ? AND uidvalidity = ? "
            "AND uid >= ?",
            (account, folder, uidvalidity, start),
        )
        return {int(uid): split_words(flags) for uid, flags in rows}

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

    def update_flags(self, account: str, folder: str, changes: dict[int, tuple[str, ...]]) -> None:
        for uid, flags in changes.items():
            rows = self.conn.execute(
                "UPDATE messages SET flags = ? WHERE account = ? AND folder = ? AND uid = ? "
                "RETURNING message_id",
                (join_words(flags), account, folder, uid),
            )
            self._touch(account, (r[0] for r in rows))

    def message_ids_flagged(
        self, account: str, keyword: str, among: Iterable[str] | None = None
    ) -> set[str]:
        """Message-IDs carrying `keyword` (compared case-insensitively, as IMAP does); only
        those in `among` when given (an indexed lookup instead of a scan of every message)."""
        return self.message_ids_flagged_with(account, (keyword,), among)[keyword]

    def message_ids_flagged_with(
        self, account: str, keywords: Sequence[str], among: Iterable[str] | None = None
    ) -> dict[str, set[str]]:
        """`message_ids_flagged` of each of `keywords`, in one read of the rows."""
        likes = [f"% {keyword.lower()} %" for keyword in keywords]
        each = ["(' ' || lower(flags) || ' ') LIKE ?" for _ in keywords]
        tests = ", ".join(each)
        rows: Iterable[Any]
        if among is None:  # the flagged ones only, chosen by SQLite
            rows = self.conn.execute(
                f"SELECT message_id, {tests} FROM messages WHERE account = ? AND "
                f"({' OR '.join(each)})",
                (*likes, account, *likes),
            )
        else:
            rows = self._chunks(
                f"SELECT message_id, {tests} FROM messages WHERE account = ? "
                "AND message_id IN ({marks})",
                (*likes, account),
                among,
            )
        out: dict[str, set[str]] = {keyword: set() for keyword in keywords}
        for mid, *flagged in rows:
            for keyword, carries in zip(keywords, flagged, strict=True):
                if carries:
                    out[keyword].add(mid)
        return out

    def messages_since(self, account: str, rowid: int) -> Iterator[tuple[int, StoredMessage]]:
        """Messages added after `rowid`, streamed: a big mailbox is never held twice in memory."""
        cursor = self.conn.execute(
            f"SELECT id, {MESSAGE_COLUMNS} FROM messages WHERE id > ? AND +account = ? ORDER BY id",
            (rowid, account),
        )
        while rows := cursor.fetchmany(2000):
            for row in rows:
                yield int(row[0]), message_from_row(row[1:])

    def senders_in(self, account: str, folder: str, after: int = 0) -> tuple[dict[str, int], int]:
        """How many of `folder`'s messages stored after row `after` each From address sent, and
        the newest row looked at: the caller adds them up and asks again with that row, so a poll
        reads only what arrived since."""
        newest = self.newest_row()
        if newest <= after:
            return {}, after
        # after a first look, a range of rows (`+`: not the folder's index, which would visit
        # every row of the folder to find the few new ones); the first, the folder's rows by
        # its index (`+from_addr`: not every row of the account by the sender index, for its
        # order: four times slower at 100k messages)
        plus = "+" if after else ""
        rows = self.conn.execute(
            f"SELECT from_addr, COUNT(*) FROM messages WHERE id > ? AND id <= ? AND {plus}account = ? "
            f"AND {plus}folder = ? AND from_addr != '' GROUP BY +from_addr",
            (after, newest, account, folder),
        )
        return {r[0]: int(r[1]) for r in rows}, int(newest)

    def newest_sent(
        self, account: str, folder: str, senders: Iterable[str], limit: int
    ) -> list[StoredMessage]:
        """The newest `limit` messages of `folder` sent by one of `senders`, drafts left out,
        newest first. A date is stored as written, in its sender's offset, so the order of the
        text is the order of local times: the newest `limit` in that order (read from the end of
        `messages_by_sender`, per sender) bound the newest in time: only the rows at most two
        days older in local time than the last of them are read and put in order (not every
        message the user sent)."""
        who = sorted({s for s in senders if s})
        if not who or limit <= 0:
            return []
        where = (
            "account = ? AND from_addr = ? AND folder = ? "
            "AND (' ' || flags || ' ') NOT LIKE '% \\Draft %'"
        )
        local: list[str] = []
        for sender in who:
            local += (
                r[0]
                for r in self.conn.execute(
                    f"SELECT date FROM messages WHERE {where} AND date IS NOT NULL "
                    "ORDER BY date DESC LIMIT ?",
                    (account, sender, folder, limit),
                )
            )
        since: tuple[str, ...] = ()  # fewer dated messages than asked for: all, undated too
        if len(local) >= limit:
            nth = datetime.fromisoformat(sorted(local, reverse=True)[limit - 1])
            # an offset is under a day: a message newer in time than the nth is at most two
            # days older in local time
            since = ((nth.replace(tzinfo=None) - _OFFSET_SPAN).isoformat(),)
        dated: list[tuple[datetime, int]] = []
        undated = datetime.min.replace(tzinfo=UTC)
        for sender in who:
            rows = self.conn.execute(
                f"SELECT id, date FROM messages WHERE {where}{' AND date >= ?' if since else ''}",
                (account, sender, folder, *since),
            )
            dated += ((datetime.fromisoformat(d) if d else undated, int(i)) for i, d in rows)
        chosen = [i for _d, i in sorted(dated, reverse=True)[:limit]]
        if not chosen:
            return []
        found = self.conn.execute(
            f"SELECT id, {MESSAGE_COLUMNS} FROM messages WHERE id IN "
            f"({', '.join('?' for _ in chosen)})",
            chosen,
        )
        by_id = {int(r[0]): message_from_row(r[1:]) for r in found}
        return [by_id[i] for i in chosen if i in by_id]

    def display_names(self, account: str, addresses: Iterable[str]) -> dict[str, str]:
        """The newest display name each address used in a From header (those that used one):
        read from the end of `messages_by_sender`, one short walk per address."""
        out: dict[str, str] = {}
        for address in sorted(set(addresses)):
            row = self.conn.execute(
                "SELECT from_name FROM messages WHERE account = ? AND from_addr = ? "
                "AND from_name != '' ORDER BY date DESC, id DESC LIMIT 1",
                (account, address),
            ).fetchone()
            if row:
                out[address] = str(row[0])
        return out

    def display_name(self, account: str, address: str) -> str:
        """The newest display name `address` used in a From header, or "" when none is known."""
        address = address.lower()
        return self.display_names(account, [address]).get(address, "")

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

    def message_ids_between(self, account: str, after: int, upto: int) -> set[str]:
        """The Message-IDs of the rows stored after row `after`, up to row `upto`."""
        rows = self.conn.execute(
            "SELECT message_id FROM messages WHERE id > ? AND id <= ? AND +account = ?",
            (after, upto, account),
        )
        return {r[0] for r in rows}

    def newest_row(self) -> int:
        """The newest messages row of any account (0: none)."""
        return int(self.conn.execute("SELECT MAX(id) FROM messages").fetchone()[0] or 0)

    def threading_after(
        self, account: str, rowid: int, limit: int
    ) -> list[tuple[int, Header, bool]]:
        """Up to `limit` messages stored after row `rowid`, oldest first, as threading reads
        them: (row, header, whether it is a draft). The header holds what threading looks at
        (ids, subject, sender, recipients, date, the server's thread id), no name, Reply-To or
        kind (a fifth of the first threading of a mailbox was reading its rows whole)."""
        # `+account`: a range of rows after the cursor, not the account's index (which would
        # visit every row of the account to find none: 34 ms a poll at 100k)
        rows = self.conn.execute(
            f"SELECT {_THREADING_COLUMNS} FROM messages WHERE id > ? AND +account = ? "
            "ORDER BY id LIMIT ?",
            (rowid, account, limit),
        )
        return _threading_rows(rows)

    def threading_rows_of(
        self, account: str, message_ids: Iterable[str]
    ) -> list[tuple[int, Header, bool]]:
        """The stored messages with these Message-IDs, as `threading_after` reads them."""
        return _threading_rows(
            self._chunks(
                f"SELECT {_THREADING_COLUMNS} FROM messages WHERE account = ? "
                "AND message_id IN ({marks})",
                (account,),
                message_ids,
            )
        )

    def thread_rows(self, account: str, threads: set[int] | None) -> dict[int, list[Header]]:
        """The stored messages of each thread (of every thread when None), drafts left out,
        oldest row first: the thread tables give the ids, `messages_by_id` the rows."""
        join = (
            f"SELECT t.thread, {MESSAGE_COLUMNS_OF_M} FROM thread_ids t CROSS JOIN messages m "
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
                m = message_from_row(row[1:])
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
                f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE account = ? AND message_id IN ({marks})",
                (account, *chunk),
            )
            out += [message_from_row(row) for row in rows]
        return out


_THREADING_COLUMNS = (
    "id, message_id, in_reply_to, refs, subject, from_addr, to_addrs, cc_addrs, date, thrid, "
    "(' ' || flags || ' ') LIKE '% \\Draft %'"
)


def _threading_rows(rows: Iterable[Sequence[Any]]) -> list[tuple[int, Header, bool]]:
    return [
        (
            row_id,
            Header(
                mid,
                split_words(irt),
                split_words(refs),
                intern(subject),
                intern(from_addr),
                "",
                split_addresses(to),
                split_addresses(cc),
                (),
                datetime.fromisoformat(date) if date else None,
                "normal",
                "",
                thrid,
            ),
            bool(draft),
        )
        for row_id, mid, irt, refs, subject, from_addr, to, cc, date, thrid, draft in rows
    ]
