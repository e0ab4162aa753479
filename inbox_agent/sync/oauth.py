"""OAuth 2.0 for IMAP and SMTP (SASL XOAUTH2), with the user's own client ID: the stored token
set, its renewal, and the token endpoint. Signing in (the browser and device flows) is
`signin.py`.

The token set (refresh token, access token, its expiry, and Google's client secret) is stored as
JSON in the keyring entry `<account>:imap`, where a password account keeps its password, and
never anywhere else.

`bearer()` is what a login calls: it returns an access token that is good for at least five more
minutes, renewing it first when needed and saving the renewed set. A refresh token that was
revoked or expired (`invalid_grant`) is TokenRevoked, which says to sign in again; the daemon
tells it once and waits for the new sign-in. Any other refusal by the token endpoint is
LoginRefused (or a UserError about the client ID); a network failure or a server that says it is
busy (5xx, 429, `temporarily_unavailable`) is Unreachable.

All HTTP is urllib from the standard library: form-encoded POSTs, JSON answers.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from inbox_agent import clock
from inbox_agent.config import Account, OAuthConfig, secrets
from inbox_agent.errors import (
    ConfigError,
    LoginRefused,
    SecretError,
    TokenRevoked,
    Unreachable,
    UserError,
)

REFRESH_MARGIN = timedelta(minutes=5)
HTTP_TIMEOUT = 30.0
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


@dataclass(frozen=True)
class TokenSet:
    """What the keyring keeps for an OAuth account."""

    access_token: str
    refresh_token: str
    expires_at: datetime
    client_secret: str = ""

    def to_secret(self) -> str:
        return json.dumps(
            {
                "kind": "oauth2",
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
                "expires_at": self.expires_at.isoformat(),
                "client_secret": self.client_secret,
            }
        )

    @classmethod
    def from_secret(cls, text: str) -> TokenSet:
        """Raises ValueError when `text` is not a token set (a password, say)."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            raise ValueError("not a token set") from None
        if not isinstance(data, dict) or data.get("kind") != "oauth2":
            raise ValueError("not a token set")
        return cls(
            str(data["access_token"]),
            str(data["refresh_token"]),
            datetime.fromisoformat(str(data["expires_at"])),
            str(data.get("client_secret", "")),
        )

    def fresh(self, now: datetime) -> bool:
        return self.expires_at - now > REFRESH_MARGIN


def xoauth2(user: str, access_token: str) -> str:
    """The SASL XOAUTH2 initial response, before base64 (Google's and Microsoft's format)."""
    return f"user={user}\x01auth=Bearer {access_token}\x01\x01"


# -- using a stored sign-in ------------------------------------------------------------------------


def _sign_in_again(account: Account) -> str:
    return f"sign in again: `inbox-agent init --oauth --account {account.name}`"


def _config(account: Account) -> OAuthConfig:
    if account.oauth is None:
        raise ConfigError(account.path, "oauth", "is missing", 'add [oauth] with client_id = "..."')
    return account.oauth


def _lock(name: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(name, threading.Lock())


def load(account: Account, stored: str | None) -> TokenSet:
    if not stored:
        raise SecretError(
            f"no OAuth sign-in is stored for account {account.name!r}",
            f"sign in: `inbox-agent init --oauth --account {account.name}`",
        )
    try:
        return TokenSet.from_secret(stored)
    except (ValueError, KeyError, TypeError):
        raise SecretError(
            f"the keyring holds a password for account {account.name!r}, but "
            f'{account.path} says auth = "oauth2"',
            f"sign in: `inbox-agent init --oauth --account {account.name}`",
        ) from None


def bearer(account: Account, stored: str) -> str:
    """An access token for XOAUTH2 that stays valid for at least REFRESH_MARGIN.

    `stored` is the keyring's `<account>:imap` entry. A renewal is saved back to the keyring;
    the lock keeps the daemon's threads from renewing the same token twice."""
    tokens = load(account, stored)
    if tokens.fresh(clock.now()):
        return tokens.access_token
    with _lock(account.name):
        latest = secrets.get_secret(account.name, "imap")
        if latest and latest != stored:  # another thread renewed it meanwhile
            tokens = load(account, latest)
            if tokens.fresh(clock.now()):
                return tokens.access_token
        renewed = refresh(account, tokens)
        secrets.set_secret(account.name, "imap", renewed.to_secret())
        return renewed.access_token


def refresh(account: Account, tokens: TokenSet) -> TokenSet:
    oauth = _config(account)
    form = {
        "grant_type": "refresh_token",
        "refresh_token": tokens.refresh_token,
        "client_id": oauth.client_id,
        "scope": " ".join(oauth.server.scopes),
    }
    try:
        answer = post(oauth.server.token_url, form, tokens.client_secret)
    except TokenError as exc:
        if exc.error == "invalid_grant":
            raise TokenRevoked(
                f"{oauth.server.name} refused to renew the sign-in token for {account.email}: "
                f"it was revoked or has expired ({exc.described})",
                _sign_in_again(account),
            ) from None
        raise exc.as_user_error(oauth, account.name) from None
    # Microsoft may hand out a new refresh token; Google keeps the old one valid and sends none
    return token_set(answer, tokens.client_secret, tokens.refresh_token)


# -- the token endpoint ----------------------------------------------------------------------------


# what the token endpoint answers when it is down or busy, not when it refuses (RFC 6749 §5.2)
_PASSING = frozenset({"network", "invalid_response", "server_error", "temporarily_unavailable"})


class TokenError(Exception):
    """What the token endpoint answered instead of tokens (RFC 6749 §5.2), or `network`;
    `as_user_error` says it as an error of the documented tree."""

    def __init__(self, error: str, description: str, url: str, status: int = 0) -> None:
        super().__init__(error)
        self.error, self.description, self.url, self.status = error, description, url, status

    @property
    def passing(self) -> bool:
        return self.error in _PASSING or self.status >= 500 or self.status == 429

    @property
    def described(self) -> str:
        return f"{self.error}: {self.description}" if self.description else self.error

    def as_user_error(self, oauth: OAuthConfig, account: str) -> UserError:
        retry = f" --account {account}" if account else ""
        if self.error in ("invalid_client", "unauthorized_client"):
            fixes = {
                "google": "check the client ID and secret of your Desktop app client "
                "(README: OAuth client IDs), then `inbox-agent init --oauth" + retry + "`",
                "microsoft": "check the client ID; in the app registration set Authentication > "
                "Allow public client flows to Yes (README: OAuth client IDs)",
            }
            return UserError(
                f"{oauth.server.name} does not accept client ID {oauth.client_id} ({self.described})",
                fixes.get(
                    oauth.server.key,
                    f"check [oauth] client_id, then `inbox-agent init --oauth{retry}`",
                ),
            )
        if self.error == "network":
            return Unreachable(
                f"cannot reach {self.url} ({self.description})",
                "check the network; the sign-in is tried again at the next poll",
            )
        if self.passing:
            return Unreachable(
                f"{oauth.server.name} could not answer the sign-in just now ({self.described})",
                "the sign-in is tried again at the next poll; if it keeps failing, see "
                "Troubleshooting in the README",
            )
        return LoginRefused(
            f"{oauth.server.name} refused the sign-in ({self.described})",
            f"`inbox-agent init --oauth{retry}`; if it keeps failing, see Troubleshooting in the README",
        )


def post(url: str, form: dict[str, str], client_secret: str) -> dict[str, Any]:
    """POST a form to the token endpoint and return its JSON answer, or raise TokenError."""
    if client_secret:
        form = {**form, "client_secret": client_secret}
    request = urllib.request.Request(
        url,
        data=urllib.parse.urlencode(form).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:
            answer = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            body = json.loads(exc.read() or b"{}")
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        raise TokenError(
            str(body.get("error", f"HTTP {exc.code}")),
            str(body.get("error_description", "")).splitlines()[0]
            if body.get("error_description")
            else "",
            url,
            exc.code,
        ) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise TokenError("network", str(getattr(exc, "reason", exc)), url) from None
    if not isinstance(answer, dict):
        raise TokenError("invalid_response", "the answer is not a JSON object", url)
    if "error" in answer:  # some servers say 200 with an error body
        raise TokenError(str(answer["error"]), str(answer.get("error_description", "")), url)
    return answer


def token_set(answer: dict[str, Any], client_secret: str, old_refresh: str) -> TokenSet:
    """The token set in a token endpoint's answer; `old_refresh` when it sends no new one."""
    access = answer.get("access_token")
    refresh_token = answer.get("refresh_token") or old_refresh
    if not access or not refresh_token:
        raise UserError(
            "the sign-in gave no " + ("access token" if not access else "refresh token"),
            "check that the scopes include offline access (Microsoft: offline_access), then "
            "sign in again",
        )
    lifetime = int(answer.get("expires_in", 3600))
    expires = clock.now().astimezone(UTC) + timedelta(seconds=lifetime)
    return TokenSet(str(access), str(refresh_token), expires, client_secret)
