"""Story helpers: users on the test Dovecot, sending as a mail client does (SMTP + a Sent copy)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

import aiosmtplib
from imapclient import IMAPClient

DOMAIN = "example.test"


@dataclass(frozen=True)
class MailUser:
    login: str
    password: str
    display_name: str

    @property
    def address(self) -> str:
        return f"{self.login}@{DOMAIN}"


@dataclass
class MailWorld:
    """Everything a story test needs, bound to the session's servers."""

    imap_port: int
    smtp_port: int
    llm_base_url: str
    new_user: Callable[[str], MailUser]

    @contextmanager
    def imap_client(self, user: MailUser) -> Iterator[IMAPClient]:
        client = IMAPClient("127.0.0.1", port=self.imap_port, ssl=False, timeout=10)
        client.login(user.login, user.password)
        try:
            yield client
        finally:
            client.logout()

    def send(self, sender: MailUser, to: Sequence[str], subject: str, body: str, cc: Sequence[str] = (),
             in_reply_to: str | None = None, references: Sequence[str] = (), headers: dict[str, str] | None = None,
             date: datetime | None = None) -> str:
        """Submit by SMTP and file a copy in the sender's Sent, as a mail client does. Returns the Message-ID."""
        msg = EmailMessage()
        msg["From"] = f"{sender.display_name} <{sender.address}>"
        msg["To"] = ", ".join(to)
        if cc:
            msg["Cc"] = ", ".join(cc)
        msg["Subject"] = subject
        msg["Date"] = format_datetime(date or datetime.now(UTC))
        message_id = f"<{uuid.uuid4()}@{DOMAIN}>"
        msg["Message-ID"] = message_id
        if in_reply_to:
            msg["In-Reply-To"] = in_reply_to
        if references:
            msg["References"] = " ".join(references)
        for key, value in (headers or {}).items():
            msg[key] = value
        msg.set_content(body)
        asyncio.run(aiosmtplib.send(msg, hostname="127.0.0.1", port=self.smtp_port, username=sender.login,
                                    password=sender.password, start_tls=False, timeout=30))
        with self.imap_client(sender) as client:
            client.append("Sent", msg.as_bytes(), flags=[b"\\Seen"])
        return message_id

    def reply(self, sender: MailUser, *, to_message_id: str, subject: str, to: Sequence[str], body: str,
              references: Sequence[str] = (), headers: dict[str, str] | None = None,
              date: datetime | None = None) -> str:
        refs = list(dict.fromkeys([*references, to_message_id]))
        return self.send(sender, to, subject, body, in_reply_to=to_message_id, references=refs, headers=headers,
                         date=date)

    def find(self, user: MailUser, folder: str, message_id: str) -> list[int]:
        with self.imap_client(user) as client:
            client.select_folder(folder, readonly=True)
            return sorted(client.search(["HEADER", "Message-ID", message_id]))

    def fetch_raw(self, user: MailUser, folder: str, uid: int) -> bytes:
        with self.imap_client(user) as client:
            client.select_folder(folder, readonly=True)
            return bytes(client.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"])


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0, interval: float = 0.05) -> bool:
    """Poll `predicate` until it holds or `timeout` passes; bounded in time and count."""
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / interval) + 1):
        if predicate():
            return True
        if time.monotonic() > deadline:
            break
        time.sleep(interval)
    return False
