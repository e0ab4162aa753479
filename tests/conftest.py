"""The test world: a private Dovecot, an SMTP submission server that delivers into it by LMTP, a
loopback OpenAI-compatible server, an in-memory keyring and a fresh INBOX_AGENT_HOME per test.

Session fixtures (started once, shared): `dovecot`, `smtp_server`, `llm`, `cyrus` (a second
real server, Cyrus IMAP 3.6 as Fastmail names things; skipped with the reason where it cannot run)
with `cyrus_smtp`, and `pymap` (the demo's embedded server, IMAP and SMTP in process).
Per-test fixtures: `llm_server` (the `llm` reset), `new_user` (a unique mailbox), `agent_home`,
and `mail_world`, which bundles all of it for story tests on Dovecot; `world` is the same on each
of the three servers in turn (the story tests). Tests stay apart by using fresh users.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import keyring
import pytest

from inbox_agent.demo.embedded import EmbeddedMailServer
from tests.infra.cyrus import CyrusServer, CyrusUnavailable
from tests.infra.dovecot import DovecotServer
from tests.infra.llm_server import FakeLlm
from tests.infra.mail import MailUser, MailWorld
from tests.infra.memkeyring import MemoryKeyring
from tests.infra.smtp_relay import SubmissionServer, start_submission_server

KEYRING_BACKEND = "tests.infra.memkeyring.MemoryKeyring"


def _maker(add: Callable[[str, str], None]) -> Callable[[str], MailUser]:
    """A `new_user` factory over one server's `add_user(login, password)`."""

    def make(name: str) -> MailUser:
        login = f"{name.lower()}{secrets.token_hex(3)}"
        password = secrets.token_urlsafe(12)
        add(login, password)
        return MailUser(login=login, password=password, display_name=f"{name.title()} Example")

    return make


def pytest_configure(config: pytest.Config) -> None:
    # aiosmtpd warns on every connection that AUTH is allowed without TLS: on loopback that is
    # the point, and the warnings would bury real ones.
    config.addinivalue_line(
        "filterwarnings", "ignore:Requiring AUTH while not requiring TLS:UserWarning"
    )
    # A safety net for tests that do not ask for `agent_home`: never the developer's keyring.
    os.environ["PYTHON_KEYRING_BACKEND"] = KEYRING_BACKEND
    keyring.set_keyring(MemoryKeyring())


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    """The session's Dovecot (IMAP on `.imap_port`, LMTP on `.lmtp_socket`). Fails the session
    at teardown if Dovecot logged an Error, Fatal or Panic line."""
    server = DovecotServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()
        errors = server.errors_in_log()
        server.cleanup()
    if errors:
        print("Dovecot logged errors:\n" + "\n".join(errors))
    assert not errors, "Dovecot logged errors:\n" + "\n".join(errors)


@pytest.fixture(scope="session")
def cyrus() -> Iterator[CyrusServer]:
    """The session's Cyrus (IMAP on `.imap_port`, LMTP on `.lmtp_port`). Each test makes its own
    users with `cyrus_user`."""
    try:
        server = CyrusServer()
    except CyrusUnavailable as exc:
        pytest.skip(f"Cyrus IMAP cannot run here: {exc}")
    try:
        server.start()
        yield server
    finally:
        server.cleanup()


@pytest.fixture
def cyrus_user(cyrus: CyrusServer) -> Callable[[str], MailUser]:
    """Factory like `new_user`, on Cyrus: a fresh user with a random password."""
    return _maker(cyrus.add_user)


@pytest.fixture(scope="session")
def cyrus_smtp(cyrus: CyrusServer) -> Iterator[SubmissionServer]:
    """SMTP submission that delivers into Cyrus by LMTP over TCP; AUTH against its users."""
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    server = start_submission_server(("127.0.0.1", cyrus.lmtp_port), cyrus.users)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pymap() -> Iterator[EmbeddedMailServer]:
    """The demo's embedded server (pymap IMAP, aiosmtpd SMTP that files local mail in INBOX),
    for the session; each test adds its own users."""
    with EmbeddedMailServer({}) as server:
        yield server


@pytest.fixture(scope="session")
def smtp_server(dovecot: DovecotServer) -> Iterator[SubmissionServer]:
    """SMTP submission on `.port`; AUTH against Dovecot's live user table."""
    # every AUTH logs "Session.login_data is deprecated" at WARNING on aiosmtpd's logger
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    server = start_submission_server(dovecot.lmtp_socket, dovecot.users)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def llm() -> Iterator[FakeLlm]:
    """The fake OpenAI-compatible server for the whole session (not reset between tests)."""
    server = FakeLlm()
    yield server
    server.stop()


@pytest.fixture
def llm_server(llm: FakeLlm) -> Iterator[FakeLlm]:
    """The fake LLM with an empty queue, no recorded requests and the default reply."""
    llm.reset()
    yield llm
    llm.reset()


@pytest.fixture
def new_user(dovecot: DovecotServer) -> Callable[[str], MailUser]:
    """Factory: `new_user("alice")` makes a fresh mailbox `alice<6 hex>@example.test` with a
    random password, display name "Alice Example"; it can log in to IMAP and SMTP at once."""
    return _maker(dovecot.add_user)


@pytest.fixture
def agent_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh, existing INBOX_AGENT_HOME and an empty in-memory keyring for one test."""
    home = tmp_path / "agent-home"
    home.mkdir()
    monkeypatch.setenv("INBOX_AGENT_HOME", str(home))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", KEYRING_BACKEND)
    MemoryKeyring.clear()
    keyring.set_keyring(MemoryKeyring())  # env alone does not switch an initialised keyring
    yield home
    MemoryKeyring.clear()
    _reset_agent_clock()


def _reset_agent_clock() -> None:
    """Undo a test's frozen clock, if the package has one; a leak would skew later tests."""
    if importlib.util.find_spec("inbox_agent.clock") is None:
        return
    from inbox_agent import clock

    set_now = getattr(clock, "set_now", None)
    if callable(set_now):
        set_now(None)


@pytest.fixture
def mail_world(
    dovecot: DovecotServer,
    smtp_server: SubmissionServer,
    llm: FakeLlm,
    new_user: Callable[[str], MailUser],
) -> MailWorld:
    """Ports, users and mail helpers in one object: `.new_user`, `.send`, `.reply`, `.find`,
    `.fetch_raw`, `.imap_client`, `.imap_port`, `.smtp_port`, `.llm_base_url`."""
    return MailWorld(
        imap_port=dovecot.imap_port,
        smtp_port=smtp_server.port,
        llm_base_url=llm.base_url,
        new_user=new_user,
    )


@pytest.fixture(params=["dovecot", "cyrus", "pymap"])
def world(request: pytest.FixtureRequest, llm: FakeLlm) -> MailWorld:
    """`mail_world` on each server in turn: Dovecot (separator `/`), Cyrus as Fastmail runs it
    (separator `.`, special-use flags in lower case) and the embedded pymap (no SPECIAL-USE
    capability, attributes added to LIST). Mail is submitted by SMTP and delivered as each one
    does it: LMTP into Dovecot or Cyrus, pymap's own SMTP into its INBOX."""
    kind = request.param
    if kind == "dovecot":
        world: MailWorld = request.getfixturevalue("mail_world")
        return world
    if kind == "cyrus":
        cyrus: CyrusServer = request.getfixturevalue("cyrus")
        smtp: SubmissionServer = request.getfixturevalue("cyrus_smtp")
        return MailWorld(cyrus.imap_port, smtp.port, llm.base_url, _maker(cyrus.add_user), kind)
    pymap: EmbeddedMailServer = request.getfixturevalue("pymap")
    return MailWorld(pymap.imap_port, pymap.smtp_port, llm.base_url, _maker(pymap.add_user), kind)
