"""A header block in, a small `Header` record out; and what kind of message it is.

Pure and forgiving: broken encodings, missing Message-IDs and odd dates never raise. A message
with no Message-ID gets a stable synthetic one derived from its content, so it can still thread.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses, parsedate_to_datetime

# The fields threading and classification need; the IMAP fetch asks for exactly these.
FIELDS = (
    "MESSAGE-ID",
    "IN-REPLY-TO",
    "REFERENCES",
    "FROM",
    "TO",
    "CC",
    "REPLY-TO",
    "DATE",
    "SUBJECT",
    "AUTO-SUBMITTED",
    "X-AUTOREPLY",
    "X-AUTO-RESPONSE-SUPPRESS",
    "PRECEDENCE",
    "LIST-ID",
    "LIST-UNSUBSCRIBE",
    "CONTENT-TYPE",
    "X-INBOX-AGENT-ID",
)
AGENT_HEADER = "X-Inbox-Agent-Id"

_MSGID = re.compile(r"<[^<>\s]+>")
_PARSER = BytesHeaderParser(policy=compat32)
_AUTO_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response|antwort)|out of (the )?office|abwesenheit|absence|"
    r"r[ée]ponse automatique|fuera de la oficina|respuesta autom[aá]tica|away from)",
    re.IGNORECASE,
)
_NOREPLY = re.compile(
    r"^(no[-_.]?reply|do[-_.]?not[-_.]?reply|mailer-daemon|postmaster)@", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class Header:
    """The facts of one message that the tracker needs, taken from its header block."""

    message_id: str
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    subject: str
    from_addr: str
    from_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    reply_to: tuple[str, ...]
    date: datetime | None
    kind: str  # "normal", "auto_reply", "bounce" or "list"
    agent_id: str  # our X-Inbox-Agent-Id, or ""
    thread_hint: str = ""  # the server's own thread id (Gmail's X-GM-THRID), when it has one


def _text(value: object) -> str:
    if value is None:
        return ""
    raw = str(value)
    if "=?" not in raw:
        return raw
    try:
        return str(make_header(decode_header(raw)))
    except Exception:  # an undecodable encoded-word costs only its own decoding
        return raw


_FOLD = re.compile(rb"\r?\n[ \t]+")
_END = re.compile(rb"\r?\n\r?\n")


class Fields:
    """A header block as a case-insensitive multi-map. A hand parser: sync reads every header
    block in the mailbox, and this is several times faster than `email.parser` for the job."""

    def __init__(self, block: bytes) -> None:
        end = _END.search(block)
        head = _FOLD.sub(b" ", block[: end.start()] if end else block)
        try:
            text = head.decode("utf-8")
        except UnicodeDecodeError:
            text = head.decode("latin-1")  # 8-bit junk: keep every byte, decode none wrongly
        self._data: dict[str, list[str]] = {}
        for line in text.split("\n"):
            name, sep, value = line.partition(":")
            if sep and name and " " not in name.strip():
                self._data.setdefault(name.strip().lower(), []).append(value.strip())

    def get(self, name: str, default: str | None = None) -> str | None:
        values = self._data.get(name.lower())
        return values[0] if values else default

    def get_all(self, name: str) -> list[str]:
        return self._data.get(name.lower(), [])


def _address_pairs(values: list[str]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for value in values:
        value = _text(value)
        if '"' in value or "(" in value or ";" in value or "\\" in value:
            out += getaddresses([value])  # quoted names, comments, groups: the full grammar
            continue
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            lt = part.find("<")
            if lt < 0:
                out.append(("", part))
                continue
            gt = part.find(">", lt)
            out.append((part[:lt].strip(), part[lt + 1 : gt if gt > 0 else None].strip()))
    return out


def _addresses(fields: Fields, name: str) -> tuple[str, ...]:
    pairs = _address_pairs(fields.get_all(name))
    return tuple(dict.fromkeys(addr.lower() for _, addr in pairs if "@" in addr))


def _ids(value: object) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_MSGID.findall(str(value or ""))))


def _date(value: object) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def classify(msg: Fields, from_addr: str) -> str:
    """`auto_reply`, `bounce`, `list` or `normal`, from headers alone (RFC 3834, RFC 3464)."""
    content_type = str(msg.get("Content-Type", "")).lower()
    if "multipart/report" in content_type and "delivery-status" in content_type:
        return "bounce"
    if from_addr.startswith(("mailer-daemon@", "postmaster@")):
        return "bounce"
    auto = str(msg.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(msg.get("Precedence", "")).strip().lower()
    if (auto and auto != "no") or msg.get("X-Autoreply") or precedence == "auto_reply":
        return "auto_reply"
    if msg.get("X-Auto-Response-Suppress") and _AUTO_SUBJECT.match(_text(msg.get("Subject"))):
        return "auto_reply"
    if _AUTO_SUBJECT.match(_text(msg.get("Subject"))):
        return "auto_reply"
    if msg.get("List-Id") or msg.get("List-Unsubscribe") or precedence in ("bulk", "list", "junk"):
        return "list"
    return "normal"


def is_noreply(address: str) -> bool:
    return bool(_NOREPLY.match(address))


def parse(block: bytes, fallback_date: datetime | None = None) -> Header:
    """Parse a raw header block (or a whole message; the body is ignored)."""
    fields = Fields(block)
    ids = _ids(fields.get("Message-ID"))
    message_id = (
        ids[0] if ids else "<synthetic-" + hashlib.sha256(block).hexdigest()[:24] + "@inbox-agent>"
    )
    senders = _address_pairs(fields.get_all("From"))
    from_name, from_addr = senders[0] if senders else ("", "")
    from_addr = from_addr.lower()
    return Header(
        message_id=message_id,
        in_reply_to=_ids(fields.get("In-Reply-To")),
        references=_ids(" ".join(fields.get_all("References"))),
        subject=_text(fields.get("Subject")).strip(),
        from_addr=from_addr,
        from_name=from_name.strip('"'),
        to=_addresses(fields, "To"),
        cc=_addresses(fields, "Cc"),
        reply_to=_addresses(fields, "Reply-To"),
        date=_date(fields.get("Date")) or fallback_date,
        kind=classify(fields, from_addr),
        agent_id=str(fields.get(AGENT_HEADER, "")).strip(),
    )
