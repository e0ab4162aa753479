"""The test world: a private Dovecot, an SMTP server that delivers into it by LMTP, a loopback
OpenAI-compatible server, an in-memory keyring, and a fresh INBOX_AGENT_HOME per test."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest

from inbox_agent import clock
from tests.infra.dovecot import DovecotServer
from tests.infra.llm_server import FakeLlm
from tests.infra.mail import MailUser, MailWorld
from tests.infra.memkeyring import MemoryKeyring
from tests.infra.smtp_relay import start_submission_server

os.environ["PYTHON_KEYRING_BACKEND"] = "tests.infra.memkeyring.MemoryKeyring"
keyring.set_keyring(MemoryKeyring())


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    server = DovecotServer({})
    server.start()
    yield server
    server.stop()
    errors = server.errors_in_log()
    server.cleanup()
    assert not errors, "Dovecot logged errors:\n" + "\n".join(errors)


@pytest.fixture(scope="session")
def smtp_server(dovecot: DovecotServer) -> Iterator[Any]:
    logging.getLogger("mail.log").setLevel(logging.ERROR)  # aiosmtpd warns about AUTH without TLS
    controller, handler = start_submission_server(dovecot.lmtp_socket, dovecot.users)
    controller.handler_ref = handler
    yield controller
    controller.stop()


@pytest.fixture(scope="session")
def llm() -> Iterator[FakeLlm]:
    server = FakeLlm()
    yield server
    server.stop()


@pytest.fixture
def llm_server(llm: FakeLlm) -> Iterator[FakeLlm]:
    llm.reset()
    yield llm
    llm.reset()


@pytest.fixture
def agent_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "home"
    monkeypatch.setenv("INBOX_AGENT_HOME", str(home))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.infra.memkeyring.MemoryKeyring")
    MemoryKeyring.store.clear()
    keyring.set_keyring(MemoryKeyring())
    yield home
    clock.set_now(None)


@pytest.fixture
def mail_world(dovecot: DovecotServer, smtp_server: Any, llm: FakeLlm) -> MailWorld:
    def new_user(name: str) -> MailUser:
        login = f"{name}{secrets.token_hex(3)}"
        dovecot.add_user(login, secrets.token_urlsafe(12))
        return MailUser(login, dovecot.users[login], f"{name.title()} Example")

    return MailWorld(dovecot.imap_port, smtp_server.port, llm.base_url, new_user)
