"""An embedded mail server for the demo: pymap IMAP (in memory) and aiosmtpd SMTP on loopback.

It is a real IMAP server that a real client (Thunderbird, mutt, imapclient) can talk to, so the
demo exercises the same code paths as a real account. pymap's in-memory `dict` backend holds the
mailboxes; the SMTP side accepts AUTH PLAIN/LOGIN and files mail for local users into their INBOX.
Mail for other domains is kept in `outbound`, never relayed.

Limits worth knowing: pymap advertises no SPECIAL-USE (the client finds Sent and Drafts by name),
no CONDSTORE, and UIDs start at 101. Plain-text login is fine here: it only listens on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import socket
import threading
import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from pymap.backend.dict import Config, DictBackend, Identity
from pymap.imap import IMAPService
from pymap.parsing.message import AppendMessage
from pymap.parsing.specials.flag import Flag
from pymap.user import Passwords, UserMetadata

FOLDERS = ("Drafts", "Sent", "Trash", "Archive")
HOST = "127.0.0.1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class _SmtpHandler:
    """aiosmtpd handler: authenticate against our users, deliver local mail into INBOX."""

    def __init__(self, server: EmbeddedMailServer) -> None:
        self.server = server

    def authenticate(
        self, _server: Any, _session: Any, _envelope: Any, _mechanism: str, auth_data: Any
    ) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            login = auth_data.login.decode().split("@", 1)[0].lower()
            if self.server.users.get(login) == auth_data.password.decode():
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    async def handle_RCPT(
        self, _server: Any, _session: Any, envelope: Any, address: str, _options: Any
    ) -> str:
        local, _, domain = address.rpartition("@")
        if domain.lower() == self.server.domain and local.lower() not in self.server.users:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        data = bytes(envelope.original_content or envelope.content)
        outside = []
        for rcpt in envelope.rcpt_tos:
            local, _, domain = rcpt.rpartition("@")
            if domain.lower() == self.server.domain:
                await asyncio.wrap_future(
                    self.server._submit(self.server._append(local.lower(), "INBOX", data, (), None))
                )
            else:
                outside.append(rcpt)
        if outside:
            self.server.outbound.append((envelope.mail_from, outside, data))
        return "250 Message accepted for delivery"


class EmbeddedMailServer:
    """IMAP (pymap, in memory) and SMTP submission (aiosmtpd) on 127.0.0.1, on free ports."""

    def __init__(self, users: Mapping[str, str], domain: str = "example.test") -> None:
        self.users = {name.lower(): password for name, password in users.items()}
        self.domain = domain.lower()
        self.host = HOST
        self.imap_port = 0
        self.smtp_port = 0
        self.outbound: list[tuple[str, list[str], bytes]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stopping: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._backend: DictBackend | None = None
        self._config: Config | None = None
        self._smtp: Controller | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> EmbeddedMailServer:
        self.imap_port = _free_port()
        self._thread = threading.Thread(target=self._run, name="embedded-imap", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout) or self._error is not None:
            self.stop()
            raise RuntimeError(f"the embedded IMAP server did not start: {self._error!r}")
        self.smtp_port = _free_port()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # AUTH without TLS: acceptable on loopback only
            logging.getLogger("mail.log").setLevel(logging.ERROR)
            handler = _SmtpHandler(self)
            self._smtp = Controller(
                handler,
                hostname=HOST,
                port=self.smtp_port,
                authenticator=handler.authenticate,
                auth_required=True,
                auth_require_tls=False,
                ready_timeout=timeout,
            )
            self._smtp.start()
        return self

    def stop(self) -> None:
        if self._smtp is not None:
            self._smtp.stop()
            self._smtp = None
        if self._loop is not None and self._stopping is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._stopping.set)
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def __enter__(self) -> EmbeddedMailServer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported to start(); the thread must not die silently
            self._error = exc
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        args = argparse.Namespace(
            host=[HOST],
            port=str(self.imap_port),
            debug=False,
            cert=None,
            key=None,
            tls=False,
            inherited_sockets=None,
            proxy_protocol=None,
            passlib_cfg=None,
            demo_data=False,
            demo_user="",
            demo_password="",
        )
        backend, config = await DictBackend.init(args)
        config.apply_context()
        self._backend, self._config = backend, config
        hasher = Passwords(config)
        for name, password in self.users.items():
            identity = Identity(name, backend.login, None, frozenset())
            await identity.set(
                UserMetadata(config, name, password=await hasher.hash_password(password))
            )
            async with identity.new_session() as session:
                for folder in FOLDERS:
                    await session.mailbox_set.add_mailbox(folder)
        async with AsyncExitStack() as stack:
            await backend.start(stack)
            await IMAPService(backend, config).start(stack)
            self._ready.set()
            await self._stopping.wait()

    # -- mail ------------------------------------------------------------------------------------
    def _submit(self, coro: Any) -> Future[None]:
        assert self._loop is not None, "start() the server first"
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    async def _append(
        self, user: str, folder: str, raw: bytes, flags: Sequence[str], when: datetime | None
    ) -> None:
        assert self._backend is not None
        identity = Identity(user, self._backend.login, None, frozenset())
        async with identity.new_session() as session:
            mailbox = await session.mailbox_set.get_mailbox(folder)
            stamp = (when or datetime.now(UTC)).astimezone(UTC)
            await mailbox.append(
                AppendMessage(raw, stamp, frozenset(Flag(f.encode()) for f in flags))
            )

    def append(
        self,
        user: str,
        folder: str,
        raw: bytes,
        flags: Sequence[str] = (),
        when: datetime | None = None,
    ) -> None:
        """File a message straight into a user's folder; `when` sets INTERNALDATE."""
        self._submit(self._append(user.lower(), folder, raw, flags, when)).result(10)
