"""The mail edge as one interface: what the agent asks of a mailbox, and nothing of IMAP's syntax.

`Mailbox` is what sync, the engine and the voice learner call. Two implementations ship:
`imap.ImapMailbox` over a live imapclient connection (any server), and `memory.MemoryMailbox`, an
in-memory mailbox with IMAP's semantics (UIDs, UIDVALIDITY, flags, MODSEQ) for tests and for
anyone building on the package, as imapclient ships its own test double. One contract suite
(tests/test_mailbox_contract.py) holds both, the embedded demo server and real Dovecot and Cyrus
to the same answers.

Flags are strings as IMAP spells them (`\\Draft`, `$NoFollowUp`); capabilities are upper case.
Every method may raise what `failures.EDGE_ERRORS` names; a folder that does not exist raises
`FolderMissing`.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Listed:
    """One LIST answer: the folder's name and its attributes as the server spells them
    (`\\Sent`, or Cyrus's `\\sent`: compare them without case)."""

    name: str
    attributes: frozenset[str]


@dataclass(frozen=True)
class FolderStatus:
    """STATUS of one folder. `highestmodseq` is None where the server has no CONDSTORE."""

    uidvalidity: int
    uidnext: int
    messages: int
    highestmodseq: int | None = None


@dataclass(frozen=True)
class Fetched:
    """What sync reads of one message: its header block (the fields of `headers.FIELDS`), flags,
    size, arrival time, and Gmail's thread id where there is one."""

    header: bytes
    flags: tuple[str, ...]
    size: int
    internaldate: datetime | None = None
    thread_hint: str = ""


@dataclass(frozen=True)
class Raw:
    """A whole message as stored, and its flags."""

    data: bytes
    flags: tuple[str, ...]


class Mailbox(Protocol):
    """One open session on one account's mailbox."""

    def capabilities(self) -> frozenset[str]:
        """What the server advertises, upper case: `CONDSTORE`, `UIDPLUS`, `IDLE`, `X-GM-EXT-1`."""
        ...

    def list_folders(self) -> list[Listed]:
        """Every folder, with its attributes (SPECIAL-USE among them)."""
        ...

    def status(self, folder: str) -> FolderStatus:
        """One round trip that tells whether anything changed in `folder`."""
        ...

    def uids(self, folder: str, start: int = 1, until: int | None = None) -> list[int]:
        """The UIDs in `folder` from `start` on, ascending (`until`: the folder's UIDNEXT as
        the caller's STATUS gave it, when it has one: a hint, not a bound)."""
        ...

    def fetch_headers(self, folder: str, uids: Sequence[int]) -> dict[int, Fetched]:
        """The sync fields of each message; UIDs that are gone are left out."""
        ...

    def fetch_header_batches(
        self, folder: str, batches: Sequence[Sequence[int]]
    ) -> Generator[dict[int, Fetched], None, None]:
        """`fetch_headers` of each batch in turn. The next batch may be asked for before this
        one is handed back (IMAP pipelines them: the server answers while the caller stores)."""
        ...

    def flag_changes(self, folder: str, since_modseq: int) -> dict[int, tuple[str, ...]]:
        """UID -> flags of each message whose flags changed after `since_modseq` (CONDSTORE)."""
        ...

    def flags(self, folder: str, start: int = 1) -> dict[int, tuple[str, ...]]:
        """UID -> flags of every message from UID `start` on: how flag changes are found where
        the server has no CONDSTORE."""
        ...

    def fetch_bodies(
        self, folder: str, uids: Sequence[int], max_bytes: int = 262_144
    ) -> dict[int, bytes]:
        """The first `max_bytes` of each message, without setting `\\Seen`; gone UIDs left out."""
        ...

    def fetch_raw(self, folder: str, uid: int) -> Raw | None:
        """The whole message and its flags, or None when the UID is gone."""
        ...

    def search(self, folder: str, header: str, value: str) -> list[int]:
        """UIDs of the messages whose `header` contains `value`, ascending; none for an empty value."""
        ...

    def append(self, folder: str, raw: bytes, flags: Sequence[str], when: datetime) -> int | None:
        """Store a message; its new UID when the server says it (UIDPLUS), else None."""
        ...

    def delete(self, folder: str, uid: int) -> None:
        """Remove one message, and no other: without UIDPLUS it is only marked `\\Deleted`."""
        ...

    def refresh(self) -> None:
        """A new unit of work begins on this (kept) session: no folder stays selected (one
        round trip when one was), so a STATUS and the next read of a folder see every message
        delivered since."""
        ...

    def logout(self) -> None:
        """End the session; errors on the way out are swallowed."""
        ...


__all__ = ["Fetched", "FolderStatus", "Listed", "Mailbox", "Raw"]
