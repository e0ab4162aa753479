"""The nudge as a real MIME reply: threading headers, the thread's recipients, our marker header.

Pure. Recipients come from the user's own last message on the thread (Reply-All minus the user),
never from the drafter: nothing an LLM writes can add an address.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from html import escape

from inbox_agent.mail.addresses import normal_address
from inbox_agent.mail.headers import AGENT_HEADER, MSGID, Header, clean
from inbox_agent.mail.quote import Quote
from inbox_agent.mail.subject import strip_prefixes

_MAX_REFERENCES = 20


@dataclass(frozen=True)
class Recipients:
    to: tuple[str, ...]
    cc: tuple[str, ...]

    @property
    def all(self) -> tuple[str, ...]:
        return (*self.to, *self.cc)


def reply_subject(subject: str) -> str:
    """Exactly one `Re:` in front of the original subject."""
    base = strip_prefixes(subject)
    return f"Re: {base}" if base else "Re:"


def _deliverable(addresses: tuple[str, ...]) -> list[str]:
    """The addresses in their normal form; one that is not an address (a row stored before
    addresses were normalised) is left out, never written into a header."""
    return [n for a in addresses if (n := normal_address(a)) is not None]


def recipients(anchor: Header, user: frozenset[str]) -> Recipients:
    """Who the nudge goes to: whoever the user's own message went to, minus the user; on a
    message of someone else's (a promise they made), its sender first, then the others."""
    sender = (anchor.from_addr,) if anchor.from_addr and anchor.from_addr not in user else ()
    to = tuple(dict.fromkeys(a for a in _deliverable((*sender, *anchor.to)) if a not in user))
    cc = tuple(dict.fromkeys(a for a in _deliverable(anchor.cc) if a not in user and a not in to))
    if not to and cc:
        to, cc = cc[:1], cc[1:]
    return Recipients(to, cc)


def _message_id(value: str) -> str:
    """A Message-ID fit for a header again, or "" (a row stored before ids were checked)."""
    return value if MSGID.fullmatch(value) else ""


def new_agent_id() -> str:
    return uuid.uuid4().hex


def build(
    *,
    anchor: Header,
    user: frozenset[str],
    from_addr: str,
    from_name: str,
    body: str,
    when: datetime,
    agent_id: str,
    message_id: str | None = None,
    html: bool = False,
    quote: Quote | None = None,
) -> EmailMessage:
    """The nudge, threaded under `anchor`, carrying our X-Inbox-Agent-Id; with `quote`, the
    followed-up message quoted under the text (`>` lines, and a blockquote in the HTML part).
    Never raises on what came from the mailbox: every value taken from it is `clean`ed first."""
    rcpt = recipients(anchor, user)
    msg = EmailMessage()
    from_name = clean(from_name).strip()
    msg["From"] = formataddr((from_name, from_addr)) if from_name else from_addr
    msg["To"] = ", ".join(rcpt.to)
    if rcpt.cc:
        msg["Cc"] = ", ".join(rcpt.cc)
    msg["Subject"] = reply_subject(clean(anchor.subject))
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = message_id or make_msgid(domain=from_addr.rpartition("@")[2] or None)
    anchor_id = _message_id(anchor.message_id)
    if anchor_id:
        msg["In-Reply-To"] = anchor_id
    refs = [i for i in (*anchor.references, anchor_id) if _message_id(i)]
    # keep the first and the newest references: that is what RFC 5322 threading needs
    if len(refs) > _MAX_REFERENCES:
        refs = refs[:1] + refs[-(_MAX_REFERENCES - 1) :]
    if refs:
        msg["References"] = " ".join(dict.fromkeys(refs))
    msg[AGENT_HEADER] = agent_id
    plain = body.rstrip() + "\n"
    if quote is not None:
        plain += "\n" + quote.plain() + "\n"
    msg.set_content(plain, charset="utf-8")
    if html:  # the original was HTML: a plain part for every client, an HTML part to match
        paragraphs = "".join(
            f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in body.strip().split("\n\n")
        )
        cited = quote.html() if quote is not None else ""
        msg.add_alternative(
            f"<html><body>{paragraphs}{cited}</body></html>", subtype="html", charset="utf-8"
        )
    return msg


def for_submission(msg: EmailMessage) -> EmailMessage:
    """A copy without our marker header: the recipient sees an ordinary reply."""
    copy = message_from_bytes(msg.as_bytes(), policy=policy.default)
    assert isinstance(copy, EmailMessage)
    del copy[AGENT_HEADER]
    return copy
