"""The `Mailbox` over a live IMAP connection (imapclient), and how to open one.

`connect` logs in and turns what can go wrong into the error tree; `session` opens an
`ImapMailbox` for the length of a `with`. The sync FETCH is read straight off imaplib, because
imapclient's general response parser costs more than everything else in a sync put together.
"""

from __future__ import annotations

import functools
import imaplib
import logging
import re
import socket
import ssl
import time
from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from inbox_agent.config import Account
from inbox_agent.errors import FolderMissing
from inbox_agent.mail import headers
from inbox_agent.sync import failures, fetchwire, oauth
from inbox_agent.sync.failures import EDGE_ERRORS
from inbox_agent.sync.fetchwire import uid_set
from inbox_agent.sync.mailbox import Fetched, FolderStatus, Listed, Raw

log = logging.getLogger(__name__)

_HEADER_ITEM = "BODY.PEEK[HEADER.FIELDS (" + " ".join(headers.FIELDS) + ")]"
_HEADER_KEY = b"BODY[HEADER.FIELDS (" + " ".join(headers.FIELDS).encode() + b")]"
_CHANGES = (b"EXISTS", b"EXPUNGE", b"FETCH", b"RECENT")
_META = re.compile(rb"UID (\d+)|FLAGS \(([^)]*)\)")


def connect(account: Account, password: str, timeout: float = 30.0) -> ImapMailbox:
    """Open and log in. A refused login is LoginRefused; a server that cannot be reached, a TLS
    failure, a timeout or a connection that broke on the way is Unreachable."""
    server = account.imap
    if account.auth == "oauth2":  # renew before connecting: a refused renewal leaks nothing
        password = oauth.bearer(account, password)
    context = _tls_context() if server.security in ("tls", "starttls") else None
    client: IMAPClient | None = None
    try:
        client = IMAPClient(
            server.host,
            port=server.port,
            ssl=server.security == "tls",
            ssl_context=context,
            timeout=timeout,
        )
        if server.security == "starttls":
            client.starttls(_tls_context())
        if account.auth == "oauth2":
            client.oauth2_login(server.username, password)
        else:
            client.login(server.username, password)
    except EDGE_ERRORS as exc:
        if client is not None:
            with suppress(*EDGE_ERRORS):
                client.shutdown()
        if isinstance(exc, LoginError):
            raise failures.login_failure(account, exc) from None
        raise failures.unreachable(account, exc) from None
    return ImapMailbox(client)


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One TLS context per process: loading the system's CA certificates costs ~50 ms of CPU,
    which a daemon polling every few minutes would otherwise pay on every connect."""
    return ssl.create_default_context()


@contextmanager
def session(account: Account, password: str) -> Iterator[ImapMailbox]:
    mailbox = connect(account, password)
    try:
        yield mailbox
    finally:
        mailbox.logout()


UID_SPAN = 50_000  # UIDs asked for in one SEARCH: an answer of 50,000 at 11 bytes is 0.55 MB


class ImapMailbox:
    """`Mailbox` over one imapclient connection. Consecutive reads of one folder share one
    SELECT (EXAMINE); a write, or a read of another folder, selects again."""

    def __init__(self, client: IMAPClient) -> None:
        self.client = client
        # INTERNALDATE with the server's offset, not naive local time: the arrival time is the
        # date a message gets when its own Date cannot be believed (issue 13)
        client.normalise_times = False
        self._selected: tuple[str, bool] | None = None
        self._caps: frozenset[str] | None = None

    def _select(self, folder: str, readonly: bool = True) -> None:
        if self._selected == (folder, readonly):
            return
        self._selected = None
        try:
            self.client.select_folder(folder, readonly=readonly)
        except imaplib.IMAP4.error as exc:
            raise self._missing(folder, exc) from None
        self._selected = (folder, readonly)

    def _missing(self, folder: str, exc: imaplib.IMAP4.error) -> Exception:
        """A refused SELECT or STATUS: FolderMissing when the folder is not listed, else `exc`."""
        if failures.refused(exc) and folder not in {f.name for f in self.list_folders()}:
            return FolderMissing(
                f"the folder {folder!r} is not on the server (any more)",
                "run `inbox-agent check` to see the folders it has, and name the right one in "
                "the account file ([imap] sent_folder, drafts_folder or folders)",
            )
        return exc

    def capabilities(self) -> frozenset[str]:
        if self._caps is None:
            self._caps = frozenset(c.decode().upper() for c in self.client.capabilities())
        return self._caps

    def list_folders(self) -> list[Listed]:
        return [
            Listed(name, frozenset(f.decode() if isinstance(f, bytes) else str(f) for f in flags))
            for flags, _delim, name in self.client.list_folders()
        ]

    def status(self, folder: str) -> FolderStatus:
        condstore = "CONDSTORE" in self.capabilities()
        items = [
            b"MESSAGES",
            b"UIDVALIDITY",
            b"UIDNEXT",
            *([b"HIGHESTMODSEQ"] if condstore else []),
        ]
        try:
            got: dict[bytes, Any] = self.client.folder_status(folder, items)
        except imaplib.IMAP4.error as exc:
            raise self._missing(folder, exc) from None
        return FolderStatus(
            uidvalidity=int(got[b"UIDVALIDITY"]),
            uidnext=int(got[b"UIDNEXT"]),
            messages=int(got.get(b"MESSAGES", 0)),
            highestmodseq=int(got[b"HIGHESTMODSEQ"]) if b"HIGHESTMODSEQ" in got else None,
        )

    def uids(self, folder: str, start: int = 1, until: int | None = None) -> list[int]:
        """The folder's UIDs from `start` on, asked for `UID_SPAN` UIDs at a time: one SEARCH of
        a whole big folder answers in one line longer than imaplib reads (1 MB: about 140,000
        UIDs, a Gmail All Mail of a few years). `until`: the UIDNEXT of the caller's STATUS
        (else asked for); the last span is open, for what arrived since. A few new messages
        are one SEARCH."""
        self._select(folder)
        if until is None:
            top = self.client.search(["UID", "*"])  # the highest UID in use, one number
            if not top:
                return []
            until = max(top) + 1
        found: list[int] = []
        low = max(start, 1)
        while low + UID_SPAN < until:
            found += self.client.search(["UID", f"{low}:{low + UID_SPAN - 1}"])
            low += UID_SPAN
        found += self.client.search(["UID", f"{low}:*"])
        # `n:*` matches the highest UID even below n (RFC 3501 §6.4.8): filter it
        return sorted({u for u in found if u >= start})

    def fetch_headers(self, folder: str, uids: Sequence[int]) -> dict[int, Fetched]:
        return next(self.fetch_header_batches(folder, [uids]), {}) if uids else {}

    def fetch_header_batches(
        self, folder: str, batches: Sequence[Sequence[int]]
    ) -> Generator[dict[int, Fetched], None, None]:
        batches = [b for b in batches if b]
        if not batches:
            return
        self._select(folder)
        gmail = "X-GM-EXT-1" in self.capabilities()
        items = (
            f"(UID RFC822.SIZE FLAGS INTERNALDATE {_HEADER_ITEM}{' X-GM-THRID' if gmail else ''})"
        )
        done = 0
        try:
            for fetched in fetchwire.header_batches(
                self.client._imap, batches, items, b"BODY[HEADER"
            ):
                done += 1
                yield fetched
            return
        except fetchwire.Unreadable as exc:
            log.info("raw FETCH parse failed (%s); using imapclient's parser", exc)
        plain = [
            _HEADER_ITEM,
            "INTERNALDATE",
            "FLAGS",
            "RFC822.SIZE",
            *(["X-GM-THRID"] if gmail else []),
        ]
        for batch in batches[done:]:
            yield {
                uid: _fetched(data) for uid, data in self.client.fetch(list(batch), plain).items()
            }

    def flag_changes(self, folder: str, since_modseq: int) -> dict[int, tuple[str, ...]]:
        return self._uid_flags(folder, "1:*", f"(UID FLAGS) (CHANGEDSINCE {since_modseq})")

    def flags(self, folder: str, start: int = 1) -> dict[int, tuple[str, ...]]:
        found = self._uid_flags(folder, f"{start}:*", "(UID FLAGS)")
        # `start:*` names the newest message even when its UID is below `start` (RFC 3501)
        return {uid: flags for uid, flags in found.items() if uid >= start}

    def _uid_flags(self, folder: str, uids: str, items: str) -> dict[int, tuple[str, ...]]:
        self._select(folder)
        typ, data = self.client._imap.uid("FETCH", uids, items)
        out: dict[int, tuple[str, ...]] = {}
        if typ != "OK":
            return out
        for item in data:
            line = item[0] if isinstance(item, tuple) else item
            if not isinstance(line, bytes):
                continue
            uid = flags = None
            for match in _META.finditer(line):
                if match.group(1):
                    uid = int(match.group(1))
                elif match.group(2) is not None:
                    flags = fetchwire.flags(match.group(2))
            if uid is not None and flags is not None:
                out[uid] = flags
        return out

    def fetch_bodies(
        self, folder: str, uids: Sequence[int], max_bytes: int = 262_144
    ) -> dict[int, bytes]:
        if not uids:
            return {}
        self._select(folder)
        item = f"BODY.PEEK[]<0.{max_bytes}>"
        out: dict[int, bytes] = {}
        for offset in range(0, len(uids), 100):
            for uid, data in self.client.fetch(list(uids[offset : offset + 100]), [item]).items():
                raw = next((v for k, v in data.items() if k.startswith(b"BODY[")), None)
                if isinstance(raw, bytes):
                    out[uid] = raw
        return out

    def fetch_raw(self, folder: str, uid: int) -> Raw | None:
        self._select(folder)
        data = self.client.fetch([uid], ["BODY.PEEK[]", "FLAGS"]).get(uid)
        if not data or b"BODY[]" not in data:
            return None
        return Raw(bytes(data[b"BODY[]"]), fetchwire.spelled(data.get(b"FLAGS", ())))

    def search(self, folder: str, header: str, value: str) -> list[int]:
        if not value:
            return []
        self._select(folder)
        return sorted(self.client.search(["HEADER", header, value]))

    def append(self, folder: str, raw: bytes, flags: Sequence[str], when: datetime) -> int | None:
        self._selected = None
        response = self.client.append(folder, raw, flags=list(flags), msg_time=when)
        text = response.decode(errors="replace") if isinstance(response, bytes) else str(response)
        if "APPENDUID" in text:
            try:
                return int(text.split("APPENDUID", 1)[1].split()[1].rstrip("]"))
            except (IndexError, ValueError):
                return None
        return None

    def delete(self, folder: str, uid: int) -> None:
        self._select(folder, readonly=False)
        self.client.add_flags([uid], [b"\\Deleted"], silent=True)
        # without UIDPLUS a plain EXPUNGE would also remove messages the user marked deleted
        if "UIDPLUS" in self.capabilities():
            self.client.uid_expunge([uid])

    def refresh(self) -> None:
        # nothing stays selected between units: the view of a selected folder is only brought
        # up to date by a command on it, so a STATUS of it could report what was (RFC 3501 §6.3.10)
        if self._selected is None:
            return
        folder, readonly = self._selected
        self._selected = None
        if "UNSELECT" in self.capabilities():
            self.client.unselect_folder()
            return
        if not readonly:  # CLOSE expunges a folder selected read-write; examined, it does not
            self.client.select_folder(folder, readonly=True)
        self.client.close_folder()

    def logout(self) -> None:
        with suppress(*EDGE_ERRORS):
            self.client.logout()

    # -- push, for the IDLE watcher ----------------------------------------------------------------
    def idle(self, folder: str, seconds: float, slice_seconds: float = 60.0) -> bool:
        """IDLE (RFC 2177) on `folder` for at most `seconds`: True as soon as the server
        reports new, expunged or re-flagged mail, False when the time ran out with no change.

        Servers may drop an IDLE after 30 minutes, so callers re-issue it with `seconds` under 29
        minutes. Keepalives ("* OK Still here") are not changes. Shutting the socket down from
        another thread ends the wait at once with an error.
        """
        self._select(folder)
        client = self.client
        read_timeout = client.socket().gettimeout()  # idle_check leaves the socket without one
        client.idle()
        changed = False
        try:
            deadline = time.monotonic() + seconds
            for _ in range(int(seconds / slice_seconds) + 2):  # bounded: one slice at a time
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    responses = client.idle_check(timeout=min(left, slice_seconds))
                except imaplib.IMAP4.abort as exc:
                    if "unterminated line" not in str(exc):
                        raise
                    # idle_check reads off a non-blocking socket and can catch a line the server
                    # sent in two packets half-way (mjs/imapclient#519): the server did say
                    # something, so it counts as a change; the stream is out of step now, so
                    # this connection is done (the next command on it fails, and the IDLE
                    # watcher opens a new one)
                    log.info("IDLE: a response came in two parts (%s); reconnecting", exc)
                    self.shutdown()
                    return True
                if any(self._is_change(r) for r in responses):
                    changed = True
                    break
        except BaseException:
            self.shutdown()  # no DONE on a connection whose IDLE failed half-way
            raise
        client.socket().settimeout(read_timeout)
        _text, pending = client.idle_done()
        return changed or any(self._is_change(r) for r in pending)

    @staticmethod
    def _is_change(response: Any) -> bool:
        return isinstance(response, tuple) and len(response) >= 2 and response[1] in _CHANGES

    def interrupt(self) -> None:
        """From another thread: end a running IDLE (or any command) at once, with an error."""
        with suppress(OSError):  # already closed
            self.client.socket().shutdown(socket.SHUT_RDWR)

    def keep_alive(self) -> None:
        """Let the kernel notice a dead peer within minutes, not at the next IDLE re-issue."""
        sock = self.client.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        for name, value in (("TCP_KEEPIDLE", 120), ("TCP_KEEPINTVL", 30), ("TCP_KEEPCNT", 4)):
            option = getattr(socket, name, None)
            if option is not None:
                sock.setsockopt(socket.IPPROTO_TCP, option, value)

    def shutdown(self) -> None:
        with suppress(*EDGE_ERRORS):
            self.client.shutdown()


def _fetched(data: dict[bytes, Any]) -> Fetched:
    block = data.get(_HEADER_KEY) or next(
        (v for k, v in data.items() if k.startswith(b"BODY[HEADER")), b""
    )
    internal = data.get(b"INTERNALDATE")
    thrid = data.get(b"X-GM-THRID")
    return Fetched(
        header=bytes(block or b""),
        flags=fetchwire.spelled(data.get(b"FLAGS", ())),
        size=int(data.get(b"RFC822.SIZE", 0)),
        internaldate=internal if isinstance(internal, datetime) else None,
        thread_hint=str(thrid) if thrid else "",
    )


__all__ = ["ImapMailbox", "connect", "session", "uid_set"]
