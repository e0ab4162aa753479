"""Smoke tests of the test world itself: if these fail, every story test would fail for a
reason that has nothing to do with inbox_agent."""

from __future__ import annotations

import asyncio
import os
import time
from email import message_from_bytes
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import keyring
import openai
import pytest
from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from tests.infra.dovecot import DovecotServer
from tests.infra.llm_server import DEFAULT_REPLY, FakeLlm
from tests.infra.mail import MailUser, MailWorld, imap_client, wait_for
from tests.infra.memkeyring import MemoryKeyring
from tests.infra.smtp_relay import SubmissionServer


def test_imap_login_lists_special_use_folders(mail_world: MailWorld) -> None:
    alice = mail_world.new_user("alice")
    with mail_world.imap_client(alice) as client:
        assert b"SPECIAL-USE" in client.capabilities()
        folders = {name: set(flags) for flags, _sep, name in client.list_folders()}
    assert b"\\Drafts" in folders["Drafts"]
    assert b"\\Sent" in folders["Sent"]
    assert {"INBOX", "Drafts", "Sent", "Trash", "Junk", "Archive"} <= set(folders)


def test_send_delivers_to_inbox_and_files_a_sent_copy(
    mail_world: MailWorld, smtp_server: SubmissionServer
) -> None:
    alice, bob = mail_world.new_user("alice"), mail_world.new_user("bob")
    assert alice.display_name == "Alice Example" and alice.address.startswith("alice")
    mid = mail_world.send(alice, [bob.address], "Q3 contract", "Can you sign by Friday?")
    [uid] = mail_world.find(bob, "INBOX", mid)  # LMTP delivery is done before SMTP's 250
    received = message_from_bytes(mail_world.fetch_raw(bob, "INBOX", uid))
    assert received["Subject"] == "Q3 contract" and alice.address in received["From"]
    assert "Can you sign by Friday?" in received.get_payload()
    [sent_uid] = mail_world.find(alice, "Sent", mid)
    with mail_world.imap_client(alice) as client:
        client.select_folder("Sent", readonly=True)
        assert b"\\Seen" in client.get_flags([sent_uid])[sent_uid]
    assert smtp_server.handler.delivered[-1][1] == [bob.address]


def test_reply_threads_to_the_original(mail_world: MailWorld) -> None:
    alice, bob = mail_world.new_user("alice"), mail_world.new_user("bob")
    first = mail_world.send(alice, [bob.address], "Lunch?", "Thursday?")
    answer = mail_world.reply(bob, to_message_id=first, body="Sure.")
    [uid] = mail_world.find(alice, "INBOX", answer)
    got = mail_world.message(alice, "INBOX", uid)
    assert got["In-Reply-To"] == first and got["References"] == first
    assert got["Subject"] == "Re: Lunch?" and got["To"] == alice.formatted
    again = mail_world.reply(alice, to_message_id=answer, body="Great.")
    [uid] = mail_world.find(bob, "INBOX", again)
    got = mail_world.message(bob, "INBOX", uid)
    assert got["References"].split() == [first, answer] and got["Subject"] == "Re: Lunch?"


def test_external_recipients_are_captured_not_sent(
    mail_world: MailWorld, smtp_server: SubmissionServer
) -> None:
    alice, bob = mail_world.new_user("alice"), mail_world.new_user("bob")
    mid = mail_world.send(alice, [bob.address], "Hi", "x", cc=["carol@elsewhere.test"])
    assert mail_world.find(bob, "INBOX", mid)
    _sender, rcpts, data = smtp_server.handler.external[-1]
    assert rcpts == ["carol@elsewhere.test"] and mid.encode() in data


def test_wrong_passwords_fail_fast_and_do_not_slow_later_logins(
    mail_world: MailWorld, smtp_server: SubmissionServer, dovecot: DovecotServer
) -> None:
    alice = mail_world.new_user("alice")
    client = IMAPClient("127.0.0.1", port=dovecot.imap_port, ssl=False, timeout=10)
    started = time.monotonic()
    with pytest.raises(LoginError):
        client.login(alice.login, "wrong")
    client.shutdown()
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = alice.address, alice.address, "x"
    msg.set_content("x")
    with pytest.raises(aiosmtplib.SMTPAuthenticationError):
        asyncio.run(
            aiosmtplib.send(
                msg,
                hostname="127.0.0.1",
                port=smtp_server.port,
                username=alice.login,
                password="wrong",
                start_tls=False,
                timeout=10,
            )
        )
    with mail_world.imap_client(alice) as ok:  # no auth penalty carried over from the failure
        ok.select_folder("INBOX")
    assert time.monotonic() - started < 3.0


def test_unknown_local_recipient_is_refused(mail_world: MailWorld) -> None:
    alice = mail_world.new_user("alice")
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
        mail_world.send(alice, ["nobody-here@example.test"], "x", "x")


def test_doveadm_and_maildir(mail_world: MailWorld, dovecot: DovecotServer) -> None:
    alice, bob = mail_world.new_user("alice"), mail_world.new_user("bob")
    mail_world.send(alice, [bob.address], "one", "x")
    assert "messages=1" in dovecot.doveadm(
        "mailbox", "status", "-u", bob.login, "messages", "INBOX"
    )
    assert list((dovecot.maildir(bob.login) / "new").iterdir())


def test_wait_for_is_bounded() -> None:
    started = time.monotonic()
    assert wait_for(lambda: [], timeout=0.3) == []
    assert 0.25 < time.monotonic() - started < 1.5
    assert wait_for(lambda: 7) == 7


def test_openai_client_round_trip(llm_server: FakeLlm) -> None:
    client = openai.OpenAI(base_url=llm_server.base_url, api_key="test-key", max_retries=0)
    answer = client.chat.completions.create(
        model="test-model",
        messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "nudge"}],
        temperature=0.2,
    )
    assert answer.choices[0].message.content == DEFAULT_REPLY
    assert answer.choices[0].finish_reason == "stop" and answer.usage is not None
    [request] = llm_server.requests
    assert request["method"] == "POST" and request["path"] == "/v1/chat/completions"
    assert request["headers"]["authorization"] == "Bearer test-key"
    assert request["body"]["model"] == "test-model" and request["body"]["temperature"] == 0.2
    assert request["body"]["messages"][1] == {"role": "user", "content": "nudge"}
    assert [m.id for m in client.models.list()] == ["test-model"]


def test_openai_client_retries_a_queued_429(llm_server: FakeLlm) -> None:
    llm_server.enqueue(status=429, headers={"Retry-After": "0"})
    llm_server.enqueue(text="Hi Bob, any news?")
    client = openai.OpenAI(base_url=llm_server.base_url, api_key="test-key", max_retries=1)
    answer = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert answer.choices[0].message.content == "Hi Bob, any news?"
    assert len(llm_server.chat_requests) == 2 and llm_server.pending == 0
    # then the default, which a test may change (reset() restores it)
    llm_server.reply_text = "changed"
    again = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert again.choices[0].message.content == "changed"


def test_openai_client_errors_timeouts_and_streams(llm_server: FakeLlm) -> None:
    client = openai.OpenAI(base_url=llm_server.base_url, api_key="k", max_retries=0)
    messages: list[openai.types.chat.ChatCompletionMessageParam] = [
        {"role": "user", "content": "x"}
    ]
    llm_server.enqueue(status=429, headers={"Retry-After": "1"})
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="m", messages=messages)
    llm_server.enqueue(status=500)
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="m", messages=messages)
    llm_server.enqueue(status=200, body=b"not json")
    with pytest.raises(ValueError):  # the client lets the JSONDecodeError through
        client.chat.completions.create(model="m", messages=messages)
    llm_server.enqueue(delay=2.0)
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        client.with_options(timeout=0.3).chat.completions.create(model="m", messages=messages)
    assert time.monotonic() - started < 1.5
    llm_server.enqueue(text="streamed answer, more than sixteen characters")
    stream = client.chat.completions.create(model="m", messages=messages, stream=True)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text == "streamed answer, more than sixteen characters"


def test_agent_home_and_memory_keyring(agent_home: Path) -> None:
    assert os.environ["INBOX_AGENT_HOME"] == str(agent_home) and agent_home.is_dir()
    assert os.environ["PYTHON_KEYRING_BACKEND"] == "tests.infra.memkeyring.MemoryKeyring"
    assert isinstance(keyring.get_keyring(), MemoryKeyring)
    assert keyring.get_password("inbox-agent", "main") is None
    keyring.set_password("inbox-agent", "main", "s3cret")
    assert MemoryKeyring.store == {("inbox-agent", "main"): "s3cret"}
    keyring.delete_password("inbox-agent", "main")
    with pytest.raises(keyring.errors.PasswordDeleteError):
        keyring.delete_password("inbox-agent", "main")


def test_dovecot_restart_and_kill_keep_ports_and_mail() -> None:
    """A private instance (not the session one): faults must not disturb other tests."""
    with DovecotServer({"carol": "carolpw"}) as server:
        carol = MailUser("carol", "carolpw", "Carol Example")
        with imap_client(server.imap_port, carol) as client:
            client.append("INBOX", b"Subject: kept\r\n\r\nx\r\n")
        port = server.imap_port
        server.kill()
        assert not server.running
        with pytest.raises(OSError), imap_client(port, carol):
            pass
        server.restart()
        assert server.imap_port == port
        with imap_client(port, carol) as client:
            client.select_folder("INBOX", readonly=True)
            assert len(client.search(["ALL"])) == 1
        server.stop()
        assert not server.running and server.errors_in_log() == []
