"""Threads from Message-ID, In-Reply-To and References.

Pure: messages in, threads out. Messages are linked with a union-find over every Message-ID they
mention, so the order in which they were synced never changes the threads. Copies of one message (INBOX and Sent, say) count once. Mail without
threading headers (Outlook/Exchange-era, the Enron corpus) falls back to the normalised subject,
participant overlap and a time window.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from inbox_agent.mail.headers import Header
from inbox_agent.mail.subject import has_prefix, strip_prefixes

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Thread:
    key: str  # the Message-ID of its oldest message
    subject: str
    messages: tuple[Header, ...]  # oldest first, one per Message-ID

    @property
    def message_ids(self) -> tuple[str, ...]:
        return tuple(m.message_id for m in self.messages)

    def participants(self, user: frozenset[str]) -> tuple[str, ...]:
        """Everyone on the thread but the user, in order of first appearance."""
        seen: dict[str, None] = {}
        for m in self.messages:
            for address in (m.from_addr, *m.to, *m.cc):
                if address and address not in user:
                    seen.setdefault(address)
        return tuple(seen)


def _key(h: Header) -> tuple[datetime, int, str]:
    # Date headers have whole seconds: within one second, a reply sorts after what it answers
    return (h.date or _EPOCH, len(h.references) + len(h.in_reply_to), h.message_id)


SUBJECT_WINDOW = timedelta(days=30)


@functools.lru_cache(maxsize=65536)
def normalize_subject(subject: str) -> str:
    """The subject without reply/forward prefixes and counters, lower-cased and squeezed."""
    return " ".join(strip_prefixes(subject).lower().split())


def _is_headerless_reply(h: Header) -> bool:
    return not h.in_reply_to and not h.references and has_prefix(h.subject)


def is_headerless_reply(h: Header) -> bool:
    """A reply with no threading headers: the subject rule may join it to another message."""
    return _is_headerless_reply(h)


def _people(h: Header) -> set[str]:
    return {h.from_addr, *h.to, *h.cc} - {""}


def _subject_link(reply: Header, other: Header) -> bool:
    """A reply with no threading headers belongs with an earlier message of the same subject,
    between the same people, within the window. A bare subject match ("Hello") is not enough."""
    if not _is_headerless_reply(reply) or reply.date is None or other.date is None:
        return False
    if not timedelta(0) <= reply.date - other.date <= SUBJECT_WINDOW:
        return False
    return reply.from_addr in _people(other) - {other.from_addr} or other.from_addr in _people(
        reply
    ) - {reply.from_addr}


BARE_WINDOW = timedelta(days=3)
CONSECUTIVE_WINDOW = timedelta(days=7)
_TOO_COMMON = frozenset(
    {"hello", "hi", "hey", "question", "questions", "update", "meeting", "lunch", "thanks", "fyi"}
)


def _headerless(h: Header) -> bool:
    return not h.in_reply_to and not h.references


def _pair(h: Header) -> frozenset[str] | None:
    """The two people of a message between exactly two people (the sender and one other)."""
    people = _people(h)
    return frozenset(people) if len(people) == 2 and h.from_addr else None


def _near(a: Header, b: Header, window: timedelta) -> bool:
    return a.date is not None and b.date is not None and abs(a.date - b.date) <= window


def _bare_link(a: Header, b: Header) -> bool:
    """Chat-like mail with an empty or bare "RE:" subject and no threading headers belongs
    together when it is between the same two people within a few days (never three or more)."""
    return _headerless(a) and _headerless(b) and _pair(a) == _pair(b) and _near(a, b, BARE_WINDOW)


def peer_key(h: Header) -> str:
    """The key under which the subject rules find a message's peers among stored mail: its
    normalised subject; for headerless mail between two people on an empty subject, the two of
    them; "" when no rule can join it by subject."""
    subject = normalize_subject(h.subject)
    if subject:
        return subject
    pair = _pair(h)
    return "\x1f" + "\x1f".join(sorted(pair)) if pair is not None and _headerless(h) else ""


def _consecutive_link(a: Header, b: Header, subject: str) -> bool:
    """Two messages of one sender on one subject, neither with threading headers, one's
    recipients among the other's, within a week: the second follows up the first ("Hello" and
    other subjects too common to tell apart never link this way)."""
    if subject in _TOO_COMMON or not (_headerless(a) and _headerless(b)):
        return False
    if a.from_addr != b.from_addr or not a.from_addr or not _near(a, b, CONSECUTIVE_WINDOW):
        return False
    ra, rb = {*a.to, *a.cc}, {*b.to, *b.cc}
    return bool(ra and rb) and (ra <= rb or rb <= ra)


class ThreadIndex:
    """Threads kept up to date one message at a time (union-find over Message-IDs).

    Links: References and In-Reply-To, the server's thread id, explicit links (a bounce to the
    message that bounced) and, for mail with no threading headers, the subject rules above (a
    prefixed reply; empty subjects between the same two people; one sender's messages in a row
    on one subject). Every link is symmetric, so the threads never depend on the order messages
    arrive in.
    """

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}
        self._members: dict[str, list[Header]] = {}
        self._headers: dict[str, Header] = {}
        self._by_hint: dict[str, str] = {}
        self._by_subject: dict[str, list[Header]] = {}
        self._headerless: dict[str, list[Header]] = {}
        self._bare: dict[frozenset[str], list[Header]] = {}  # empty subjects, by their two people
        self._by_sender: dict[tuple[str, str], list[Header]] = {}  # headerless, by sender+subject
        self._cache: list[Thread] | None = None

    def __len__(self) -> int:
        return len(self._headers)

    def _find(self, x: str) -> str:
        root = x
        while self._parent.get(root, root) != root:
            root = self._parent[root]
        while self._parent.get(x, x) != root:
            self._parent[x], x = root, self._parent[x]
        return root

    def _union(self, a: str, b: str) -> None:
        self._cache = None
        self._join(self._find(a), self._find(b))

    def _join(self, ra: str, rb: str) -> str:
        """Merge two roots' threads (the one with fewer messages under the other): the root."""
        if ra == rb:
            return ra
        if len(self._members.get(ra, ())) < len(self._members.get(rb, ())):
            ra, rb = rb, ra
        self._parent[rb] = ra
        moved = self._members.pop(rb, [])
        if moved:
            self._members.setdefault(ra, []).extend(moved)
        return ra

    def add(self, h: Header, link_to: str = "") -> None:
        """Add one message; copies of a Message-ID already known are ignored."""
        mid = h.message_id
        if mid in self._headers:
            return
        self._cache = None
        self._headers[mid] = h
        parent = self._parent
        root = self._find(mid) if mid in parent else parent.setdefault(mid, mid)
        self._members.setdefault(root, []).append(h)
        for other in (*h.references, *h.in_reply_to):
            if other in parent:
                root = self._join(root, self._find(other))
            else:  # an id not seen before joins this thread: nothing to merge
                parent[other] = root
        if h.thread_hint:
            self._join(root, self._find(self._by_hint.setdefault(h.thread_hint, mid)))
        if link_to:
            self._parent.setdefault(link_to, link_to)
            self._union(mid, link_to)
        subject = normalize_subject(h.subject)
        if not subject:
            pair = _pair(h)
            if pair is not None and _headerless(h):
                for peer in self._bare.get(pair, []):
                    if _bare_link(h, peer):
                        self._union(mid, peer.message_id)
                self._bare.setdefault(pair, []).append(h)
            return
        for peer in self._by_sender.get((h.from_addr, subject), []):
            if _consecutive_link(h, peer, subject):
                self._union(mid, peer.message_id)
        if _headerless(h):
            self._by_sender.setdefault((h.from_addr, subject), []).append(h)
        candidates = (
            self._by_subject.get(subject, [])
            if _is_headerless_reply(h)
            else self._headerless.get(subject, [])
        )
        for peer in candidates:
            if _subject_link(h, peer) or _subject_link(peer, h):
                self._union(mid, peer.message_id)
        self._by_subject.setdefault(subject, []).append(h)
        if _is_headerless_reply(h):
            self._headerless.setdefault(subject, []).append(h)

    def link(self, message_id: str, other: str) -> None:
        """Join two messages' threads (a bounce and the message that bounced)."""
        self._parent.setdefault(message_id, message_id)
        self._parent.setdefault(other, other)
        self._union(message_id, other)

    def components(self) -> list[list[str]]:
        """Every id it knows (messages, ids they only name, ids passed to `link`), grouped by
        thread: what the store keeps of the threading (engine/threading.py)."""
        groups: dict[str, list[str]] = {}
        for node in list(self._parent):
            groups.setdefault(self._find(node), []).append(node)
        return list(groups.values())

    def nodes(self) -> list[str]:
        """Every id it knows, as `components` groups them, ungrouped."""
        return list(self._parent)

    def headers(self) -> list[Header]:
        """The messages added, one per Message-ID."""
        return list(self._headers.values())

    def thread_of(self, message_id: str) -> Thread | None:
        if message_id not in self._parent:
            return None
        return _thread(self._members.get(self._find(message_id), []))

    def threads(self) -> list[Thread]:
        if self._cache is None:  # a tick asks several times; the answer changes only on add/link
            self._cache = [_thread(members) for members in self._members.values() if members]
            self._cache.sort(key=thread_order)
        return list(self._cache)


def thread_order(thread: Thread) -> tuple[datetime, int, str]:
    """How threads are listed: by their newest message, oldest thread first."""
    return _key(thread.messages[-1])


def thread_from(members: Iterable[Header]) -> Thread:
    """One thread of these messages (copies of a Message-ID count once), as `ThreadIndex` makes
    it: for a thread whose membership the store kept."""
    first: dict[str, Header] = {}
    for m in members:
        first.setdefault(m.message_id, m)
    return _thread(list(first.values()))


def _thread(members: list[Header]) -> Thread:
    if len(members) == 1:
        only = members[0]
        return Thread(only.message_id, only.subject, (only,))
    ordered = sorted(members, key=_key)
    subject = next((m.subject for m in ordered if m.subject), "")
    return Thread(ordered[0].message_id, subject, tuple(ordered))


def build_threads(
    messages: Iterable[Header], links: Mapping[str, str] | None = None
) -> list[Thread]:
    """Group messages into threads. Drafts must be left out by the caller."""
    index = ThreadIndex()
    for h in messages:
        index.add(h)
    for mid, other in (links or {}).items():
        if mid in index._headers:
            index.link(mid, other)
    return index.threads()


def last_human(thread: Thread) -> Header | None:
    """The newest message that a person wrote (auto-replies and bounces are not the last word)."""
    for m in reversed(thread.messages):
        if m.kind in ("normal", "list"):
            return m
    return None
