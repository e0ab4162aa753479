"""Story helpers: people with mailboxes on the test Dovecot, who send and reply as a mail client does.

Owns: `MailUser`; `send` (SMTP submission as the sender plus a copy appended to the sender's Sent,
which is what real clients do and what the agent reads); `reply` (threads to a message); small
IMAP readers (`imap_client`, `find`, `fetch_raw`); `wait_for`, a bounded poll; and `MailWorld`,
the same helpers bound to the session's ports so tests read like a story.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage, Message
from email.utils import format_datetime, formataddr, getaddresses
from typing import TypeVar

import aiosmtplib
from imapclient import IMAPClient

DOMAIN = "example.test"
HOST = "127.0.0.1"
T = TypeVar("T")


@dataclass(frozen=True)
class MailUser:
    """A mailbox owner. `login` is also the local part of the address."""

    login: str
    password: str
    display_name: str

    @property
    def name(self) -> str:
        return self.login

    @property
    def address(self) -> str:
        return f"{self.login}@{DOMAIN}"

    @property
    def formatted(self) -> str:
        """`Alice Example <alice1a2b3c@example.test>`, as it appears in From:."""
        return formataddr((self.display_name, self.address))


@contextmanager
def imap_client(imap_port: int, user: MailUser) -> Iterator[IMAPClient]:
    """A logged-in plaintext IMAPClient (loopback only); logs out on exit."""
    client = IMAPClient(HOST, port=imap_port, ssl=False, timeout=10)
    try:
        client.login(user.login, user.password)
        yield client
    finally:
        try:
            client.logout()
        except Exception:  # already broken (e.g. a fault test killed Dovecot): just drop it
            client.shutdown()


def build_message(
    sender: MailUser,
    to: Sequence[str],
    subject: str,
    body: str,
    cc: Sequence[str] = (),
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    headers: dict[str, str] | None = None,
    date: datetime | None = None,
) -> EmailMessage:
    """The message `send` would submit; `headers` are set last and replace same-named ones."""
    msg = EmailMessage()
    msg["From"] = sender.formatted
    msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date or datetime.now(UTC))
    msg["Message-ID"] = f"<{uuid.uuid4()}@{DOMAIN}>"
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = " ".join(references)
    for key, value in (headers or {}).items():
        del msg[key]
        msg[key] = value
    msg.set_content(body)
    return msg


def submit(smtp_port: int, sender: MailUser, msg: EmailMessage) -> None:
    """SMTP submission as `sender` (AUTH, no TLS on loopback); recipients from To/Cc/Bcc."""
    errors, _reply = asyncio.run(
        aiosmtplib.send(
            msg,
            hostname=HOST,
            port=smtp_port,
            username=sender.login,
            password=sender.password,
            start_tls=False,
            use_tls=False,
            timeout=30,
        )
    )
    if errors:
        raise RuntimeError(f"recipients refused: {errors!r}")


def send(
    smtp_port: int,
    imap_port: int,
    sender: MailUser,
    to: Sequence[str],
    subject: str,
    body: str,
    cc: Sequence[str] = (),
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    headers: dict[str, str] | None = None,
    date: datetime | None = None,
) -> str:
    """Send as a mail client does: submit by SMTP, then file a copy in Sent. Returns the Message-ID."""
    msg = build_message(sender, to, subject, body, cc, in_reply_to, references, headers, date)
    submit(smtp_port, sender, msg)
    with imap_client(imap_port, sender) as client:
        client.append("Sent", msg.as_bytes(), flags=[b"\\Seen"], msg_time=date)
    return str(msg["Message-ID"])


def find_message(imap_port: int, user: MailUser, message_id: str) -> Message | None:
    """`message_id` as parsed headers, looked for in the user's INBOX, Sent and Archive."""
    for folder in ("INBOX", "Sent", "Archive"):
        uids = find(imap_port, user, folder, message_id)
        if uids:
            return message_from_bytes(fetch_raw(imap_port, user, folder, uids[0]))
    return None


def reply(
    smtp_port: int,
    imap_port: int,
    sender: MailUser,
    *,
    to_message_id: str,
    body: str,
    to: Sequence[str] | None = None,
    subject: str | None = None,
    references: Sequence[str] | None = None,
    cc: Sequence[str] = (),
    headers: dict[str, str] | None = None,
    date: datetime | None = None,
) -> str:
    """Reply to `to_message_id` with In-Reply-To and References set. What is not given (`to`,
    `subject`, `references`) is taken from the original, found in the sender's mailbox:
    to = its Reply-To or From, subject = "Re: " + its subject, references = its References
    plus its Message-ID. Returns the new Message-ID."""
    if to is None or subject is None or references is None:
        original = find_message(imap_port, sender, to_message_id)
        if original is None:
            raise LookupError(
                f"{to_message_id} is not in {sender.login}'s INBOX/Sent/Archive; "
                "pass to=, subject= and references= explicitly"
            )
        if to is None:
            to = [
                formataddr(pair)
                for pair in getaddresses([original["Reply-To"] or original["From"]])
            ]
        if subject is None:
            old = str(original["Subject"] or "")
            subject = old if old.lower().startswith("re:") else f"Re: {old}"
        if references is None:
            references = [*str(original["References"] or "").split(), to_message_id]
    refs = list(dict.fromkeys([*references, to_message_id]))  # parent last, no repeats
    return send(
        smtp_port, imap_port, sender, to, subject, body, cc, to_message_id, refs, headers, date
    )


def find(imap_port: int, user: MailUser, folder: str, message_id: str) -> list[int]:
    """UIDs in `folder` whose Message-ID header is `message_id` (UID SEARCH HEADER)."""
    with imap_client(imap_port, user) as client:
        client.select_folder(folder, readonly=True)
        return sorted(int(uid) for uid in client.search(["HEADER", "Message-ID", message_id]))


def fetch_raw(imap_port: int, user: MailUser, folder: str, uid: int) -> bytes:
    """The full message, without setting \\Seen."""
    with imap_client(imap_port, user) as client:
        client.select_folder(folder, readonly=True)
        data = client.fetch([uid], ["BODY.PEEK[]"])
        if uid not in data:
            raise LookupError(f"no UID {uid} in {user.login}'s {folder}")
        return bytes(data[uid][b"BODY[]"])


def wait_for(predicate: Callable[[], T], timeout: float = 10.0, interval: float = 0.05) -> T:
    """Call `predicate` until it returns something truthy or `timeout` seconds pass; returns
    its last value (falsy on timeout), so `assert wait_for(...)` reads naturally."""
    deadline = time.monotonic() + timeout
    value = predicate()
    for _ in range(int(timeout / interval) + 1):  # bounded in count as well as in time
        if value or time.monotonic() >= deadline:
            break
        time.sleep(interval)
        value = predicate()
    return value


@dataclass
class MailWorld:
    """The session's servers plus the helpers above bound to their ports."""

    imap_port: int
    smtp_port: int
    llm_base_url: str
    new_user: Callable[[str], MailUser]
    server: str = "dovecot"  # which kind: dovecot, cyrus or pymap

    @contextmanager
    def imap_client(self, user: MailUser) -> Iterator[IMAPClient]:
        with imap_client(self.imap_port, user) as client:
            yield client

    def send(
        self,
        sender: MailUser,
        to: Sequence[str],
        subject: str,
        body: str,
        cc: Sequence[str] = (),
        in_reply_to: str | None = None,
        references: Sequence[str] = (),
        headers: dict[str, str] | None = None,
        date: datetime | None = None,
    ) -> str:
        return send(
            self.smtp_port,
            self.imap_port,
            sender,
            to,
            subject,
            body,
            cc,
            in_reply_to,
            references,
            headers,
            date,
        )

    def reply(
        self,
        sender: MailUser,
        *,
        to_message_id: str,
        body: str,
        to: Sequence[str] | None = None,
        subject: str | None = None,
        references: Sequence[str] | None = None,
        cc: Sequence[str] = (),
        headers: dict[str, str] | None = None,
        date: datetime | None = None,
    ) -> str:
        return reply(
            self.smtp_port,
            self.imap_port,
            sender,
            to_message_id=to_message_id,
            body=body,
            to=to,
            subject=subject,
            references=references,
            cc=cc,
            headers=headers,
            date=date,
        )

    def find(self, user: MailUser, folder: str, message_id: str) -> list[int]:
        return find(self.imap_port, user, folder, message_id)

    def fetch_raw(self, user: MailUser, folder: str, uid: int) -> bytes:
        return fetch_raw(self.imap_port, user, folder, uid)

    def message(self, user: MailUser, folder: str, uid: int) -> Message:
        """`fetch_raw` parsed into headers and body."""
        return message_from_bytes(self.fetch_raw(user, folder, uid))
