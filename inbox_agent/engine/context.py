"""What every part of the engine works with: one account, its store, who acts, and the mailbox.

`Context` is passed to each part (bodies, drafts, apply, nudge, outbox, commands) instead of the
parts calling back into one big object. `MailView` owns the account's mail as the engine sees it:
the IMAP session and its special folders, sync, the user's addresses, and the threads: kept in the
store (`engine.threading`), read a few at a time (`threads_of`, `live_threads`), never held whole.
`planned` is what the planner has seen, so that a cycle plans only what changed since. `Context.acting_as()` gives the same
account to another actor (the tray, the CLI), so audit rows say who acted without any state being
changed and put back.
"""

from __future__ import annotations

import logging
import sys
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from inbox_agent import clock
from inbox_agent.config import Account, Settings, secrets
from inbox_agent.drafter import Drafter, make_drafter
from inbox_agent.engine import threading
from inbox_agent.errors import NotFound
from inbox_agent.gate import Rules
from inbox_agent.mail.classify import BodyFacts
from inbox_agent.mail.headers import Header
from inbox_agent.store import SequenceRow, SequenceState, Store, audit
from inbox_agent.sync import failures, imap
from inbox_agent.sync.folder_sync import sync_folder
from inbox_agent.sync.folders import Folders, discover_folders
from inbox_agent.sync.mailbox import Mailbox
from inbox_agent.tracker import thread_from, thread_order
from inbox_agent.tracker.threads import Thread, ThreadIndex, build_threads

log = logging.getLogger(__name__)
T = TypeVar("T")

THREAD_BEHIND = 5000  # new messages in one folder for the daemon to thread them during the sync

KEEP_FOR = 20 * 60.0
# a From address of the Sent folder is the user's when it sent this many of its messages, and
# this share of them all
OWN_SENDER_MIN = 3
OWN_SENDER_SHARE = 0.01
"""Seconds a kept session may sit unused before it is closed: servers may drop an idle one
after 30 minutes (RFC 3501 §5.4), and a session found dead costs a reconnect."""

Opener = Callable[[Account], AbstractContextManager[Mailbox]]
"""How a session on an account's mailbox is opened: `open_imap` for real servers; a test or a
tool hands in its own (a `MemoryMailbox`, a mailbox with faults)."""


def open_imap(account: Account) -> AbstractContextManager[Mailbox]:
    """An IMAP session with the password (or OAuth token) from the keyring."""
    return imap.session(account, secrets.require_secret(account.name, "imap"))


@dataclass(frozen=True)
class Standing:
    """What the planner reads of the user's say, our own mail and opt-outs, as of the store's
    `marks` (`Store.standing_marks`: they move with every row written to those tables), kept
    and not read again while the marks are the same."""

    marks: tuple[object, ...]
    said: dict[str, str]  # Message-ID -> the user's say on it (planning.FOLLOW_UP or NEVER)
    ours: frozenset[str]  # the Message-IDs of our drafts and sends
    opted_out: frozenset[str]  # who asked never to be followed up again


@dataclass
class Planned:
    """What the planner has seen of this account in this process (`planning.selection` reads
    and moves it): a cycle plans the threads touched since, not the whole mailbox."""

    full: bool = True  # nothing planned yet (or the threads were rebuilt): plan every thread
    audit: int = -1  # the newest audit row when it last planned: a sequence changed since?
    inputs: tuple[object, ...] = ()  # the user's addresses and the cadence it planned with
    touched: set[str] = field(default_factory=set)  # Message-IDs new or changed since
    retry: set[str] = field(default_factory=set)  # threads whose action failed
    last: tuple[str, ...] = ()  # the keys of the threads the last plan was handed
    standing: Standing | None = None  # kept while no audit row is written


class MailView:
    """One account's mailbox as the engine sees it; caches live as long as the engine."""

    def __init__(
        self, account: Account, store: Store, opener: Opener = open_imap, keep: bool = False
    ) -> None:
        self.account, self.store, self.opener, self.keep = account, store, opener, keep
        self._open: tuple[ExitStack, Mailbox] | None = None
        self._used = 0.0  # monotonic time the open session was last given back
        self._depth = 0
        # what drafting read in this unit of work (`nudge.read_ahead`), by Message-ID: the text
        # quoted to the drafter, the user's own text for the quote and whether it was HTML
        self.quoted: dict[str, str] = {}
        self.originals: dict[str, tuple[str, bool]] = {}
        self.profile: Any = None  # the voice profile, looked up once per unit of work
        self._folders: Folders | None = None
        self._recheck_folders = False
        self._index: ThreadIndex | None = None
        self._index_rowid = 0
        self._index_generation = -1
        self._senders: Counter[str] = Counter()
        self._senders_key: tuple[str, int] = ("", -1)  # (Sent folder, store generation)
        self._senders_rowid = 0
        self._own: frozenset[str] | None = None  # the addresses as last counted
        self.planned = Planned()

    @contextmanager
    def session(self) -> Iterator[Mailbox]:
        """A session for one unit of work. With `keep` (the daemon) it stays open for the next
        one, which sees the mailbox afresh (`Mailbox.refresh`: nothing left selected, each
        folder selected again when read, at most once); else it is closed after. An error leaving the unit closes it: a session
        that failed is not trusted. A unit inside a unit shares the session."""
        if self._depth and self._open is not None:
            yield self._open[1]
            return
        mailbox = self._take()
        self.quoted, self.originals, self.profile = {}, {}, None
        self._depth += 1
        try:
            if self._folders is None or self._recheck_folders:
                self._folders = discover_folders(mailbox, self.account)
                self._recheck_folders = False
            yield mailbox
        except BaseException:
            self.close_session()
            raise
        finally:
            self._depth -= 1
        self._used = time.monotonic()
        if not self.keep:
            self.close_session()

    def using(self, work: Callable[[Mailbox], T]) -> T:
        """`work` in a session; when a kept session turns out dead (the server closed it, the
        network dropped it), once more on a fresh one: a unit of work is safe to run again,
        as every step of it is planned from the store."""
        kept = self._open is not None and not self._depth
        try:
            with self.session() as mailbox:
                return work(mailbox)
        except failures.EDGE_ERRORS as exc:
            if not kept or not failures.dropped(exc):
                raise
            self._dropped(exc)
        with self.session() as mailbox:
            return work(mailbox)

    def _dropped(self, exc: Exception) -> None:
        log.info(
            "%s: the kept IMAP session was closed (%s); logging in again", self.account.name, exc
        )
        self.close_session()

    def _take(self) -> Mailbox:
        if self._open is not None and time.monotonic() - self._used > KEEP_FOR:
            self.close_session()
        if self._open is not None:
            try:
                self._open[1].refresh()
                return self._open[1]
            except failures.EDGE_ERRORS as exc:  # found dead at its first command
                self._dropped(exc)
        stack = ExitStack()
        mailbox = stack.enter_context(self.opener(self.account))
        self._open = (stack, mailbox)
        return mailbox

    def close_session(self) -> None:
        """Log out of the kept session, if one is open (idle too long, a wake from sleep, the
        daemon stopping); the next unit of work logs in again."""
        opened, self._open = self._open, None
        if opened is not None:
            with suppress(*failures.EDGE_ERRORS):
                opened[0].close()

    def release_idle(self) -> None:
        """Close the kept session when it has sat unused for `KEEP_FOR` seconds."""
        if self._open is not None and not self._depth and time.monotonic() - self._used > KEEP_FOR:
            self.close_session()

    @property
    def folders(self) -> Folders:
        assert self._folders is not None, "open a session first"
        return self._folders

    def recheck_folders(self) -> None:
        """Look the special folders up again at the next session (the server refused an action;
        a Drafts folder that is gone is then told as FolderMissing). This session keeps them."""
        self._recheck_folders = True

    def sync(self, mailbox: Mailbox) -> int:
        stamp = clock.now().isoformat()
        first = not self.store.has_synced(self.account.name)
        bar = _progress_bar if first and sys.stderr.isatty() else None
        # the daemon threads a long sync's rows while it waits on the server (a file store
        # only: a second connection is needed)
        path = self.store.path
        behind = (
            threading.Behind(self.store, path, self.account.name) if self.keep and path else None
        )

        def progress(folder: str, done: int, total: int) -> None:
            if bar is not None:
                bar(folder, done, total)
            if behind is not None and total >= THREAD_BEHIND:
                behind.start()

        unchanged: list[str] = []
        try:
            new = sum(
                sync_folder(
                    mailbox,
                    self.store,
                    self.account.name,
                    name,
                    role,
                    stamp,
                    progress if bar or behind else None,
                    unchanged,
                ).new
                for name, role in self.folders.watched()
            )
        finally:
            if behind is not None:  # (a first plan plans the live threads, touched or not)
                self.planned.touched |= behind.finish(touched=not self.planned.full)
        if unchanged:  # a poll that found nothing: one write for every folder's sync time
            with self.store.tx():
                self.store.stamp_synced(self.account.name, unchanged, stamp)
        if bar is not None:
            sys.stderr.write("\n")
        self.thread_new(new_rows=False)
        return new

    def user_addresses(self) -> frozenset[str]:
        """The account's addresses, plus every From address that the Sent folder shows the user
        sends from (an alias, an assistant with send-as): at least `OWN_SENDER_MIN` of its
        messages and `OWN_SENDER_SHARE` of them all. A stray message in Sent (one dragged there,
        a delegate's) does not make its sender the user, whose answers would then not count as
        answers. Counted as rows arrive: asked many times a cycle, it reads new rows only. A
        view that opens no mailbox (`threads`, `status`) goes by the Sent folder the last sync
        found, so that it shows the daemon's own decision."""
        if self._folders is not None:
            sent = self._folders.sent
        else:
            sent = self.store.folder_of_role(self.account.name, "sent")
        if not sent:
            return self.account.addresses
        key = (sent, self.store.generation)
        if key != self._senders_key:  # another Sent folder, or messages were forgotten
            self._senders, self._senders_key, self._senders_rowid = Counter(), key, 0
            self._own = None
        seen, newest = self.store.senders_in(self.account.name, sent, self._senders_rowid)
        if newest != self._senders_rowid or self._own is None:
            self._senders.update(seen)
            self._senders_rowid = newest
            total = sum(self._senders.values())
            floor = max(OWN_SENDER_MIN, OWN_SENDER_SHARE * total)
            self._own = self.account.addresses | frozenset(
                a for a, n in self._senders.items() if n >= floor
            )
        return self._own

    def facts(self, message_ids: Iterable[str] | None = None) -> dict[str, BodyFacts]:
        return self.store.facts(self.account.name, message_ids)

    def thread_new(self, new_rows: bool = True) -> None:
        """Thread the rows forgotten and (`new_rows`) stored since the last call; they are
        touched. The rows of a sync are threaded by the planner, not inside the sync (whose
        speed bench_sync holds against bare imapclient); what it forgot is threaded at once,
        since only this process knows of it."""
        self.planned.touched |= threading.thread_new(self.store, self.account.name, new_rows)

    def index(self, rebuild: bool = False) -> ThreadIndex:
        """Every stored message in an in-memory thread index, for tools that replay or measure
        threading (`eval_threads`, `bench_sync`); the daemon keeps its threads in the store."""
        generation = self.store.generation
        if rebuild or self._index is None or generation != self._index_generation:
            self._index, self._index_rowid, self._index_generation = ThreadIndex(), 0, generation
            for mid, facts in self.facts().items():
                if facts.bounced_message_id:
                    self._index.link(mid, facts.bounced_message_id)
        for rowid, m in self.store.messages_since(self.account.name, self._index_rowid):
            self._index_rowid = max(self._index_rowid, rowid)
            if "\\Draft" not in m.flags:
                self._index.add(m.header)
        return self._index

    def link(self, message_id: str, other: str) -> None:
        """Join two messages' threads (a bounce and the message it reports)."""
        threading.link(self.store, self.account.name, message_id, other)
        self.planned.touched.update((message_id, other))

    def threads_of(self, message_ids: Iterable[str]) -> list[Thread]:
        """The threads holding any of `message_ids`, each once, in `threads()`' order."""
        numbers = self.store.thread_numbers(self.account.name, message_ids)
        return self._threads(set(numbers.values()))

    def live_threads(self, since: datetime) -> list[Thread]:
        """The threads with a message dated `since` or later."""
        since_iso = since.astimezone(UTC).isoformat()
        return self._threads(set(self.store.live_threads(self.account.name, since_iso)))

    def _threads(self, numbers: set[int] | None) -> list[Thread]:
        if numbers is not None and not numbers:
            return []
        rows = self.store.thread_rows(self.account.name, numbers)
        return sorted((thread_from(members) for members in rows.values()), key=thread_order)

    def threads(self, as_of: datetime | None = None) -> list[Thread]:
        """Every thread (the CLI's `threads`, the voice's learning): read from the store, or
        (`as_of`) replayed from the mail dated up to then."""
        if as_of is None:
            self.thread_new()
            return self._threads(None)
        headers: list[Header] = []
        for m in self.store.messages(self.account.name):
            if "\\Draft" in m.flags or m.header.date is None or m.header.date > as_of:
                continue
            headers.append(m.header)
        links = {
            mid: f.bounced_message_id for mid, f in self.facts().items() if f.bounced_message_id
        }
        return build_threads(headers, links)

    def folders_of(self, thread: Thread) -> tuple[str, ...]:
        """The folders that hold the thread's messages, in the order first seen."""
        places = self.store.locate(self.account.name, thread.message_ids)
        return tuple(dict.fromkeys(folder for folder, _uid, _size in places.values()))


class _DrafterSlot:
    """The drafter, made on first use (the LLM key is read from the keyring only then)."""

    def __init__(self, settings: Settings, account: Account, drafter: Drafter | None) -> None:
        self.settings, self.account, self.drafter = settings, account, drafter

    def get(self) -> Drafter:
        if self.drafter is None:
            llm = self.settings.llm
            key = secrets.get_secret(self.account.name, "llm") if llm.enabled else None
            self.drafter = make_drafter(llm, key)
        return self.drafter


@dataclass(frozen=True)
class Context:
    account: Account
    settings: Settings
    store: Store
    view: MailView
    drafters: _DrafterSlot
    actor: str = "daemon"

    @classmethod
    def create(
        cls,
        account: Account,
        settings: Settings,
        store: Store,
        drafter: Drafter | None = None,
        actor: str = "daemon",
        opener: Opener = open_imap,
        keep_session: bool = False,
    ) -> Context:
        return cls(
            account,
            settings,
            store,
            MailView(account, store, opener, keep_session),
            _DrafterSlot(settings, account, drafter),
            actor,
        )

    def acting_as(self, actor: str) -> Context:
        """The same account, caches and drafter, with audit rows written as `actor`."""
        return replace(self, actor=actor)

    @property
    def name(self) -> str:
        return self.account.name

    @property
    def drafter(self) -> Drafter:
        return self.drafters.get()

    def audit(self, action: str, *, actor: str | None = None, **fields: Any) -> int:
        """One audit row for this account; call inside the transaction of the change it records."""
        return audit.record(
            self.store, actor=actor or self.actor, action=action, account=self.name, **fields
        )

    def sequence_row(self, sequence_id: int) -> SequenceRow:
        seq = self.store.sequence(sequence_id)
        if seq is None:
            raise NotFound(
                f"no thread with id {sequence_id}", "list them with `inbox-agent threads`"
            )
        return seq

    def rules(self) -> Rules:
        """The autonomy rules in force: the account file's, then the user's changes to them."""
        return Rules.merge(self.account.autonomy, self.store.autonomy_overrides(self.name))

    def sequences(self, states: Collection[SequenceState] = ()) -> list[SequenceRow]:
        return self.store.sequences(self.name, states)


_started: dict[str, float] = {}


def _progress_bar(folder: str, done: int, total: int) -> None:
    """A one-line progress bar with an ETA, for the first sync of a big mailbox on a terminal."""
    start = _started.setdefault(folder, time.monotonic())
    elapsed = time.monotonic() - start
    eta = elapsed / done * (total - done) if done else 0.0
    filled = int(30 * done / total) if total else 30
    sys.stderr.write(
        f"\r{folder[:20]:<20} [{'#' * filled}{'.' * (30 - filled)}] {done}/{total} ETA {eta:4.0f}s"
    )
    sys.stderr.flush()
