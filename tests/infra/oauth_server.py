"""A fake OAuth 2.0 authorization server on 127.0.0.1, and an SMTP submission server that takes
SASL XOAUTH2, for the sign-in tests.

Owns: `FakeOAuth`, which serves the authorization endpoint (approves at once, as a user who
clicked "Allow", and redirects to the client's loopback address), the token endpoint
(authorization_code with PKCE S256, refresh_token, device_code), the device authorization
endpoint with a page to approve a user code, and an RFC 7662-style introspection endpoint that
Dovecot's oauth2 passdb POSTs bearer tokens to. Revoking a user's access makes the tokens they
hold now fail (`invalid_grant` on refresh, inactive on introspection); a new sign-in gets new,
working ones. Every request is recorded (`requests`).

And `start_xoauth2_submission_server`: the LMTP relay of `smtp_relay.py` plus an AUTH XOAUTH2
mechanism that checks the bearer token against the same introspection endpoint, as Dovecot does
for IMAP.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult

from tests.infra.dovecot import DovecotServer, free_port
from tests.infra.smtp_relay import LmtpRelayHandler, LmtpTarget, SubmissionServer

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    challenge: str
    scope: str
    user: str


@dataclass
class _Device:
    client_id: str
    scope: str
    user_code: str
    user: str = ""
    denied: bool = False
    polls: int = 0


@dataclass
class FakeOAuth:
    """Start with `FakeOAuth().start()`; `.stop()` when done."""

    expires_in: int = 3600
    device_interval: float = 0.05
    rotate_refresh_tokens: bool = False
    clients: dict[str, str] = field(default_factory=dict)  # client_id -> secret ("" = public)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    deny_next: bool = False
    _codes: dict[str, _Grant] = field(default_factory=dict)
    _access: dict[str, str] = field(default_factory=dict)  # token -> user
    _refresh: dict[str, tuple[str, str]] = field(default_factory=dict)  # token -> (user, client)
    _devices: dict[str, _Device] = field(default_factory=dict)
    _revoked: set[str] = field(default_factory=set)  # tokens
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> FakeOAuth:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)

    # -- addresses ---------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def authorize_url(self) -> str:
        return f"{self.base_url}/authorize"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/token"

    @property
    def device_url(self) -> str:
        return f"{self.base_url}/devicecode"

    @property
    def introspection_url(self) -> str:
        return f"{self.base_url}/introspect"

    # -- what a test does --------------------------------------------------------------------
    def register(self, client_id: str, secret: str = "") -> None:
        self.clients[client_id] = secret

    def approve_device(self, user_code: str, user: str, deny: bool = False) -> int:
        """What the person does on their phone: open the page and type the code."""
        query = urllib.parse.urlencode(
            {"user_code": user_code, "user": user, **({"deny": "1"} if deny else {})}
        )
        with urllib.request.urlopen(f"{self.base_url}/device?{query}", timeout=10) as answer:
            return int(answer.status)

    def approve_pending(self, user: str, timeout: float = 10) -> str:
        """Approve the first device code that shows up (its user code is returned): for tests
        whose process prints the code where the test cannot read it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                waiting = [d for d in self._devices.values() if not d.user and not d.denied]
                if waiting and waiting[0].polls:
                    waiting[0].user = user
                    return waiting[0].user_code
            time.sleep(0.01)
        raise TimeoutError("no device code was asked for")

    def revoke(self, user: str) -> None:
        """The user removed the app's access (or changed the password): their tokens die."""
        with self._lock:
            self._revoked |= {t for t, u in self._access.items() if u == user}
            self._revoked |= {t for t, (u, _c) in self._refresh.items() if u == user}

    def introspect(self, token: str) -> str | None:
        """The user a live access token belongs to, or None."""
        with self._lock:
            user = self._access.get(token)
            return user if user is not None and token not in self._revoked else None

    def grants(self, kind: str) -> list[dict[str, str]]:
        return [
            form
            for path, form in self.requests
            if path == "/token" and form.get("grant_type") == kind
        ]

    # -- the endpoints -----------------------------------------------------------------------
    def _issue(self, user: str, client_id: str, refresh: str = "") -> dict[str, Any]:
        access = "at-" + secrets.token_urlsafe(16)
        self._access[access] = user
        answer: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
        }
        if not refresh or self.rotate_refresh_tokens:
            refresh = "rt-" + secrets.token_urlsafe(16)
            self._refresh[refresh] = (user, client_id)
            answer["refresh_token"] = refresh
        return answer

    def _client_ok(self, form: Mapping[str, str]) -> bool:
        client = form.get("client_id", "")
        return client in self.clients and self.clients[client] in ("", form.get("client_secret"))

    def _token(self, form: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        grant = form.get("grant_type")
        if not self._client_ok(form):
            return 401, {"error": "invalid_client", "error_description": "unknown client"}
        if grant == "authorization_code":
            code = self._codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "")
            expected = (
                base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                .decode()
                .rstrip("=")
            )
            if (
                code is None
                or code.client_id != form.get("client_id")
                or code.redirect_uri != form.get("redirect_uri")
                or code.challenge != expected
            ):
                return 400, {"error": "invalid_grant", "error_description": "bad code or verifier"}
            return 200, self._issue(code.user, code.client_id)
        if grant == "refresh_token":
            token = form.get("refresh_token", "")
            held = self._refresh.get(token)
            if held is None or token in self._revoked or held[1] != form.get("client_id"):
                return 400, {
                    "error": "invalid_grant",
                    "error_description": "Token has been expired or revoked.",
                }
            return 200, self._issue(held[0], held[1], form["refresh_token"])
        if grant == DEVICE_GRANT:
            device = self._devices.get(form.get("device_code", ""))
            if device is None:
                return 400, {"error": "expired_token"}
            device.polls += 1
            if device.denied:
                return 400, {"error": "access_denied"}
            if not device.user:
                return 400, {"error": "authorization_pending"}
            del self._devices[form["device_code"]]
            return 200, self._issue(device.user, device.client_id)
        return 400, {"error": "unsupported_grant_type"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self, status: int, body: Any, location: str = "") -> None:
                data = json.dumps(body).encode() if not isinstance(body, bytes) else body
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                with server._lock:
                    server.requests.append((url.path, query))
                    if url.path == "/authorize":
                        self._authorize(query)
                    elif url.path == "/device":
                        device = next(
                            (
                                d
                                for d in server._devices.values()
                                if d.user_code == query.get("user_code")
                            ),
                            None,
                        )
                        if device is None:
                            self._reply(404, {"error": "no such code"})
                            return
                        device.denied = query.get("deny") == "1"
                        device.user = "" if device.denied else query.get("user", "")
                        self._reply(200, {"ok": True})
                    else:
                        self._reply(404, {"error": "not found"})

            def _authorize(self, query: dict[str, str]) -> None:
                redirect = query.get("redirect_uri", "")
                host = urllib.parse.urlsplit(redirect).hostname
                if query.get("client_id") not in server.clients or host not in (
                    "127.0.0.1",
                    "localhost",
                ):
                    self._reply(400, {"error": "invalid_request"})
                    return
                if server.deny_next:
                    server.deny_next = False
                    target = {"error": "access_denied", "state": query.get("state", "")}
                else:
                    code = "code-" + secrets.token_urlsafe(12)
                    server._codes[code] = _Grant(
                        query["client_id"],
                        redirect,
                        query.get("code_challenge", ""),
                        query.get("scope", ""),
                        query.get("login_hint", ""),
                    )
                    target = {"code": code, "state": query.get("state", "")}
                self._reply(302, b"", f"{redirect}?{urllib.parse.urlencode(target)}")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                path = urllib.parse.urlsplit(self.path).path
                with server._lock:
                    server.requests.append((path, form))
                    if path == "/token":
                        self._reply(*server._token(form))
                    elif path == "/devicecode":
                        if not server._client_ok(form):
                            self._reply(401, {"error": "invalid_client"})
                            return
                        device_code = "dc-" + secrets.token_urlsafe(12)
                        user_code = secrets.token_hex(4).upper()
                        server._devices[device_code] = _Device(
                            form["client_id"], form.get("scope", ""), user_code
                        )
                        self._reply(
                            200,
                            {
                                "device_code": device_code,
                                "user_code": user_code,
                                "verification_uri": f"{server.base_url}/device",
                                "expires_in": 600,
                                "interval": server.device_interval,
                            },
                        )
                    elif path == "/introspect":
                        token = form.get("token", "")
                        user = server._access.get(token)
                        live = user is not None and token not in server._revoked
                        self._reply(
                            200, {"active": True, "username": user} if live else {"active": False}
                        )
                    else:
                        self._reply(404, {"error": "not found"})

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


class XOAuth2RelayHandler(LmtpRelayHandler):
    """The LMTP relay, plus AUTH XOAUTH2 checked against an OAuth server's live tokens."""

    def __init__(
        self,
        lmtp_target: LmtpTarget,
        local_domains: Iterable[str],
        users: Mapping[str, str],
        oauth: FakeOAuth,
    ) -> None:
        super().__init__(lmtp_target, local_domains, users)
        self.oauth = oauth
        self.xoauth2_logins: list[str] = []

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        if len(args) < 2:
            return AuthResult(success=False, handled=False)
        try:
            fields = dict(
                part.split("=", 1)
                for part in base64.b64decode(args[1]).decode().split("\x01")
                if "=" in part
            )
        except ValueError:
            return AuthResult(success=False, handled=False)
        token = fields.get("auth", "").removeprefix("Bearer ")
        owner = self.oauth.introspect(token)
        login = fields.get("user", "").split("@", 1)[0].lower()
        if owner is None or owner.split("@", 1)[0].lower() != login:
            return AuthResult(success=False, handled=False)
        self.xoauth2_logins.append(login)
        return AuthResult(success=True)


def start_xoauth2_submission_server(
    lmtp_target: LmtpTarget,
    users: Mapping[str, str],
    oauth: FakeOAuth,
    local_domains: Iterable[str] = ("example.test",),
) -> SubmissionServer:
    port = free_port()
    handler = XOAuth2RelayHandler(lmtp_target, local_domains, users, oauth)
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        ready_timeout=5.0,
        authenticator=handler.authenticate,
        auth_required=True,
        auth_require_tls=False,
    )
    controller.start()
    return SubmissionServer(controller, handler, port)


GOOGLE_CLIENT = ("1234-test.apps.googleusercontent.com", "GOCSPX-test-client-secret")
MICROSOFT_CLIENT = "00000000-test-4000-8000-000000000000"


@dataclass
class OAuthWorld:
    """A FakeOAuth, a second Dovecot that checks bearer tokens with it, and XOAUTH2 SMTP."""

    server: FakeOAuth
    dovecot: DovecotServer
    smtp: SubmissionServer

    def add_user(self, name: str) -> tuple[str, str]:
        """A mailbox on the OAuth Dovecot: (login, address). Its password is never used."""
        login = f"{name}{secrets.token_hex(3)}"
        self.dovecot.add_user(login, secrets.token_urlsafe(12))
        return login, f"{login}@example.test"


@contextmanager
def oauth_world() -> Iterator[OAuthWorld]:
    """Everything an OAuth test needs; fails at the end if Dovecot logged an error."""
    server = FakeOAuth().start()
    server.register(*GOOGLE_CLIENT)
    server.register(MICROSOFT_CLIENT)
    dovecot = DovecotServer(oauth2_introspection_url=server.introspection_url)
    smtp: SubmissionServer | None = None
    try:
        dovecot.start()
        smtp = start_xoauth2_submission_server(dovecot.lmtp_socket, dovecot.users, server)
        yield OAuthWorld(server, dovecot, smtp)
    finally:
        if smtp is not None:
            smtp.stop()
        dovecot.stop()
        errors = dovecot.errors_in_log()
        dovecot.cleanup()
        server.stop()
    assert not errors, "Dovecot logged errors:\n" + "\n".join(errors)


def click(url: str) -> list[int]:
    """What the person does in the browser: open the sign-in page, allow, land on the redirect.
    Runs in the background (the app is waiting for the redirect meanwhile); the list gets the
    final HTTP status."""
    statuses: list[int] = []

    def visit() -> None:
        try:
            with urllib.request.urlopen(url, timeout=10) as answer:
                statuses.append(int(answer.status))
        except urllib.error.HTTPError as exc:
            statuses.append(exc.code)

    threading.Thread(target=visit, daemon=True).start()
    return statuses
