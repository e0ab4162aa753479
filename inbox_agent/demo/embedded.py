"""An embedded mail server for the demo and tests: pymap IMAP (in memory) and aiosmtpd SMTP.

It owns one background thread running one asyncio loop, which serves both protocols on
127.0.0.1 (ports chosen by the OS, so there is no race for a "free" port). It is a real IMAP
server that Thunderbird, mutt or imapclient can talk to, so the demo exercises the same code
paths as a real account. pymap's in-memory `dict` backend holds the mailboxes.

- IMAP logins: `alice` or `alice@<domain>` (same mailbox; case-sensitive), plaintext LOGIN and
  AUTHENTICATE PLAIN/LOGIN without STARTTLS (TLS is switched off; it only listens on loopback).
- Folders INBOX, Drafts, Sent, Trash, Archive, all subscribed. LIST marks them `\\Drafts`,
  `\\Sent`, `\\Trash`, `\\Archive` (added here; pymap has no SPECIAL-USE). The SPECIAL-USE
  capability is *not* advertised, because pymap cannot parse `LIST (SPECIAL-USE) "" "*"`,
  which clients send once they see it (MailKit does).
- SMTP: AUTH PLAIN/LOGIN required (no TLS), mail for `<user>@<domain>` lands in the user's
  INBOX, mail for other domains is kept in `outbound`, never relayed; unknown local users: 550.

What pymap 0.36 does not do: CONDSTORE/QRESYNC, SPECIAL-USE, ENABLE, NAMESPACE, SORT/THREAD,
ESEARCH, QUOTA, COMPRESS. It does IDLE, UIDPLUS, MOVE, BINARY, MULTIAPPEND, OBJECTID, CHILDREN.
UIDs start at 101; UIDVALIDITY is new for every server (nothing persists across runs). Messages
APPENDed over IMAP or delivered by SMTP carry `\\Recent` in FLAGS. Besides the system flags a
message keeps the keywords in `KEYWORDS` (pymap alone keeps none; a `$NoFollowUp` tag is one).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import re
import socket
import ssl
import threading
import warnings
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from proxyprotocol.reader import ProxyProtocolReader
from pymap.backend.dict import Config, Login
from pymap.backend.dict.filter import FilterSet
from pymap.backend.dict.mailbox import MailboxData, MailboxSet
from pymap.concurrent import Subsystem
from pymap.imap import IMAPServer
from pymap.listtree import ListEntry, ListTree
from pymap.parsing.message import AppendMessage
from pymap.parsing.specials import ObjectId
from pymap.parsing.specials.flag import Flag
from pymap.user import UserMetadata
from pysasl.hashing import Cleartext

HOST = "127.0.0.1"
SPECIAL_USE = {"Drafts": b"Drafts", "Sent": b"Sent", "Trash": b"Trash", "Archive": b"Archive"}
_AUTH_WITHOUT_TLS = "Requiring AUTH while not requiring TLS"


def _quiet(record: logging.LogRecord) -> bool:
    """aiosmtpd warns on every connection that AUTH without TLS is unsafe (on loopback it is
    fine) and on every login that its own Session.login_data is deprecated."""
    text = record.getMessage()
    return "auth_require_tls == False" not in text and "login_data is deprecated" not in text


class _Config(Config):
    @property
    def greeting(self) -> bytes:
        return b"inbox-agent embedded IMAP ready"  # pymap's default calls getfqdn(): slow DNS


@dataclass(frozen=True)
class _SpecialEntry(ListEntry):
    use: bytes = b""

    @property
    def attributes(self) -> Sequence[bytes]:
        return [*super().attributes, self.use]


class _SpecialTree(ListTree):
    def list_matching(self, ref_name: str, filter_: str) -> Iterable[ListEntry]:
        for e in super().list_matching(ref_name, filter_):
            use = SPECIAL_USE.get(e.name) if e.exists else None
            yield _SpecialEntry(e.name, e.exists, e.marked, e.has_children, use) if use else e


# The keywords a mailbox keeps besides the system flags: ours, the registered common ones
# (RFC 5788) and Thunderbird's tags. Named one by one: `\\*` would also land in FLAGS, where
# RFC 3501 does not allow it.
KEYWORDS = ("$NoFollowUp", "$FollowUp", "$Forwarded", "$MDNSent", "$Junk", "$NotJunk",
            *(f"$label{n}" for n in range(1, 6)))  # fmt: skip


class _MailboxData(MailboxData):
    """pymap's dict mailbox, which keeps the keywords in KEYWORDS as real servers do (a user
    tags a message `$NoFollowUp` in their client); pymap's own keeps only the system flags."""

    @property
    def permanent_flags(self) -> frozenset[Flag]:
        return super().permanent_flags | {Flag(k.encode()) for k in KEYWORDS}


class _MailboxSet(MailboxSet):
    """pymap's dict mailbox set, whose LIST/LSUB also carry the RFC 6154 attributes and whose
    mailboxes keep keywords."""

    def __init__(self) -> None:
        super().__init__()
        self._inbox = _MailboxData(self._content_cache, self._thread_cache)

    async def add_mailbox(self, name: str) -> ObjectId:
        async with self._set_lock.write_lock():
            if name in self._set:
                raise ValueError(name)
            self._set[name] = mbx = _MailboxData(self._content_cache, self._thread_cache)
            return mbx.mailbox_id

    async def list_mailboxes(self) -> ListTree:
        return self._special(await super().list_mailboxes())

    async def list_subscribed(self) -> ListTree:
        return self._special(await super().list_subscribed())

    def _special(self, tree: ListTree) -> ListTree:
        return _SpecialTree(self.delimiter).update(*(e.name for e in tree.list() if e.exists))


class EmbeddedMailServer:
    """IMAP (pymap, in memory) + SMTP submission (aiosmtpd) on 127.0.0.1, for the demo and tests."""

    FOLDERS = ("INBOX", "Drafts", "Sent", "Trash", "Archive")

    def __init__(self, users: Mapping[str, str], domain: str = "example.test") -> None:
        """`users` maps local parts (`alice`) to passwords."""
        self.users = {name.lower(): password for name, password in users.items()}
        self.domain = domain.lower()
        self.host = HOST
        self.imap_port = 0
        self.smtp_port = 0
        self.outbound: list[tuple[str, list[str], bytes]] = []
        self._sets: dict[str, _MailboxSet] = {}
        self._login: Login | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def user_of(self, login: str) -> str | None:
        """`alice` for `alice` or `alice@<domain>` (any case), None for anyone else."""
        local, at, domain = login.lower().rpartition("@")
        name = local if at and domain == self.domain else login.lower()
        return name if name in self.users else None

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> EmbeddedMailServer:
        """Serve both protocols; return once each has sent its greeting to a test connection."""
        if self._thread is not None:
            return self
        self._ready.clear()
        self._error = None
        self._thread = threading.Thread(target=self._run, name="embedded-mail", daemon=True)
        self._thread.start()
        try:
            if not self._ready.wait(timeout) or self._error is not None:
                raise RuntimeError(f"embedded mail server did not start: {self._error!r}")
            for port, greeting in ((self.imap_port, b"* OK"), (self.smtp_port, b"220")):
                with socket.create_connection((HOST, port), timeout) as sock:
                    if not sock.makefile("rb").readline().startswith(greeting):
                        raise RuntimeError(f"embedded mail server on port {port} did not greet")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Close both servers and their connections, end the loop, join the thread. Idempotent."""
        loop, stopping, thread = self._loop, self._stopping, self._thread
        if loop is not None and stopping is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended (startup failed)
                loop.call_soon_threadsafe(stopping.set)
        if thread is not None:
            thread.join(10)
        self._thread = self._loop = self._stopping = None

    def __enter__(self) -> EmbeddedMailServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported to start(); the thread must not die silently
            self._error = exc
        finally:
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        # pymap wants an argparse namespace; only these three are read when a config is given
        args = argparse.Namespace(passlib_cfg=None, proxy_protocol=None, inherited_sockets=None)
        config = _Config(
            args,
            host=HOST,
            port=0,
            demo_data=False,
            demo_user="",
            demo_password="",
            tls_enabled=False,  # offers LOGIN and AUTHENTICATE PLAIN without STARTTLS
            ssl_context=ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER),  # unused; skips loading certs
            hash_context=Cleartext(),  # the default PBKDF2 costs ~0.3 s a login
            cpu_subsystem=Subsystem.for_asyncio(),  # no thread pool left behind
            reject_dnsbl=False,
        )
        config.apply_context()  # pymap's locks and events come from a context variable
        login = Login(config)
        self._login = login
        for name, password in self.users.items():
            await self._add_user(name, password)
        imap_cb = ProxyProtocolReader(config.proxy_protocol).get_callback(IMAPServer(login, config))
        imap = await asyncio.start_server(imap_cb, HOST, 0)
        smtp = await self._loop.create_server(self._smtp_protocol, HOST, 0)
        self.imap_port = imap.sockets[0].getsockname()[1]
        self.smtp_port = smtp.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            await self._stopping.wait()
        finally:
            for server in (imap, smtp):
                server.close()
            # end open sessions too: from Python 3.12, wait_closed() waits for every client
            others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in others:
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)
            await asyncio.gather(imap.wait_closed(), smtp.wait_closed())

    # -- users -----------------------------------------------------------------------------------
    def add_user(self, name: str, password: str) -> None:
        """A new mailbox `name` (a local part) with the usual folders, while the server runs;
        it can log in and receive mail at once."""
        if self._loop is None:
            raise RuntimeError("start() the embedded mail server first")
        done: Future[None] = asyncio.run_coroutine_threadsafe(
            self._add_user(name.lower(), password), self._loop
        )
        done.result(10)

    async def _add_user(self, name: str, password: str) -> None:
        login = self._login
        assert login is not None
        mailboxes, filters = _MailboxSet(), FilterSet()
        for folder in self.FOLDERS:
            if folder != "INBOX":
                await mailboxes.add_mailbox(folder)
            await mailboxes.set_subscribed(folder, True)  # Thunderbird shows subscribed only
        self.users[name] = password
        self._sets[name] = mailboxes
        for alias in (name, f"{name}@{self.domain}"):  # two logins, one mailbox
            login.users_dict[alias] = UserMetadata(login.config, alias, password=password)
            login.config.set_cache[alias] = (mailboxes, filters)

    # -- mail ------------------------------------------------------------------------------------
    def append(
        self,
        user: str,
        folder: str,
        raw: bytes,
        flags: Sequence[str] = (),
        when: datetime | None = None,
    ) -> None:
        """File a message straight into a user's folder; `when` sets INTERNALDATE (default now)."""
        if self._loop is None:
            raise RuntimeError("start() the embedded mail server first")
        done: Future[None] = asyncio.run_coroutine_threadsafe(
            self._append(user, folder, raw, flags, when), self._loop
        )
        done.result(10)

    async def _append(
        self,
        user: str,
        folder: str,
        raw: bytes,
        flags: Sequence[str],
        when: datetime | None,
        recent: bool = False,
    ) -> None:
        name = self.user_of(user)
        if name is None:
            raise KeyError(f"no such user: {user!r}")
        try:
            mailbox = await self._sets[name].get_mailbox(folder)
        except KeyError:
            raise KeyError(f"{user} has no folder {folder!r}") from None
        stamp = (when or datetime.now(UTC)).astimezone(UTC)  # pymap would use naive local time
        raw = re.sub(rb"\r?\n", b"\r\n", raw)  # bytes(EmailMessage) has bare LFs; IMAP wants CRLF
        message = AppendMessage(raw, stamp, frozenset(Flag(f.encode()) for f in flags))
        await mailbox.append(message, recent=recent)

    def _smtp_protocol(self) -> SMTP:
        warnings.filterwarnings("ignore", _AUTH_WITHOUT_TLS, UserWarning)
        logging.getLogger("mail.log").addFilter(_quiet)
        return SMTP(
            self,
            hostname="localhost",  # else getfqdn(), slow without DNS
            authenticator=self._authenticate,
            auth_required=True,
            auth_require_tls=False,
            loop=self._loop,
        )

    def _authenticate(
        self, _server: SMTP, _session: Session, _envelope: Envelope, _mechanism: str, data: Any
    ) -> AuthResult:
        if isinstance(data, LoginPassword):
            name = self.user_of(data.login.decode(errors="replace"))
            if name is not None and self.users[name] == data.password.decode(errors="replace"):
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    async def handle_RCPT(
        self, _server: SMTP, _session: Session, envelope: Envelope, address: str, _opts: Any
    ) -> str:
        domain = address.rpartition("@")[2].lower()
        if domain == self.domain and self.user_of(address) is None:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or b""
        outside = []
        for rcpt in envelope.rcpt_tos:
            if self.user_of(rcpt) is not None and rcpt.rpartition("@")[2].lower() == self.domain:
                await self._append(rcpt, "INBOX", data, (), None, recent=True)
            else:
                outside.append(rcpt)
        if outside:
            self.outbound.append((envelope.mail_from or "", outside, data))
        return "250 Message accepted for delivery"
