"""SMTP submission with aiosmtplib, and what an SMTP failure means for the send.

Only `submit()` talks SMTP. The pre-send re-sync and the outbox states live in `outbox.py`, which
calls this between committing `sending` and committing `sent`.

The envelope can carry one more recipient than the headers: the user's own address, as a
delivery receipt. Its copy lands in the user's INBOX in the same SMTP transaction as the real
delivery, so after a crash the outbox can tell "submitted" from "never submitted" without ever
sending twice. Recipients never see it (it is not in To or Cc).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any, TypeVar

import aiosmtplib

from inbox_agent.config import Account
from inbox_agent.config.providers import login_refused
from inbox_agent.errors import UserError
from inbox_agent.mail.compose import for_submission
from inbox_agent.sync import oauth

T = TypeVar("T")


class SendFailure(Exception):
    """Raised when submission failed. `permanent` (5xx) goes back to the user; else retry later."""

    def __init__(self, message: str, permanent: bool) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent


def envelope(msg: EmailMessage, receipt_to: str = "") -> list[str]:
    """Who the SMTP transaction delivers to: the headers' To and Cc, plus the receipt address."""
    addresses = [
        addr for _, addr in getaddresses([*msg.get_all("To", []), *msg.get_all("Cc", [])]) if addr
    ]
    return list(dict.fromkeys([*addresses, *([receipt_to] if receipt_to else [])]))


def smtp_login(account: Account, secret: str) -> dict[str, Any]:
    """aiosmtplib's login arguments: a password, or XOAUTH2 with a renewed access token."""
    if account.auth != "oauth2":
        return {"username": account.smtp.username, "password": secret}
    token = oauth.bearer(account, secret)

    async def access_token() -> str:
        return token

    return {"username": account.smtp.username, "oauth_token_generator": access_token}


def _failure(exc: Exception, account: Account) -> SendFailure:
    """What an SMTP error means for the send: permanent (5xx, a refused sign-in) or passing."""
    server = account.smtp
    if isinstance(exc, SendFailure):
        return exc
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        problem, fix = login_refused(
            account.preset,
            protocol="smtp",
            host=server.host,
            user=server.username,
            account=account.name,
            path=str(account.path),
            oauth=account.auth == "oauth2",
        )
        return SendFailure(f"{problem} ({exc.code}): {fix}", permanent=True)
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        return SendFailure(
            f"{server.host} refused the recipients: "
            + ", ".join(f"{r.recipient} ({r.code} {r.message})" for r in exc.recipients),
            permanent=bool(codes) and all(500 <= c < 600 for c in codes),
        )
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return SendFailure(
            f"{server.host} refused the message: {exc.code} {exc.message}",
            permanent=500 <= exc.code < 600,
        )
    return SendFailure(f"cannot reach {server.host}:{server.port} ({exc})", permanent=False)


class Submission:
    """One SMTP session for one send. The outbox opens it (connect, STARTTLS, sign-in) before
    its last pre-send re-sync, so that re-sync is the last thing between a reply and DATA."""

    def __init__(self, account: Account, password: str, timeout: float = 60.0) -> None:
        self.account = account
        server = account.smtp
        try:
            login = smtp_login(account, password)
        except UserError as exc:  # a sign-in that could not be renewed: nothing was submitted
            raise SendFailure(str(exc), permanent=False) from None
        self._loop = asyncio.new_event_loop()
        self._client = aiosmtplib.SMTP(
            hostname=server.host,
            port=server.port,
            use_tls=server.security == "tls",
            start_tls=server.security == "starttls",
            timeout=timeout,
            **login,
        )
        self._open = False

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        try:
            return self._loop.run_until_complete(coro)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise _failure(exc, self.account) from None

    def open(self) -> Submission:
        self._call(self._client.connect())
        self._open = True
        return self

    def send(self, msg: EmailMessage, receipt_to: str = "") -> dict[str, str]:
        """Submit `msg` (without our marker header). Returns the recipients the server refused
        while accepting others ({address: reason}); raises SendFailure when it accepted nobody."""
        # where the provider rewrites Message-IDs, our marker header is the only way to find the
        # sent copy again after a crash: it stays (recipients see it only in the raw source)
        outgoing = msg if self.account.preset.rewrites_message_id else for_submission(msg)
        if not self._open:
            self.open()
        errors, _reply = self._call(
            self._client.send_message(outgoing, recipients=envelope(outgoing, receipt_to))
        )
        refused = {addr: f"{resp.code} {resp.message}" for addr, resp in errors.items()}
        real = [a for a in envelope(outgoing) if a != receipt_to]
        if real and all(a in refused for a in real):
            raise SendFailure(
                f"{self.account.smtp.host} refused the recipients: "
                + ", ".join(f"{a} ({refused[a]})" for a in real),
                permanent=all(refused[a].startswith("5") for a in real),
            )
        return refused

    def close(self) -> None:
        if self._open:
            with contextlib.suppress(aiosmtplib.SMTPException, OSError, TimeoutError):
                self._loop.run_until_complete(self._client.quit())
            self._open = False
        self._loop.close()

    def __enter__(self) -> Submission:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def submit(
    account: Account, password: str, msg: EmailMessage, timeout: float = 60.0, receipt_to: str = ""
) -> dict[str, str]:
    """Open a session, submit `msg`, close. See `Submission.send`."""
    with Submission(account, password, timeout) as session:
        return session.send(msg, receipt_to)
