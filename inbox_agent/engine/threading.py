"""Threading as mail arrives: the store keeps which thread every Message-ID is in.

After each sync the rows stored since the cursor are threaded in batches: the batch, the stored
messages that share a subject with it (for the rule on replies without threading headers) and
the stored threads of every id they name go through the one union-find, `tracker.ThreadIndex`;
each resulting thread is written with the threads it joined merged into the oldest of them
(`Store.save_threading`, one transaction with the cursor). Messages forgotten (expunged, moved,
a UIDVALIDITY reset) have their threads threaded again from the rows left. A bounce's link to
the message it reports is the same step with no new message.

So the threads are the ones `build_threads` makes of every stored message
(tests/test_thread_store.py), and a restart reads nothing to know them.
"""

from __future__ import annotations

import bisect
import logging
import subprocess
import sys
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from inbox_agent.mail.headers import Header
from inbox_agent.store import Store
from inbox_agent.tracker import (
    CONSECUTIVE_WINDOW,
    SUBJECT_WINDOW,
    ThreadIndex,
    is_headerless_reply,
    peer_key,
)

log = logging.getLogger(__name__)

BATCH = 2000
Group = tuple[set[int], list[str], str | None]  # one thread, as `Store.save_threading` takes it
_THREAD = "#thread:"  # a stored thread as a node of the union-find (no Message-ID looks like it)


def thread_new(store: Store, account: str, new_rows: bool = True) -> set[str]:
    """Thread what was forgotten since the last call and (`new_rows`) what was stored; the
    Message-IDs whose thread changed (new messages, members of threads threaded again)."""
    touched: set[str] = set()
    forgotten = store.take_forgotten(account)
    if forgotten:
        touched |= _rethread(store, account, forgotten)
    if not new_rows:
        return touched
    cursor, newest = store.threading_cursor(account), store.newest_row()
    if newest <= cursor:
        return touched  # nothing stored since, in any account
    first, threaded = cursor == 0, 0
    while batch := store.threading_after(account, cursor, BATCH):
        cursor = batch[-1][0]
        headers = [h for _, h, draft in batch if not draft]
        threaded += len(batch)
        if first and threaded % (10 * BATCH) == 0:
            log.info("%s: threading the stored messages (once): %d so far", account, threaded)
        settle(store, account, headers, cursor)
        touched.update(h.message_id for h in headers)
    if cursor < newest:  # the rows up to `newest` after it are other accounts': walked once
        with store.tx():
            store.save_threading(account, [], [], newest)
    return touched


class Behind:
    """Threads what a long sync stores while the sync runs, in a process of its own on a
    connection of its own: threading is CPU work in Python, and in a thread it would hold the
    GIL against the sync's reads. `start` once the sync turns out long, `finish` when it is
    over; what the process had not reached is threaded after, as usual. The first cycle of a
    big mailbox so threads it during its sync, not after."""

    def __init__(self, store: Store, path: Path, account: str) -> None:
        self.store, self.path, self.account = store, path, account
        self._child: subprocess.Popen[bytes] | None = None
        self._from = 0

    def start(self) -> None:
        if self._child is None:
            self._from = self.store.threading_cursor(self.account)
            command = [
                sys.executable,
                "-m",
                "inbox_agent.engine.behind",
                str(self.path),
                self.account,
            ]
            self._child = subprocess.Popen(command, stdin=subprocess.PIPE)

    def finish(self, touched: bool = True) -> set[str]:
        """The sync is over: the process threads what was stored and ends (waited for, at most
        `FINISH_WAIT` seconds). The Message-IDs it threaded, with `touched`."""
        child, self._child = self._child, None
        if child is None:
            return set()
        assert child.stdin is not None
        child.stdin.close()  # end of input: the sync is over
        try:
            child.wait(FINISH_WAIT)
        except subprocess.TimeoutExpired:
            log.warning("%s: threading during the sync did not end; it goes on after", self.account)
            child.kill()
            child.wait()
        upto = self.store.threading_cursor(self.account)
        return self.store.message_ids_between(self.account, self._from, upto) if touched else set()


FINISH_WAIT = 600.0


def link(store: Store, account: str, message_id: str, other: str) -> None:
    """Put two messages in one thread (a bounce, and the message its report names)."""
    with store.tx():
        assign(store, account, [], [(message_id, other)])


def settle(store: Store, account: str, headers: list[Header], cursor: int) -> None:
    """`assign` a batch with the cursor, worked out before taking the write lock: the sync that
    stores rows beside the threading process waits for that lock, so it is held only to write.
    Should the account's threads have been written meanwhile (another process threading it,
    a `link`), the batch is worked out again under the lock."""
    version = store.threading_version(account)
    found = _found(store, account, headers, ())
    with store.tx():
        if store.threading_version(account) != version:
            found = _found(store, account, headers, ())
        store.save_threading(account, *found, cursor)


def assign(
    store: Store,
    account: str,
    headers: list[Header],
    links: Iterable[tuple[str, str]] = (),
    cursor: int | None = None,
) -> None:
    """Thread `headers` (and `links`) into the stored threads; call inside `store.tx()`."""
    store.save_threading(account, *_found(store, account, headers, links), cursor)


def _found(
    store: Store, account: str, headers: list[Header], links: Iterable[tuple[str, str]]
) -> tuple[list[Group], list[tuple[str, str, str | None, bool]]]:
    """What `save_threading` writes for `headers` and `links`; reads the store only."""
    index = ThreadIndex()
    for peer in _subject_peers(store, account, headers):
        index.add(peer)
    ours = {h.message_id for h in headers}
    for h in headers:
        index.add(h)
        if h.thread_hint:
            index.link(h.message_id, f"thrid:{h.thread_hint}")
    for a, b in links:
        index.link(a, b)
        ours.update((a, b))
    stored = store.thread_numbers(account, index.nodes())
    for node, thread in stored.items():
        index.link(node, f"{_THREAD}{thread}")
    dates = {h.message_id: h.date.astimezone(UTC) for h in index.headers() if h.date is not None}
    groups: list[Group] = []
    for group in index.components():
        if not ours.intersection(group):
            continue  # stored peers the batch did not join
        known = {int(n[len(_THREAD) :]) for n in group if n.startswith(_THREAD)}
        ids = [n for n in group if not n.startswith(_THREAD)]
        newest = max((d for n in ids if (d := dates.get(n)) is not None), default=None)
        # an id stored already is in one of `known`: the merge moves it, it is not written
        groups.append((known, [n for n in ids if n not in stored], _iso(newest)))
    subjects = [
        (key, h.message_id, _iso(h.date), is_headerless_reply(h))
        for h in headers
        if (key := peer_key(h))
    ]
    return groups, subjects


def _subject_peers(store: Store, account: str, headers: list[Header]) -> list[Header]:
    """The stored messages that the subject rule may join to one of `headers`: the same
    normalised subject, dated within the window of one of them."""
    # by subject: the dates of the batch's messages, of those without threading headers, and
    # of its replies without them
    windows: dict[str, tuple[list[datetime], list[datetime], list[datetime]]] = {}
    for h in headers:
        key = peer_key(h)
        if key and h.date is not None:
            every, plain, bare = windows.setdefault(key, ([], [], []))
            every.append(h.date)
            if not (h.in_reply_to or h.references):
                plain.append(h.date)
                if is_headerless_reply(h):
                    bare.append(h.date)
    if not windows:
        return []
    for every, plain, bare in windows.values():
        every.sort(), plain.sort(), bare.sort()
    # a key whose messages in the batch all have threading headers can only be joined to a
    # stored reply without them: only those are read for it
    wide = [key for key, (_every, plain, _bare) in windows.items() if plain]
    narrow = [key for key, (_every, plain, _bare) in windows.items() if not plain]
    near = []
    stored = store.subject_peers(account, wide)
    stored += store.subject_peers(account, narrow, headerless_only=True)
    for key, mid, date, headerless in stored:
        if not date:
            continue
        when = datetime.fromisoformat(date)
        every, plain, bare = windows[key]
        # the rules on one sender's messages in a row and on chat with an empty subject join two
        # messages without threading headers a week apart at most (a stored one of those may
        # have any flag: it is read to see); a bare reply may join any message in the window,
        # and a stored bare reply any message of the batch
        if _within(plain, when, CONSECUTIVE_WINDOW) or _within(
            every if headerless else bare, when, SUBJECT_WINDOW
        ):
            near.append(mid)
    ours = {h.message_id for h in headers}
    return [h for _, h, draft in store.threading_rows_of(account, set(near) - ours) if not draft]


def _rethread(store: Store, account: str, forgotten: set[str]) -> set[str]:
    """Thread again, from the rows left, the threads that lost messages."""
    threads = set(store.thread_numbers(account, forgotten).values())
    if not threads:
        return set()
    members = [mid for ids in store.thread_members(account, threads).values() for mid in ids]
    left = [m.header for m in store.messages_with_ids(account, members) if "\\Draft" not in m.flags]
    links = [
        (mid, f.bounced_message_id)
        for mid, f in store.facts(account, members).items()
        if f.bounced_message_id
    ]
    with store.tx():
        store.drop_threads(account, threads)
        assign(store, account, left, links)
    return set(members)


def _within(dates: list[datetime], when: datetime, window: timedelta) -> bool:
    """Whether one of `dates` (sorted) is within `window` of `when`."""
    i = bisect.bisect_left(dates, when - window)
    return i < len(dates) and dates[i] <= when + window


def _iso(when: datetime | None) -> str | None:
    return when.astimezone(UTC).isoformat() if when is not None else None
