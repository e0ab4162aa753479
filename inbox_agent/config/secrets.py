"""Passwords and API keys, in the OS keyring and nowhere else (service name `inbox-agent`).

Entries are named `<account>:imap`, `<account>:smtp` and `llm`. SMTP falls back to the IMAP
password, which is what nearly every provider wants. An OAuth account keeps its token set (JSON,
see `oauth.py`) in `<account>:imap` instead of a password.
"""

from __future__ import annotations

import keyring
import keyring.errors

from inbox_agent.errors import SecretError

SERVICE = "inbox-agent"
KINDS = ("imap", "smtp", "llm")


def _entry(account: str, kind: str) -> str:
    return "llm" if kind == "llm" else f"{account}:{kind}"


def _no_keyring(exc: Exception) -> SecretError:
    return SecretError(
        f"no usable keyring ({exc.__class__.__name__}: {exc})",
        "run inside a desktop session with a keyring (GNOME Keyring, KWallet, macOS Keychain), or "
        "`pip install keyrings.alt pycryptodome` and set "
        "PYTHON_KEYRING_BACKEND=keyrings.alt.file.EncryptedKeyring (it asks for its own password)",
    )


def set_secret(account: str, kind: str, value: str) -> None:
    try:
        keyring.set_password(SERVICE, _entry(account, kind), value)
    except keyring.errors.KeyringError as exc:
        raise _no_keyring(exc) from None


def get_secret(account: str, kind: str) -> str | None:
    try:
        value = keyring.get_password(SERVICE, _entry(account, kind))
    except keyring.errors.KeyringError as exc:
        raise _no_keyring(exc) from None
    if value is None and kind == "smtp":
        return get_secret(account, "imap")
    return value


def require_secret(account: str, kind: str) -> str:
    value = get_secret(account, kind)
    if not value:
        raise SecretError(
            f"no {kind} password is stored for account {account!r}",
            f"run `inbox-agent secret set {account} {kind}` and type it",
        )
    return value
