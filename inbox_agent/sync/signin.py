"""Signing in with OAuth 2.0, two ways, both for installed apps (RFC 8252): the browser flow, where
a one-shot HTTP server on 127.0.0.1 and a random port receives the redirect (authorization code
with PKCE S256 and a state check), and the device flow (RFC 8628), where the user types a short
code on any other device. Each ends in a `TokenSet` for the caller to store; `oauth.py` owns the
token endpoint and the renewal.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import secrets as stdlib_secrets
import time
import urllib.parse
import webbrowser
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

from inbox_agent.config import OAuthConfig
from inbox_agent.errors import UserError
from inbox_agent.sync.oauth import TokenError, TokenSet, post, token_set

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"

Say = Callable[[str], None]


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
    return token_set(answer, client_secret, "")


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
        start = post(oauth.server.device_url, form, client_secret)
    except TokenError as exc:
        raise exc.as_user_error(oauth, "") from None
    uri = start.get("verification_uri") or start.get("verification_url") or ""
    say(f"On any device with a browser, open {uri} and enter the code {start['user_code']}")
    interval = float(start.get("interval", 5))
    deadline = time.monotonic() + min(timeout, float(start.get("expires_in", timeout)))
    while time.monotonic() < deadline:
        sleep(interval)
        try:
            answer = post(
                oauth.server.token_url,
                {
                    "grant_type": DEVICE_GRANT,
                    "device_code": str(start["device_code"]),
                    "client_id": oauth.client_id,
                },
                client_secret,
            )
        except TokenError as exc:
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
        return token_set(answer, client_secret, "")
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


def _exchange(oauth: OAuthConfig, client_secret: str, form: dict[str, str]) -> dict[str, Any]:
    try:
        return post(oauth.server.token_url, form, client_secret)
    except TokenError as exc:
        raise exc.as_user_error(oauth, "") from None
