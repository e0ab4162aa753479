"""`MemoryMailbox`: a mailbox in memory with IMAP's semantics, for tests and for tools built on
the package.

It keeps what the agent relies on from a real server: UIDs that only grow within a UIDVALIDITY,
UIDNEXT, flags and a MODSEQ per change (CONDSTORE), SPECIAL-USE attributes, case-insensitive
substring HEADER search, `\\Deleted` without expunge when UIDPLUS is off, and IDLE that wakes on
a change. The contract suite (tests/test_mailbox_contract.py) holds it to the answers Dovecot,
Cyrus and the embedded server give. Several threads may share one; a lock guards its state.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from email.parser import BytesHeaderParser

from inbox_agent import clock
from inbox_agent.errors import FolderMissing
from inbox_agent.mail import headers
from inbox_agent.sync.mailbox import Fetched, FolderStatus, Listed, Raw

DEFAULT_CAPABILITIES = frozenset({"IMAP4REV1", "UIDPLUS", "CONDSTORE", "IDLE", "SPECIAL-USE"})
_FIELDS = frozenset(f.lower() for f in headers.FIELDS)


@dataclass
class _Message:
    raw: bytes
    flags: set[str]
    internaldate: datetime
    modseq: int


@dataclass
class _Folder:
    attributes: frozenset[str]
    uidvalidity: int
    uidnext: int = 1
    messages: dict[int, _Message] = field(default_factory=dict)


class MemoryMailbox:
    """One account's folders, in memory. INBOX exists from the start."""

    def __init__(self, capabilities: Iterable[str] = DEFAULT_CAPABILITIES) -> None:
        self._caps = frozenset(c.upper() for c in capabilities)
        self._folders: dict[str, _Folder] = {}
        self._modseq = 1
        self._validity = int(time.time())
        self._changed = threading.Condition()
        self.create_folder("INBOX")

    # -- setting up, as a server's admin or another client would ----------------------------------
    def create_folder(self, name: str, *attributes: str) -> None:
        with self._changed:
            if name not in self._folders:
                self._validity += 1
                self._folders[name] = _Folder(frozenset(attributes), self._validity)

    def deliver(
        self, folder: str, raw: bytes, flags: Sequence[str] = (), when: datetime | None = None
    ) -> int:
        """Put a message in `folder` (as LMTP delivery or another client's APPEND); its UID."""
        with self._changed:
            box = self._folder(folder)
            uid = box.uidnext
            box.uidnext += 1
            box.messages[uid] = _Message(
                raw, set(flags), (when or clock.now()).astimezone(UTC), self._bump()
            )
            self._changed.notify_all()
            return uid

    def set_flags(self, folder: str, uid: int, flags: Iterable[str]) -> None:
        with self._changed:
            message = self._folder(folder).messages[uid]
            message.flags, message.modseq = set(flags), self._bump()
            self._changed.notify_all()

    def expunge(self, folder: str, uid: int) -> None:
        with self._changed:
            self._folder(folder).messages.pop(uid, None)
            self._bump()
            self._changed.notify_all()

    def renumber(self, folder: str) -> None:
        """A new UIDVALIDITY, every message with a new UID (a server rebuilt its index)."""
        with self._changed:
            box = self._folder(folder)
            self._validity += 1
            old = [box.messages[uid] for uid in sorted(box.messages)]
            box.uidvalidity, box.uidnext = self._validity, len(old) + 1
            box.messages = {i: m for i, m in enumerate(old, start=1)}
            self._changed.notify_all()

    # -- the Mailbox interface ------------------------------------------------------------------
    def capabilities(self) -> frozenset[str]:
        return self._caps

    def list_folders(self) -> list[Listed]:
        with self._changed:
            return [Listed(name, box.attributes) for name, box in self._folders.items()]

    def status(self, folder: str) -> FolderStatus:
        with self._changed:
            box = self._folder(folder)
            return FolderStatus(
                uidvalidity=box.uidvalidity,
                uidnext=box.uidnext,
                messages=len(box.messages),
                highestmodseq=self._modseq if "CONDSTORE" in self._caps else None,
            )

    def uids(self, folder: str, start: int = 1, until: int | None = None) -> list[int]:
        with self._changed:
            return sorted(uid for uid in self._folder(folder).messages if uid >= start)

    def fetch_headers(self, folder: str, uids: Sequence[int]) -> dict[int, Fetched]:
        with self._changed:
            box = self._folder(folder)
            return {
                uid: Fetched(
                    header=_header_fields(m.raw),
                    flags=tuple(sorted(m.flags)),
                    size=len(m.raw),
                    internaldate=m.internaldate,
                )
                for uid in uids
                if (m := box.messages.get(uid)) is not None
            }

    def fetch_header_batches(
        self, folder: str, batches: Sequence[Sequence[int]]
    ) -> Generator[dict[int, Fetched], None, None]:
        for batch in batches:
            yield self.fetch_headers(folder, batch)

    def flag_changes(self, folder: str, since_modseq: int) -> dict[int, tuple[str, ...]]:
        with self._changed:
            return {
                uid: tuple(sorted(m.flags))
                for uid, m in self._folder(folder).messages.items()
                if m.modseq > since_modseq
            }

    def flags(self, folder: str, start: int = 1) -> dict[int, tuple[str, ...]]:
        with self._changed:
            box = self._folder(folder)
            return {uid: tuple(sorted(m.flags)) for uid, m in box.messages.items() if uid >= start}

    def fetch_bodies(
        self, folder: str, uids: Sequence[int], max_bytes: int = 262_144
    ) -> dict[int, bytes]:
        with self._changed:
            box = self._folder(folder)
            return {uid: box.messages[uid].raw[:max_bytes] for uid in uids if uid in box.messages}

    def fetch_raw(self, folder: str, uid: int) -> Raw | None:
        with self._changed:
            m = self._folder(folder).messages.get(uid)
            return None if m is None else Raw(m.raw, tuple(sorted(m.flags)))

    def search(self, folder: str, header: str, value: str) -> list[int]:
        if not value:
            return []
        needle = value.lower()
        with self._changed:
            box = self._folder(folder)
            return sorted(
                uid
                for uid, m in box.messages.items()
                if any(needle in str(v).lower() for v in _parse(m.raw).get_all(header, []))
            )

    def append(self, folder: str, raw: bytes, flags: Sequence[str], when: datetime) -> int | None:
        uid = self.deliver(folder, raw, flags, when)
        return uid if "UIDPLUS" in self._caps else None

    def delete(self, folder: str, uid: int) -> None:
        with self._changed:
            message = self._folder(folder).messages.get(uid)
            if message is None:
                return
            if "UIDPLUS" in self._caps:
                self.expunge(folder, uid)
            else:
                self.set_flags(folder, uid, {*message.flags, "\\Deleted"})

    def idle(self, folder: str, seconds: float) -> bool:
        """Wait up to `seconds` for a change anywhere; True when one came."""
        with self._changed:
            self._folder(folder)
            before = self._modseq
            return self._changed.wait_for(lambda: self._modseq != before, timeout=seconds)

    def refresh(self) -> None:
        return None  # nothing selected to forget: every call sees the folder as it is

    def logout(self) -> None:
        return None

    # -- inside ---------------------------------------------------------------------------------
    def _folder(self, name: str) -> _Folder:
        box = self._folders.get(name)
        if box is None:
            raise FolderMissing(
                f"the folder {name!r} is not in this mailbox",
                "create it first (MemoryMailbox.create_folder)",
            )
        return box

    def _bump(self) -> int:
        self._modseq += 1
        return self._modseq


def _parse(raw: bytes) -> Message:
    return BytesHeaderParser().parsebytes(raw)


def _header_fields(raw: bytes) -> bytes:
    """The sync fields of a message's header block, as `BODY[HEADER.FIELDS (...)]` returns them."""
    block = raw.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
    kept: list[bytes] = []
    keep = False
    for line in block.split(b"\n"):
        if line[:1] in (b" ", b"\t"):
            if keep:
                kept.append(line)
            continue
        name = line.split(b":", 1)[0].strip().lower().decode("ascii", "replace")
        keep = b":" in line and name in _FIELDS
        if keep:
            kept.append(line)
    return b"".join(line + b"\r\n" for line in kept) + b"\r\n"


__all__ = ["DEFAULT_CAPABILITIES", "MemoryMailbox"]
