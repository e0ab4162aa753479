"""OAuth 2.0 sign-in and XOAUTH2 for real: a fake authorization server on loopback, a second
Dovecot whose oauth2 passdb checks every bearer token against that server's introspection
endpoint, and an SMTP submission server that does the same for AUTH XOAUTH2."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from imapclient import IMAPClient

from inbox_agent import clock, config, paths, sender
from inbox_agent.config import secrets
from inbox_agent.desktop import notify
from inbox_agent.errors import LoginRefused, MailServerError, Unreachable, UserError
from inbox_agent.sync import imap, oauth, signin
from tests.infra.oauth_server import (
    GOOGLE_CLIENT,
    MICROSOFT_CLIENT,
    OAuthWorld,
    click,
    oauth_world,
)
from tests.test_story import run


@pytest.fixture(scope="module")
def world() -> Iterator[OAuthWorld]:
    with oauth_world() as started:
        yield started


@pytest.fixture
def frozen_clock() -> Iterator[None]:
    yield
    clock.set_now(None)


def write_account(
    world: OAuthWorld, login: str, email: str, kind: str = "google", name: str = "main"
) -> config.Account:
    """An OAuth account on the test servers, shaped like a Gmail or Microsoft 365 one."""
    fake = world.server
    provider, client, urls = (
        ("gmail", GOOGLE_CLIENT[0], {"authorize_url": fake.authorize_url})
        if kind == "google"
        else (
            "microsoft365",
            MICROSOFT_CLIENT,
            {"authorize_url": fake.authorize_url, "device_url": fake.device_url},
        )
    )
    path = paths.accounts_dir() / f"{name}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        config.render_account(
            email=email,
            display_name="Alice Example",
            imap=config.ServerConfig("127.0.0.1", world.dovecot.imap_port, "none", login),
            smtp=config.ServerConfig("127.0.0.1", world.smtp.port, "none", login),
            provider=provider,
            oauth_client_id=client,
            oauth_overrides={**urls, "token_url": fake.token_url},
        )
    )
    return config.load_account(path, config.load_settings())


def signed_in(world: OAuthWorld, account: config.Account) -> oauth.TokenSet:
    assert account.oauth is not None
    secret = GOOGLE_CLIENT[1] if account.oauth.server.client_secret else ""
    tokens = signin.sign_in_browser(
        account.oauth, account.email, secret, say=lambda _: None, open_browser=click, timeout=20
    )
    secrets.set_secret(account.name, "imap", tokens.to_secret())
    return tokens


def test_browser_sign_in_uses_pkce_a_state_and_a_loopback_redirect(
    world: OAuthWorld, agent_home: Path
) -> None:
    login, email = world.add_user("alice")
    account = write_account(world, login, email)
    said: list[str] = []
    assert account.oauth is not None
    tokens = signin.sign_in_browser(
        account.oauth, email, GOOGLE_CLIENT[1], said.append, open_browser=click, timeout=20
    )
    asked = [q for path, q in world.server.requests if path == "/authorize"][-1]
    assert asked["code_challenge_method"] == "S256" and len(asked["code_challenge"]) == 43
    assert len(asked["state"]) >= 32 and asked["login_hint"] == email
    assert asked["scope"] == "https://mail.google.com/"
    assert (asked["access_type"], asked["prompt"]) == ("offline", "consent")
    redirect = urllib.parse.urlsplit(asked["redirect_uri"])
    assert redirect.hostname == "127.0.0.1" and redirect.port
    exchange = world.server.grants("authorization_code")[-1]
    # the fake server checked SHA-256(code_verifier) against the challenge
    assert exchange["client_secret"] == GOOGLE_CLIENT[1] and len(exchange["code_verifier"]) >= 43
    assert tokens.refresh_token.startswith("rt-") and tokens.client_secret == GOOGLE_CLIENT[1]
    assert exchange["code_verifier"] not in " ".join(said)  # the URL is shown, not the verifier
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", redirect.port), 1):
        pass  # the one-shot listener is gone


def test_a_foreign_redirect_is_ignored_and_a_denial_explained(
    world: OAuthWorld, agent_home: Path
) -> None:
    login, email = world.add_user("alice")
    account = write_account(world, login, email)
    assert account.oauth is not None
    forged: list[int] = []

    def browser(url: str) -> None:  # a stale or forged redirect reaches the listener first
        redirect = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))["redirect_uri"]

        def visits() -> None:
            statuses = click(f"{redirect}?code=stolen&state=guessed")
            deadline = time.monotonic() + 10
            while not statuses and time.monotonic() < deadline:
                time.sleep(0.01)
            forged.extend(statuses)
            click(url)

        threading.Thread(target=visits, daemon=True).start()

    tokens = signin.sign_in_browser(
        account.oauth, email, GOOGLE_CLIENT[1], lambda _: None, open_browser=browser, timeout=20
    )
    assert forged == [400] and tokens.access_token.startswith("at-")
    assert world.server.grants("authorization_code")[-1]["code"] != "stolen"

    world.server.deny_next = True
    with pytest.raises(UserError) as caught:
        signin.sign_in_browser(
            account.oauth, email, GOOGLE_CLIENT[1], lambda _: None, open_browser=click, timeout=20
        )
    assert "did not grant access (access_denied)" in caught.value.message


def test_device_sign_in_polls_until_the_code_is_approved(
    world: OAuthWorld, agent_home: Path
) -> None:
    login, email = world.add_user("alice")
    account = write_account(world, login, email, kind="microsoft")
    assert account.oauth is not None
    said: list[str] = []

    def approve_later() -> None:  # the person finds their phone after a few polls
        deadline = time.monotonic() + 10
        while len(world.server.grants(signin.DEVICE_GRANT)) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        code = said[-1].rsplit(" ", 1)[1]
        world.server.approve_device(code, email)

    threading.Thread(target=approve_later, daemon=True).start()
    tokens = signin.sign_in_device(account.oauth, "", said.append, timeout=20)
    assert f"open {world.server.base_url}/device and enter the code" in said[-1]
    polls = world.server.grants(signin.DEVICE_GRANT)
    assert len(polls) >= 4 and all("client_secret" not in p for p in polls)
    start = [q for path, q in world.server.requests if path == "/devicecode"][-1]
    assert "offline_access" in start["scope"].split()
    assert tokens.refresh_token

    def decline() -> None:
        deadline = time.monotonic() + 10
        while not said[-1].startswith("On any device") or said[-1] == seen:
            if time.monotonic() > deadline:
                return
            time.sleep(0.01)
        world.server.approve_device(said[-1].rsplit(" ", 1)[1], email, deny=True)

    seen = said[-1]
    threading.Thread(target=decline, daemon=True).start()
    with pytest.raises(UserError) as caught:
        signin.sign_in_device(account.oauth, "", said.append, timeout=20)
    assert "declined" in caught.value.message


def test_gmail_has_no_device_sign_in(world: OAuthWorld, agent_home: Path) -> None:
    login, email = world.add_user("alice")
    account = write_account(world, login, email)
    assert account.oauth is not None and not account.oauth.server.device_url
    with pytest.raises(UserError) as caught:
        signin.sign_in_device(account.oauth, GOOGLE_CLIENT[1], lambda _: None)
    assert "browser" in caught.value.fix


def test_microsoft_sign_in_asks_for_offline_access_and_sends_no_secret(
    world: OAuthWorld, agent_home: Path
) -> None:
    login, email = world.add_user("alice")
    account = write_account(world, login, email, kind="microsoft")
    assert account.oauth is not None
    signin.sign_in_browser(account.oauth, email, "", lambda _: None, open_browser=click, timeout=20)
    asked = [q for path, q in world.server.requests if path == "/authorize"][-1]
    assert set(asked["scope"].split()) == {
        "https://outlook.office.com/IMAP.AccessAsUser.All",
        "https://outlook.office.com/SMTP.Send",
        "offline_access",
    }
    assert asked["redirect_uri"].startswith("http://localhost:")  # what Entra matches on
    assert "client_secret" not in world.server.grants("authorization_code")[-1]


def test_tokens_are_renewed_before_they_expire_and_kept_only_in_the_keyring(
    world: OAuthWorld, agent_home: Path, frozen_clock: None
) -> None:
    login, email = world.add_user("alice")
    account = write_account(world, login, email)
    first = signed_in(world, account)
    renewals = len(world.server.grants("refresh_token"))
    stored = secrets.require_secret("main", "imap")
    assert oauth.bearer(account, stored) == first.access_token  # an hour left: no renewal
    assert len(world.server.grants("refresh_token")) == renewals

    clock.set_now(clock.now() + timedelta(minutes=56))  # four minutes left: renew now
    token = oauth.bearer(account, stored)
    assert token != first.access_token
    assert len(world.server.grants("refresh_token")) == renewals + 1
    kept = oauth.TokenSet.from_secret(secrets.require_secret("main", "imap"))
    assert kept.access_token == token and kept.refresh_token == first.refresh_token
    assert oauth.bearer(account, secrets.require_secret("main", "imap")) == token  # once only

    with imap.session(account, secrets.require_secret("main", "imap")) as mailbox:
        assert "Drafts" in {folder.name for folder in mailbox.list_folders()}
    for path in agent_home.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            assert first.refresh_token.encode() not in content and token.encode() not in content


def test_xoauth2_logs_in_to_dovecot_and_submits_by_smtp(
    world: OAuthWorld, agent_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    login, email = world.add_user("alice")
    bob, bob_address = world.add_user("bob")
    account = write_account(world, login, email)
    signed_in(world, account)

    code, out, err = run(capsys, "check")
    assert code == 0, err
    assert f"IMAP 127.0.0.1:{world.dovecot.imap_port} ok: logged in as {login} with OAuth" in out
    assert "SMTP 127.0.0.1" in out and "nothing sent" in out
    assert "drafts=Drafts" in out and "Gmail: has server thread ids (X-GM-THRID)" in out
    assert "method=XOAUTH2" in world.dovecot.log.read_text()

    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = email, bob_address, "By XOAUTH2"
    msg["Message-ID"] = f"<xoauth2-{login}@example.test>"
    msg.set_content("Sent with a bearer token.")
    assert sender.submit(account, secrets.require_secret("main", "smtp"), msg) == {}
    assert login in world.smtp.handler.xoauth2_logins  # type: ignore[attr-defined]
    with IMAPClient("127.0.0.1", port=world.dovecot.imap_port, ssl=False, timeout=10) as client:
        client.login(bob, world.dovecot.users[bob])
        client.select_folder("INBOX", readonly=True)
        assert client.search(["HEADER", "Message-ID", msg["Message-ID"]])

    code, out, err = run(capsys, "sync")
    assert code == 0 and "new messages" in out, err


def test_a_revoked_sign_in_is_one_clear_problem_until_signed_in_again(
    world: OAuthWorld,
    agent_home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    frozen_clock: None,
) -> None:
    login, email = world.add_user("alice")
    account = write_account(world, login, email)
    signed_in(world, account)
    world.server.revoke(email)
    clock.set_now(clock.now() + timedelta(hours=2))  # the access token has expired too

    code, out, err = run(capsys, "check")
    assert code == 3
    assert "refused to renew the sign-in token" in err and "revoked" in err
    assert "fix: sign in again: `inbox-agent init --oauth --account main`" in err
    assert out.count("\n") == 1 and "LLM" in out  # IMAP and SMTP failed, each said once

    with pytest.raises(MailServerError) as caught:
        oauth.bearer(account, secrets.require_secret("main", "imap"))
    told: list[tuple[str, str]] = []
    health = notify.Health(lambda title, text: told.append((title, text)), lambda _: "same", {})
    for _poll in range(3):
        health.failed("main", caught.value)
    assert notify.problem_of(caught.value, "main").kind == "token"
    assert len(told) == 1 and "inbox-agent init --oauth --account main" in told[0][1]
    assert health.blocked("main")  # no renewal attempt per poll until the user acts

    with pytest.raises(sender.SendFailure) as failure:
        sender.submit(account, secrets.require_secret("main", "smtp"), EmailMessage())
    assert not failure.value.permanent  # nothing was submitted; it goes once signed in again

    monkeypatch.setattr("webbrowser.open", click)
    code, out, err = run(capsys, "init", "--oauth", "--account", "main", "--non-interactive")
    assert code == 0, err
    assert "Signing in again" in out and "ok: logged in as" in out


def test_a_password_where_a_sign_in_belongs_is_explained(
    world: OAuthWorld, agent_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    login, email = world.add_user("alice")
    write_account(world, login, email)
    code, _out, err = run(capsys, "check")
    assert code == 2 and "no OAuth sign-in is stored for account 'main'" in err
    secrets.set_secret("main", "imap", "hunter2")
    code, _out, err = run(capsys, "check")
    assert code == 2 and 'says auth = "oauth2"' in err and "init --oauth --account main" in err
    assert "hunter2" not in err


def test_the_stored_token_set_is_json_with_every_part(agent_home: Path) -> None:
    tokens = oauth.TokenSet("at", "rt", clock.now(), "cs")
    data: dict[str, Any] = json.loads(tokens.to_secret())
    assert data["kind"] == "oauth2" and oauth.TokenSet.from_secret(tokens.to_secret()) == tokens
    with pytest.raises(ValueError):
        oauth.TokenSet.from_secret("a plain password")
    assert oauth.xoauth2("u@x", "tok") == "user=u@x\x01auth=Bearer tok\x01\x01"


@contextlib.contextmanager
def _token_endpoint(status: int, body: dict[str, str]) -> Iterator[str]:
    """A loopback token endpoint that answers every POST with `status` and `body`."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/token"
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()


def test_a_busy_token_endpoint_is_unreachable_and_a_refusal_is_a_refused_login(
    world: OAuthWorld, agent_home: Path, frozen_clock: None
) -> None:
    """The class says what the daemon does: an OAuth server that is down or busy passes by
    itself (told once it lasts); one that refuses the sign-in waits for the user (told at once)."""
    login, email = world.add_user("alice")
    account = write_account(world, login, email)
    signed_in(world, account)
    clock.set_now(clock.now() + timedelta(hours=2))  # the access token needs renewing
    stored = secrets.require_secret("main", "imap")
    path = paths.accounts_dir() / "main.toml"
    kinds = []
    for status, body, expected in (
        (503, {}, Unreachable),
        (400, {"error": "temporarily_unavailable"}, Unreachable),
        (429, {}, Unreachable),
        (400, {"error": "invalid_scope", "error_description": "no mail scope"}, LoginRefused),
    ):
        with _token_endpoint(status, body) as url:
            path.write_text(path.read_text().replace(world.server.token_url, url))
            moved = config.load_account(path, config.load_settings())
            with pytest.raises(MailServerError) as caught:
                oauth.bearer(moved, stored)
            path.write_text(path.read_text().replace(url, world.server.token_url))
        assert type(caught.value) is expected, (status, body, caught.value)
        kinds.append(notify.problem_of(caught.value, "main").kind)
    assert kinds == ["unreachable", "unreachable", "unreachable", "login"]
    assert "invalid_scope: no mail scope" in str(caught.value)
    assert "inbox-agent init --oauth --account main" in caught.value.fix
