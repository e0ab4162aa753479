"""The errors inbox-agent raises on purpose. Each one carries a fix a person can follow.

UserError                  something the user can fix; printed as one line plus the fix (exit 2)
├── ConfigError            a config file is missing, unreadable or has a bad value
├── SecretError            no keyring, or no secret stored for an account
├── MailServerError        an IMAP or SMTP server refused us or could not be reached (exit 3)
│   ├── LoginRefused       the server refused the password or the OAuth sign-in
│   │   └── TokenRevoked   the OAuth refresh token was revoked or has expired
│   ├── Unreachable        network, DNS, TLS, a timeout, a dropped connection: it passes
│   ├── FolderMissing      the Sent or Drafts folder cannot be found or opened (exit 2)
│   └── SendFailure        an SMTP submission failed and nothing was sent: tried again later
│       └── SendRefused    the SMTP server refused it for good (5xx, a refused sign-in)
└── NotFound               a draft, queue entry or thread id that does not exist
SafetyStop                 a send was refused to keep an invariant (a reply arrived, ...) (exit 4)
IllegalTransition          a bug: a state change its machine's table does not allow (store/states.py)

The class says what happens next, so nobody reads the words: the daemon tells LoginRefused,
FolderMissing and SecretError at once and holds refused logins until what they depend on
changes, and tells Unreachable only once it lasts (`desktop/notify.py`); the outbox retries a
SendFailure and hands a SendRefused back to the user's queue. The IMAP and SMTP edges
(`sync/failures.py`, `sender/smtp.py`) translate what imapclient, imaplib, ssl, socket and
aiosmtplib raise into these classes; `sync.failures.EDGE_ERRORS` names what can still arrive
untranslated from the middle of an IMAP session.
"""

from __future__ import annotations


class UserError(Exception):
    """Raised for a problem the user can fix. `fix` says how, in one sentence; a class whose
    problem always has the same remedy names it in `default_fix`."""

    exit_code = 2
    default_fix = ""

    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix or self.default_fix

    def __str__(self) -> str:
        return f"{self.message}\n  fix: {self.fix}" if self.fix else self.message


class ConfigError(UserError):
    """Raised when a config file is missing, is not valid TOML, or holds a bad value."""

    def __init__(self, path: object, key: str, problem: str, fix: str) -> None:
        where = f"{path}: {key}" if key else f"{path}"
        super().__init__(f"{where}: {problem}", fix)
        self.path = path
        self.key = key


class SecretError(UserError):
    """Raised when the keyring is unusable or holds no secret for what is needed."""


class MailServerError(UserError):
    """An IMAP or SMTP server refused us or could not be reached. Raised as one of the classes
    below; a bare MailServerError is treated as passing trouble."""

    exit_code = 3
    default_fix = "check the network and the [imap] and [smtp] settings of the account"


class LoginRefused(MailServerError):
    """Raised when an IMAP or OAuth server refuses the credentials: a wrong password, an app
    password that was withdrawn, a sign-in the provider no longer accepts. Only the user can
    fix it, and trying again with the same secret can get the account locked."""

    default_fix = "store the right password with `inbox-agent secret set ACCOUNT imap`"


class TokenRevoked(LoginRefused):
    """Raised when the OAuth server will not renew the sign-in (`invalid_grant`): the refresh
    token was revoked, expired, or the password behind it changed."""

    default_fix = "sign in again with `inbox-agent init --oauth --account ACCOUNT`"


class Unreachable(MailServerError):
    """Raised when a mail or sign-in server cannot be reached or the connection broke: DNS,
    a refused or reset connection, TLS, a timeout. It usually passes by itself."""

    default_fix = "check the network; inbox-agent tries again by itself"


class FolderMissing(MailServerError):
    """Raised when the account's Sent or Drafts folder cannot be found or opened: the account
    file names a folder the server does not have, or the server has none by a known name. The
    user fixes it by naming the folder in the account file."""

    exit_code = 2
    default_fix = (
        'name the folder in the account file: [imap] sent_folder = "..." or drafts_folder = "..."'
    )


class SendFailure(MailServerError):
    """Raised when an SMTP submission failed and nothing was sent: the server could not be
    reached, answered 4xx, or the sign-in could not be renewed. The outbox tries again later."""

    permanent = False
    default_fix = "nothing was sent; the send is tried again by itself"


class SendRefused(SendFailure):
    """Raised when the SMTP server refused the submission for good: 5xx for every recipient or
    for the message, or a refused sign-in. The draft goes back to the user's queue."""

    permanent = True
    default_fix = "nothing was sent; the draft is back in your queue (see `inbox-agent queue`)"


class NotFound(UserError):
    """Raised when an id given on the command line names nothing."""


class SafetyStop(Exception):
    """Raised when a send is refused to keep an invariant (a reply arrived, a recipient is new)."""

    exit_code = 4


class IllegalTransition(Exception):
    """Raised when the program tries to write a state change that the machine's transition
    table (`store.states`) does not allow. Nothing is written; it is a bug to report."""
