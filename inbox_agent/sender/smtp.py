"""SMTP submission with aiosmtplib, and what an SMTP failure means for the send.

Only `Submission` talks SMTP. Every failure leaves it as a SendFailure (nothing was sent, try
again later) or a SendRefused (refused for good: the draft goes back to the user), both in the
tree of `inbox_agent.errors`; `check` signs in through it too, so both say the same. The pre-send re-sync and the outbox states live in `outbox.py`, which
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
from inbox_agent.errors import SendFailure, SendRefused, UserError
from inbox_agent.mail.compose import for_submission
from inbox_agent.sync import failures, oauth

T = TypeVar("T")


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
    """What an SMTP error means for the send: refused for good (5xx, a refused sign-in) or
    passing (4xx, the network, a timeout)."""
    server = account.smtp
    if isinstance(exc, SendFailure):
        return exc
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        problem, fix = failures.login_words(account, "smtp")
        return SendRefused(f"{problem} ({exc.code})", fix)
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return _refused_recipients(
            server.host, {r.recipient: f"{r.code} {r.message}" for r in exc.recipients}
        )
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        kind = SendRefused if 500 <= exc.code < 600 else SendFailure
        return kind(f"{server.host} refused the message: {exc.code} {exc.message}")
    return SendFailure(
        f"cannot reach {server.host}:{server.port} ({exc})",
        f"check your network, and [smtp] host, port and security in {account.path}",
    )


def _refused_recipients(host: str, refused: dict[str, str]) -> SendFailure:
    """Every recipient refused: for good when each refusal is 5xx, else worth another try."""
    permanent = bool(refused) and all(reason.startswith("5") for reason in refused.values())
    return (SendRefused if permanent else SendFailure)(
        f"{host} refused the recipients: "
        + ", ".join(f"{addr} ({reason})" for addr, reason in refused.items()),
        "nothing was sent and the draft is back in your queue: check the addresses, then "
        "approve it again or reject it"
        if permanent
        else "",
    )


class Submission:
    """One SMTP session for one send. The outbox opens it (connect, STARTTLS, sign-in) before
    its last pre-send re-sync, so that re-sync is the last thing between a reply and DATA."""

    def __init__(self, account: Account, password: str, timeout: float = 60.0) -> None:
        self.account = account
        server = account.smtp
        try:
            login = smtp_login(account, password)
        except UserError as exc:  # a sign-in that could not be renewed: nothing was submitted
            raise SendFailure(exc.message, exc.fix) from None
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
            raise _refused_recipients(self.account.smtp.host, {a: refused[a] for a in real})
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


# the send's errors live in the tree of inbox_agent.errors; they are named here too, where
# callers of submission have always found them
__all__ = ["SendFailure", "SendRefused", "Submission", "envelope", "smtp_login", "submit"]
