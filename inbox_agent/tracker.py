"""Threads from Message-ID, In-Reply-To and References, and whether one awaits a reply.

Pure: messages in, threads and judgements out; the caller passes the time. Messages are linked
with a union-find over every Message-ID they mention, so the order in which they were synced never
changes the threads. Copies of one message (INBOX and Sent, say) count once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from inbox_agent.cadence import Gap
from inbox_agent.headers import Header, is_noreply

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class Judgement:
    """Whether a thread awaits a reply, and the one-line reason a person can check."""

    awaiting: bool
    candidate: bool  # the last word is the user's, to a person: a sequence may start
    last_from_user: bool
    reason: str
    due_at: datetime | None


def _key(h: Header) -> tuple[datetime, str]:
    return (h.date or _EPOCH, h.message_id)


def build_threads(messages: Iterable[Header]) -> list[Thread]:
    """Group messages into threads. Drafts must be left out by the caller."""
    unique: dict[str, Header] = {}
    for h in messages:
        unique.setdefault(h.message_id, h)
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:
            parent[x], x = root, parent[x]
        return root

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            # the smaller id becomes the root, so the result does not depend on input order
            low, high = sorted((ra, rb))
            parent[high] = low

    for h in unique.values():
        parent.setdefault(h.message_id, h.message_id)
        for other in (*h.references, *h.in_reply_to):
            parent.setdefault(other, other)
            union(h.message_id, other)
    groups: dict[str, list[Header]] = {}
    for h in unique.values():
        groups.setdefault(find(h.message_id), []).append(h)
    threads = []
    for members in groups.values():
        members.sort(key=_key)
        subject = next((m.subject for m in members if m.subject), "")
        threads.append(Thread(members[0].message_id, subject, tuple(members)))
    threads.sort(key=lambda t: _key(t.messages[-1]))
    return threads


def last_human(thread: Thread) -> Header | None:
    """The newest message that a person wrote (auto-replies and bounces are not the last word)."""
    for m in reversed(thread.messages):
        if m.kind in ("normal", "list"):
            return m
    return None


def judge(thread: Thread, user: frozenset[str], now: datetime, first_gap: Gap) -> Judgement:
    """Does this thread await a reply at `now`? Decided from mailbox facts alone."""
    last = last_human(thread)
    if last is None:
        return Judgement(False, False, False, "no message written by a person", None)
    from_user = last.from_addr in user
    if not from_user:
        return Judgement(
            False, False, False, f"the last word is {last.from_addr or 'unknown'}'s", None
        )
    if any(m.kind == "list" for m in thread.messages):
        return Judgement(False, False, True, "mailing-list thread", None)
    recipients = [a for a in (*last.to, *last.cc) if a not in user]
    if not recipients:
        return Judgement(False, False, True, "sent only to your own addresses", None)
    if all(is_noreply(a) for a in recipients):
        return Judgement(False, False, True, "sent to a no-reply address", None)
    if last.date is None:
        return Judgement(False, False, True, "your last message has no date", None)
    due = first_gap.after(last.date)
    if now < due:
        return Judgement(
            False,
            True,
            True,
            f"sent {last.date:%Y-%m-%d}; quiet is not yet long enough (due {due:%Y-%m-%d})",
            due,
        )
    return Judgement(
        True,
        True,
        True,
        f"no answer since {last.date:%Y-%m-%d %H:%M} to {', '.join(recipients)}",
        due,
    )
