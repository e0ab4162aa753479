"""OAuth 2.0 sign-in for IMAP and SMTP (SASL XOAUTH2), with the user's own client ID.

Two ways to sign in, both for installed apps (RFC 8252): the browser flow, where a one-shot HTTP
server on 127.0.0.1 and a random port receives the redirect (authorization code with PKCE S256
and a state check), and the device flow (RFC 8628), where the user types a short code on any
other device. The resulting token set (refresh token, access token, its expiry, and Google's
client secret) is stored as JSON in the keyring entry `<account>:imap`, where a password account
keeps its password, and never anywhere else.

`bearer()` is what a login calls: it returns an access token that is good for at least five more
minutes, renewing it first when needed and saving the renewed set. A refresh token that was
revoked or expired (`invalid_grant`) is TokenRevoked, which says to sign in again; the daemon
tells it once and waits for the new sign-in. Any other refusal by the token endpoint is
LoginRefused (or a UserError about the client ID); a network failure or a server that says it is
busy (5xx, 429, `temporarily_unavailable`) is Unreachable.

All HTTP is urllib from the standard library: form-encoded POSTs, JSON answers.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import secrets as stdlib_secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
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
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()

Say = Callable[[str], None]


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
        answer = _post(oauth.server.token_url, form, tokens.client_secret)
    except _TokenError as exc:
        if exc.error == "invalid_grant":
            raise TokenRevoked(
                f"{oauth.server.name} refused to renew the sign-in token for {account.email}: "
                f"it was revoked or has expired ({exc.described})",
                _sign_in_again(account),
            ) from None
        raise exc.as_user_error(oauth, account.name) from None
    # Microsoft may hand out a new refresh token; Google keeps the old one valid and sends none
    return _token_set(answer, tokens.client_secret, tokens.refresh_token)


# -- signing in ------------------------------------------------------------------------------------


def sign_in_browser(
    oauth: OAuthConfig,
    email: str,
    client_secret: str,
    say: Say,
    open_browser: Callable[[str], object] | None = None,
    timeout: float = 300.0,
) -> TokenSet:
    """The authorization-code flow with PKCE and a loopback redirect. `open_browser` defaults to
    the `webbrowser` module (which honours $BROWSER)."""
    if not oauth.server.authorize_url:
        raise UserError(
            f"{oauth.server.name} has no browser sign-in configured",
            "use the device flow: `inbox-agent init --oauth --device`",
        )
    verifier = stdlib_secrets.token_urlsafe(64)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    state = stdlib_secrets.token_urlsafe(24)
    catcher = _RedirectCatcher(state)
    server = HTTPServer(("127.0.0.1", 0), catcher.handler())
    server.timeout = 0.5
    try:
        # no path: Entra matches a registered `http://localhost` on any port, path included
        redirect_uri = f"http://{oauth.server.redirect_host}:{server.server_address[1]}"
        params = {
            "response_type": "code",
            "client_id": oauth.client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(oauth.server.scopes),
            "state": state,
            "code_challenge": challenge.decode().rstrip("="),
            "code_challenge_method": "S256",
            "login_hint": email,
            **oauth.server.extra_params,
        }
        url = f"{oauth.server.authorize_url}?{urllib.parse.urlencode(params)}"
        say(f"Sign in with {oauth.server.name} in your browser. If no browser opened, open:\n{url}")
        with contextlib.suppress(Exception):  # no browser here: the URL above still works
            (open_browser or webbrowser.open)(url)
        deadline = time.monotonic() + timeout
        while catcher.result is None and time.monotonic() < deadline:
            server.handle_request()
    finally:
        server.server_close()
    if catcher.result is None:
        raise UserError(
            f"no answer came back from the browser within {int(timeout)} s",
            "run it again; on a computer without a browser add --device",
        )
    kind, value = catcher.result
    if kind == "error":
        raise UserError(
            f"{oauth.server.name} did not grant access ({value})",
            "run it again and allow access; an organisation may need its admin's consent first",
        )
    answer = _exchange(
        oauth,
        client_secret,
        {
            "grant_type": "authorization_code",
            "code": value,
            "redirect_uri": redirect_uri,
            "client_id": oauth.client_id,
            "code_verifier": verifier,
        },
    )
    return _token_set(answer, client_secret, "")


def sign_in_device(
    oauth: OAuthConfig,
    client_secret: str,
    say: Say,
    sleep: Callable[[float], None] = time.sleep,
    timeout: float = 900.0,
) -> TokenSet:
    """The device authorization grant: a code to type on any device with a browser."""
    if not oauth.server.device_url:
        raise UserError(
            f"{oauth.server.name} does not offer the device sign-in for mail",
            "sign in with the browser flow (leave out --device), on any computer with a browser",
        )
    form = {"client_id": oauth.client_id, "scope": " ".join(oauth.server.scopes)}
    try:
        start = _post(oauth.server.device_url, form, client_secret)
    except _TokenError as exc:
        raise exc.as_user_error(oauth, "") from None
    uri = start.get("verification_uri") or start.get("verification_url") or ""
    say(f"On any device with a browser, open {uri} and enter the code {start['user_code']}")
    interval = float(start.get("interval", 5))
    deadline = time.monotonic() + min(timeout, float(start.get("expires_in", timeout)))
    while time.monotonic() < deadline:
        sleep(interval)
        try:
            answer = _post(
                oauth.server.token_url,
                {
                    "grant_type": DEVICE_GRANT,
                    "device_code": str(start["device_code"]),
                    "client_id": oauth.client_id,
                },
                client_secret,
            )
        except _TokenError as exc:
            if exc.error == "authorization_pending":
                continue
            if exc.error == "slow_down":  # RFC 8628 §3.5: five seconds more from now on
                interval += 5
                continue
            if exc.error in ("access_denied", "authorization_declined"):
                raise UserError(
                    f"the sign-in was declined at {uri}", "run it again and allow access"
                ) from None
            if exc.error in ("expired_token", "code_expired"):
                break
            raise exc.as_user_error(oauth, "") from None
        return _token_set(answer, client_secret, "")
    raise UserError(
        "the device code expired before the sign-in was finished",
        "run it again and enter the code within the time shown",
    )


class _RedirectCatcher:
    """Receives the browser's redirect; answers anything without our state with 400."""

    def __init__(self, state: str) -> None:
        self.state = state
        self.result: tuple[str, str] | None = None

    def handler(self) -> type[BaseHTTPRequestHandler]:
        catcher = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                state = query.get("state", [""])[0]
                if not state or not stdlib_secrets.compare_digest(state, catcher.state):
                    self._answer(
                        400, "This sign-in link is not the one inbox-agent is waiting for."
                    )
                    return
                if "code" in query:
                    catcher.result = ("code", query["code"][0])
                    self._answer(
                        200, "Signed in. You can close this tab and go back to the terminal."
                    )
                else:
                    error = query.get("error", ["unknown error"])[0]
                    detail = query.get("error_description", [""])[0]
                    catcher.result = ("error", f"{error}: {detail}" if detail else error)
                    self._answer(200, "Access was not granted. Go back to the terminal.")

            def _answer(self, status: int, text: str) -> None:
                body = f"<!doctype html><title>inbox-agent</title><p>{text}</p>".encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the query holds the authorization code: keep it out of every log

        return Handler


# -- the token endpoint ----------------------------------------------------------------------------


# what the token endpoint answers when it is down or busy, not when it refuses (RFC 6749 §5.2)
_PASSING = frozenset({"network", "invalid_response", "server_error", "temporarily_unavailable"})


class _TokenError(Exception):
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


def _exchange(oauth: OAuthConfig, client_secret: str, form: dict[str, str]) -> dict[str, Any]:
    try:
        return _post(oauth.server.token_url, form, client_secret)
    except _TokenError as exc:
        raise exc.as_user_error(oauth, "") from None


def _post(url: str, form: dict[str, str], client_secret: str) -> dict[str, Any]:
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
        raise _TokenError(
            str(body.get("error", f"HTTP {exc.code}")),
            str(body.get("error_description", "")).splitlines()[0]
            if body.get("error_description")
            else "",
            url,
            exc.code,
        ) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise _TokenError("network", str(getattr(exc, "reason", exc)), url) from None
    if not isinstance(answer, dict):
        raise _TokenError("invalid_response", "the answer is not a JSON object", url)
    if "error" in answer:  # some servers say 200 with an error body
        raise _TokenError(str(answer["error"]), str(answer.get("error_description", "")), url)
    return answer


def _token_set(answer: dict[str, Any], client_secret: str, old_refresh: str) -> TokenSet:
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
