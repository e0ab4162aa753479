"""SMTP submission with aiosmtplib, and what an SMTP failure means for the send.

Only `submit()` talks SMTP. The pre-send re-sync and the outbox states live in `engine.py`, which
calls this between committing `sending` and committing `sent`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from email.message import EmailMessage

import aiosmtplib

from inbox_agent.compose import for_submission
from inbox_agent.config import Account


@dataclass(frozen=True)
class SendFailure(Exception):
    """Raised when submission failed. `permanent` (5xx) goes back to the user; else retry later."""

    message: str
    permanent: bool

    def __str__(self) -> str:
        return self.message


def submit(account: Account, password: str, msg: EmailMessage, timeout: float = 60.0) -> None:
    """Submit `msg` (without our marker header) to the account's SMTP server."""
    server = account.smtp
    outgoing = for_submission(msg)
    try:
        asyncio.run(
            aiosmtplib.send(
                outgoing,
                hostname=server.host,
                port=server.port,
                username=server.username,
                password=password,
                use_tls=server.security == "tls",
                start_tls=server.security == "starttls",
                timeout=timeout,
            )
        )
    except aiosmtplib.SMTPAuthenticationError as exc:
        raise SendFailure(
            f"{server.host} rejected the SMTP login ({exc.code}): run "
            f"`inbox-agent secret set {account.name} smtp`",
            permanent=True,
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
