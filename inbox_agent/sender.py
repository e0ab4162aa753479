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
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any

import aiosmtplib

from inbox_agent import oauth
from inbox_agent.compose import for_submission
from inbox_agent.config import Account
from inbox_agent.errors import UserError
from inbox_agent.providers import login_refused


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


def submit(
    account: Account, password: str, msg: EmailMessage, timeout: float = 60.0, receipt_to: str = ""
) -> dict[str, str]:
    """Submit `msg` (without our marker header) to the account's SMTP server.

    Returns the recipients the server refused while accepting others ({address: reason}).
    Raises SendFailure when nothing was accepted for a real recipient."""
    server = account.smtp
    outgoing = for_submission(msg)
    try:
        login = smtp_login(account, password)
    except UserError as exc:  # a sign-in that could not be renewed: nothing was submitted
        raise SendFailure(str(exc), permanent=False) from None
    try:
        errors, _reply = asyncio.run(
            aiosmtplib.send(
                outgoing,
                recipients=envelope(outgoing, receipt_to),
                hostname=server.host,
                port=server.port,
                use_tls=server.security == "tls",
                start_tls=server.security == "starttls",
                timeout=timeout,
                **login,
            )
        )
    except aiosmtplib.SMTPAuthenticationError as exc:
        problem, fix = login_refused(
            account.preset,
            protocol="smtp",
            host=server.host,
            user=server.username,
            account=account.name,
            path=str(account.path),
            oauth=account.auth == "oauth2",
        )
        raise SendFailure(f"{problem} ({exc.code}): {fix}", permanent=True) from None
    except aiosmtplib.SMTPRecipientsRefused as exc:
        codes = [r.code for r in exc.recipients]
        raise SendFailure(
            f"{server.host} refused the recipients: "
            + ", ".join(f"{r.recipient} ({r.code} {r.message})" for r in exc.recipients),
            permanent=bool(codes) and all(500 <= c < 600 for c in codes),
        ) from None
    except aiosmtplib.SMTPResponseException as exc:
        raise SendFailure(
            f"{server.host} refused the message: {exc.code} {exc.message}",
            permanent=500 <= exc.code < 600,
        ) from None
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        raise SendFailure(
            f"cannot reach {server.host}:{server.port} ({exc})", permanent=False
        ) from None
    refused = {addr: f"{resp.code} {resp.message}" for addr, resp in errors.items()}
    real = [a for a in envelope(outgoing) if a != receipt_to]
    if real and all(a in refused for a in real):
        raise SendFailure(
            f"{server.host} refused the recipients: "
            + ", ".join(f"{a} ({refused[a]})" for a in real),
            permanent=all(refused[a].startswith("5") for a in real),
        )
    return refused
