"""The errors inbox-agent raises on purpose. Each one carries a fix a person can follow.

UserError                 something the user can fix; printed as one line plus the fix
├── ConfigError           a config file is missing, unreadable or has a bad value
├── SecretError           no keyring, or no secret stored for an account
├── MailServerError       an IMAP/SMTP server refused us or could not be reached
└── NotFound              a draft, queue entry or thread id that does not exist
SafetyStop                a send was refused to keep an invariant (a reply arrived, ...)
"""

from __future__ import annotations


class UserError(Exception):
    """Raised for a problem the user can fix. `fix` says how, in one sentence."""

    exit_code = 2

    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

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
    """Raised when an IMAP or SMTP server cannot be reached or refuses the login."""

    exit_code = 3


class NotFound(UserError):
    """Raised when an id given on the command line names nothing."""


class SafetyStop(Exception):
    """Raised when a send is refused to keep an invariant (a reply arrived, a recipient is new)."""

    exit_code = 4
