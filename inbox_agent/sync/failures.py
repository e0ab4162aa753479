"""What the IMAP edge raises, as the error tree of `inbox_agent.errors`.

imapclient's errors are imaplib's: `IMAPClientError` is `imaplib.IMAP4.error` (a NO or BAD
answer), `IMAPClientAbortError` is `IMAP4.abort` (the connection broke mid-command, EOF, a line
the parser could not read), `IMAPClientReadOnlyError` is `IMAP4.readonly`; `LoginError` and
`CapabilityError` derive from the first. Under them everything is OSError: `ssl.SSLError` and
certificate failures, `socket.timeout` (TimeoutError), `socket.gaierror`, a refused or reset
connection.

Where the meaning is known (connecting, logging in) this module turns them into LoginRefused or
Unreachable (finding the folders raises FolderMissing itself, in `imap.py`); `EDGE_ERRORS` names what may still arrive
untranslated from the middle of a session, and `ACTION_ERRORS` what one planned action may fail
with while costing only itself.
"""

from __future__ import annotations

import imaplib

from inbox_agent.config import Account
from inbox_agent.config.providers import login_refused
from inbox_agent.errors import LoginRefused, MailServerError, Unreachable

EDGE_ERRORS: tuple[type[Exception], ...] = (OSError, imaplib.IMAP4.error)
"""What an IMAP command can raise untranslated: a refusal, a broken connection, a timeout."""

ACTION_ERRORS: tuple[type[Exception], ...] = (MailServerError, *EDGE_ERRORS)
"""What one action may fail with and cost only itself: the tree, plus the untranslated edge."""

_CHAIN = 8  # causes followed at most: a chain is short, and a loop in it must not hang us


def dropped(exc: BaseException) -> bool:
    """True when the connection failed rather than the server answering NO. imapclient turns
    every error during LOGIN or AUTHENTICATE into a LoginError, a broken connection too; the
    original stays in `__context__`."""
    seen: BaseException | None = exc
    for _ in range(_CHAIN):
        if seen is None:
            return False
        if isinstance(seen, imaplib.IMAP4.abort | OSError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def refused(exc: BaseException) -> bool:
    """True when the server answered NO or BAD: the command did nothing (RFC 3501 §7.1), unlike
    a connection that broke in the middle, after which anything may have happened."""
    return isinstance(exc, imaplib.IMAP4.error) and not isinstance(exc, imaplib.IMAP4.abort)


def unreachable(account: Account, exc: BaseException) -> Unreachable:
    """The IMAP server could not be reached, or the connection broke while we set it up."""
    server = account.imap
    return Unreachable(
        f"cannot reach the IMAP server {server.host}:{server.port} ({exc})",
        f"check your network, and [imap] host, port and security in {account.path}",
    )


def login_failure(account: Account, exc: BaseException) -> MailServerError:
    """A failed LOGIN or AUTHENTICATE: refused credentials, or a connection that broke."""
    if dropped(exc):
        return unreachable(account, exc)
    return LoginRefused(*login_words(account, "imap"))


def login_words(account: Account, protocol: str) -> tuple[str, str]:
    """(message, fix) for a login the `protocol` ("imap" or "smtp") server refused, in the
    provider's words; the SMTP edge (`sender/smtp.py`) says it the same way."""
    server = account.imap if protocol == "imap" else account.smtp
    return login_refused(
        account.preset,
        protocol=protocol,
        host=server.host,
        user=server.username,
        account=account.name,
        path=str(account.path),
        oauth=account.auth == "oauth2",
    )


__all__ = [
    "ACTION_ERRORS",
    "EDGE_ERRORS",
    "dropped",
    "login_failure",
    "login_words",
    "refused",
    "unreachable",
]
