"""The store's thread tables: which thread every Message-ID is in, kept as mail arrives, so that
neither a poll nor a restart rebuilds threads from every message.

`thread_ids` maps every id a stored message names (its own, its References and In-Reply-To,
`thrid:<n>` for a Gmail thread id; held or not) to a thread; `threads` keeps each thread's
newest date (the live ones are inside the lookback); `subject_keys` the normalised subjects for
the rule that threads replies without threading headers. Threads merge by one UPDATE of the
loser's ids. What goes into them is decided by `tracker.threads` (engine/threading.py feeds it);
this module only reads and writes.
"""

from __future__ import annotations

from collections.abc import Iterable

from inbox_agent.store.messages import MessageTables

Group = tuple[set[int], list[str], str | None]
"""One thread as threading a batch found it: the stored threads it joins (none: a new one), its
ids not stored yet (a stored one is in a joined thread: the merge moves it), and the newest date
of its messages in the batch."""


class ThreadTables(MessageTables):
    def threading_cursor(self, account: str) -> int:
        """The newest messages row threaded (0: none)."""
        row = self.conn.execute(
            "SELECT value FROM meta WHERE key = ?", (f"threaded:{account}",)
        ).fetchone()
        return int(row[0]) if row else 0

    def threading_version(self, account: str) -> int:
        """A number that every write of the account's threads changes (`save_threading`,
        `drop_threads`): threading worked out before the write lock is checked against it."""
        row = self.conn.execute(
            "SELECT value FROM meta WHERE key = ?", (f"threads-written:{account}",)
        ).fetchone()
        return int(row[0]) if row else 0

    def _threads_written(self, account: str) -> None:
        self.conn.execute(
            "INSERT INTO meta VALUES (?, '1') ON CONFLICT (key) DO UPDATE SET value = value + 1",
            (f"threads-written:{account}",),
        )

    def take_forgotten(self, account: str) -> set[str]:
        """Message-IDs whose rows this process deleted since it last asked: their threads are
        threaded again from the rows left."""
        return self._forgotten.pop(account, set())

    def thread_numbers(self, account: str, ids: Iterable[str]) -> dict[str, int]:
        """The thread of each id that has one."""
        rows = self._chunks(
            "SELECT message_id, thread FROM thread_ids WHERE account = ? AND message_id IN ({marks})",
            (account,),
            ids,
        )
        return {mid: int(thread) for mid, thread in rows}

    def subject_peers(
        self, account: str, keys: Iterable[str], headerless_only: bool = False
    ) -> list[tuple[str, str, str, bool]]:
        """(subject key, Message-ID, date, whether it is a reply without threading headers) of
        the stored messages with one of `keys` (`headerless_only`: only those replies)."""
        rows = self._chunks(
            "SELECT subject_key, message_id, date, headerless FROM subject_keys WHERE account = ? "
            + ("AND headerless = 1 " if headerless_only else "")
            + "AND subject_key IN ({marks})",
            (account,),
            keys,
        )
        return [(k, mid, date or "", bool(bare)) for k, mid, date, bare in rows]

    def save_threading(
        self,
        account: str,
        groups: Iterable[Group],
        subjects: Iterable[tuple[str, str, str | None, bool]],
        cursor: int | None = None,
    ) -> set[int]:
        """Write what threading a batch found (call inside `Store.tx()`, with the cursor in
        the same transaction): each group's new ids go to its thread (the oldest of the threads
        it joins; the others are merged into it by one UPDATE each), and its newest date. The
        threads written."""
        out: set[int] = set()
        rows: list[tuple[str, str, int]] = []
        dated: list[tuple[str, int]] = []  # (newest date, thread) of threads that grew
        made: list[tuple[int, str, str | None]] = []
        execute = self.conn.execute
        # new threads take the next ids (the transaction holds the write lock): one statement
        # for all of a batch's, as for their ids and their dates
        fresh = int(execute("SELECT coalesce(max(id), 0) FROM threads").fetchone()[0])
        for known, ids, last in groups:
            if known:
                winner, losers = min(known), sorted(known - {min(known)})
                for loser in losers:
                    execute(
                        "UPDATE thread_ids SET thread = ? WHERE account = ? AND thread = ?",
                        (winner, account, loser),
                    )
                    execute(
                        "UPDATE threads SET last_date = max(coalesce(last_date, ''), coalesce("
                        "(SELECT last_date FROM threads WHERE id = ?), '')) WHERE id = ?",
                        (loser, winner),
                    )
                    execute("DELETE FROM threads WHERE id = ?", (loser,))
                dated.append((last or "", winner))
            else:
                fresh += 1
                winner = fresh
                made.append((winner, account, last))
            rows += [(account, mid, winner) for mid in ids]
            out.add(winner)
        self.conn.executemany("INSERT INTO threads (id, account, last_date) VALUES (?, ?, ?)", made)
        self.conn.executemany(
            "UPDATE threads SET last_date = max(coalesce(last_date, ''), ?) WHERE id = ?", dated
        )
        self.conn.executemany("INSERT OR REPLACE INTO thread_ids VALUES (?, ?, ?)", rows)
        self.conn.executemany(
            "INSERT OR IGNORE INTO subject_keys VALUES (?, ?, ?, ?, ?)",
            [(account, key, mid, date, int(bare)) for key, mid, date, bare in subjects],
        )
        if cursor is not None:
            execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (f"threaded:{account}", cursor))
        self._threads_written(account)
        return out

    def thread_members(self, account: str, threads: Iterable[int]) -> dict[int, list[str]]:
        """Every id of each thread, held or only named."""
        out: dict[int, list[str]] = {}
        numbers = sorted(set(threads))
        for start in range(0, len(numbers), 500):
            chunk = numbers[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            rows = self.conn.execute(
                f"SELECT thread, message_id FROM thread_ids WHERE account = ? AND thread IN ({marks})",
                (account, *chunk),
            )
            for thread, mid in rows:
                out.setdefault(int(thread), []).append(mid)
        return out

    def drop_threads(self, account: str, threads: Iterable[int]) -> None:
        """Forget these threads (to thread their messages again)."""
        members = self.thread_members(account, threads)
        self._threads_written(account)
        for thread, ids in members.items():
            self.conn.execute(
                "DELETE FROM thread_ids WHERE account = ? AND thread = ?", (account, thread)
            )
            self.conn.execute("DELETE FROM threads WHERE id = ?", (thread,))
            self.conn.executemany(
                "DELETE FROM subject_keys WHERE account = ? AND message_id = ?",
                [(account, mid) for mid in ids],
            )

    def live_threads(self, account: str, since: str) -> list[int]:
        """Threads with a message dated `since` (ISO) or later."""
        rows = self.conn.execute(
            "SELECT id FROM threads WHERE account = ? AND last_date >= ?", (account, since)
        )
        return [int(r[0]) for r in rows]

    def all_threads(self, account: str) -> list[int]:
        rows = self.conn.execute(
            "SELECT id FROM threads WHERE account = ? ORDER BY last_date", (account,)
        )
        return [int(r[0]) for r in rows]
