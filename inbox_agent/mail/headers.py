"""A header block in, a small `Header` record out; and what kind of message it is.

Pure and forgiving: broken encodings, missing Message-IDs and odd dates never raise. A message
with no Message-ID gets a stable synthetic one derived from its content, so it can still thread.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.header import decode_header, make_header
from email.utils import parsedate_to_datetime

from inbox_agent.mail.addresses import address_pairs

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

MSGID = re.compile(r"<[^<>\s\x00-\x1f\x7f]+>")  # one Message-ID, fit for a header
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
    trouble: tuple[str, ...] = ()  # what could not be read, and what was used instead


_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile(r"[\r\n\t]")
_MAX_TEXT = 2_000  # a Subject or a name longer than this is junk; the nudge keeps the start
_MAX_LIST = 1_000_000  # an address list is read in full up to here (its parse is bounded)


def clean(text: str) -> str:
    """One header value made safe to store and to write into a header again: CR, LF and TAB
    become spaces, NUL and every other C0/C1 control is dropped."""
    return _CONTROLS.sub("", _LINE_BREAKS.sub(" ", text))


def _decode_words(raw: str, field: str, trouble: list[str]) -> str:
    """Encoded words (RFC 2047), each decoded on its own: a bad charset costs that word."""
    try:
        return str(make_header(decode_header(raw)))
    except Exception:  # a word the whole-value decoding refuses; read them one at a time
        pass
    out: list[str] = []
    try:
        parts = decode_header(raw)
    except Exception:  # not even split into words: keep the text as it came
        trouble.append(f"{field}: its encoded words cannot be split; kept as written")
        return raw
    failed = 0
    for data, charset in parts:
        if isinstance(data, str):
            out.append(data)
            continue
        try:
            out.append(data.decode(charset or "ascii"))
        except (LookupError, UnicodeDecodeError):
            failed += 1
            out.append(data.decode("utf-8", "replace"))
    if failed:
        trouble.append(
            f"{field}: {failed} encoded words in an unknown or wrong charset; read as UTF-8"
        )
    return "".join(out)


def _text(
    value: object, field: str = "", trouble: list[str] | None = None, limit: int = _MAX_TEXT
) -> str:
    if value is None:
        return ""
    raw = str(value)
    sink: list[str] = [] if trouble is None else trouble
    text = _decode_words(raw, field, sink) if "=?" in raw else raw
    text = clean(text)
    if len(text) > limit:
        sink.append(f"{field}: {len(text)} characters long; kept the first {limit}")
        text = text[:limit]
    return text


_FOLD = re.compile(rb"\r?\n[ \t]+")
_END = re.compile(rb"\r?\n\r?\n")
_WATCHED = frozenset(f.lower() for f in FIELDS)
_FIELD_LINE = re.compile(r"^([^:\n]*):([^\n]*)", re.MULTILINE)  # a name, the value after it


def _decode_line(line: bytes) -> tuple[str, bool, bool]:
    """One header line: UTF-8 where it is UTF-8; each stray byte read as Windows-1252 (the
    8-bit charset mail really uses), except 0x80, which is how Dovecot serves a NUL: it is
    dropped. Also says whether any byte was read as Windows-1252, and whether a NUL went."""
    if b"\x00" in line:
        return _decode_line(line.replace(b"\x00", b""))[0], False, True
    try:
        return line.decode("utf-8"), False, False
    except UnicodeDecodeError:
        pass
    text = line.decode("utf-8", "surrogateescape")
    out: list[str] = []
    legacy = nul = False
    for ch in text:
        if "\udc80" <= ch <= "\udcff":
            byte = bytes([ord(ch) - 0xDC00])
            if byte == b"\x80":
                nul = True
                continue
            legacy = True
            try:
                out.append(byte.decode("cp1252"))
            except UnicodeDecodeError:
                out.append(byte.decode("latin-1"))
        else:
            out.append(ch)
    return "".join(out), legacy, nul


class Fields:
    """A header block as a case-insensitive multi-map. A hand parser: sync reads every header
    block in the mailbox, and this is several times faster than `email.parser` for the job.

    Each line is decoded on its own (one Latin-1 header does not turn the others into
    mojibake); a bare CR inside a line is read as a space. `trouble` says what needed a
    fallback, for the fields sync reads."""

    def __init__(self, block: bytes, by_lines: bool = False) -> None:
        end = _END.search(block)
        head = _FOLD.sub(b" ", block[: end.start()] if end else block)
        self._data: dict[str, list[str]] = {}
        self.trouble: list[str] = []
        try:
            text = head.decode("utf-8")
        except UnicodeDecodeError:
            text = ""
        if by_lines or not text or "\x00" in text or text.count("\r") != text.count("\r\n"):
            self._by_lines(head)
            return
        # the common case (UTF-8, no NUL, no bare CR) in one pass of one pattern: the same
        # fields and values as `_by_lines` makes of it (tests/test_headers_fast.py)
        data = self._data
        for name, value in _FIELD_LINE.findall(text):
            if name and " " not in (key := name.strip()):
                data.setdefault(key.lower(), []).append(value.strip())

    def _by_lines(self, head: bytes) -> None:
        try:  # the whole block at once; else each line on its own
            lines = [(line, False, False) for line in head.decode("utf-8").split("\n")]
        except UnicodeDecodeError:
            lines = [_decode_line(raw) for raw in head.split(b"\n")]
        for line, legacy, nul in lines:
            if nul or "\x00" in line:
                line, nul = line.replace("\x00", ""), True
            if line.endswith("\r"):
                line = line[:-1]
            name, sep, value = line.partition(":")
            if sep and name and " " not in name.strip():
                key, field = name.strip().lower(), name.strip()
                if key in _WATCHED and legacy:
                    self.trouble.append(f"{field}: not UTF-8; read as Windows-1252")
                if key in _WATCHED and nul:
                    self.trouble.append(f"{field}: held a NUL; removed")
                if "\r" in value:
                    if key in _WATCHED:
                        self.trouble.append(f"{field}: held a bare CR; read as a space")
                    value = clean(value)
                self._data.setdefault(key, []).append(value.strip())

    def get(self, name: str, default: str | None = None) -> str | None:
        values = self._data.get(name.lower())
        return values[0] if values else default

    def get_all(self, name: str) -> list[str]:
        return self._data.get(name.lower(), [])


def _addresses(fields: Fields, name: str, trouble: list[str]) -> tuple[str, ...]:
    pairs: list[tuple[str, str]] = []
    for value in fields.get_all(name):
        pairs += address_pairs(name, _text(value, name, trouble, _MAX_LIST), trouble)
    return tuple(dict.fromkeys(addr for _, addr in pairs))


def _ids(value: object) -> tuple[str, ...]:
    return tuple(dict.fromkeys(MSGID.findall(str(value or ""))))


_MAX_REFERENCES = 500


def _references(fields: Fields, trouble: list[str]) -> tuple[str, ...]:
    """References, the root and the newest ones when there are very many (threading needs
    those; RFC 5322 3.6.4)."""
    refs = _ids(" ".join(fields.get_all("References")))
    if len(refs) > _MAX_REFERENCES:
        trouble.append(
            f"References: {len(refs)} ids; kept the first and the last {_MAX_REFERENCES - 1}"
        )
        refs = refs[:1] + refs[-(_MAX_REFERENCES - 1) :]
    return refs


# A date outside these is not believed: before any mail was sent, or so far ahead that the
# cadence arithmetic (a date plus days) would leave the calendar.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


# the form nearly every client writes (RFC 5322 3.3), read without the general parser: sync
# reads a Date per message; anything else (obsolete forms, -0000, names of zones) takes it
_USUAL_DATE = re.compile(
    r"(?:[A-Za-z]{3}, *)?(\d{1,2}) ([A-Za-z]{3}) (\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)"
)
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_ZONES: dict[str, timezone] = {}


def _usual_date(text: str) -> datetime | None:
    """`text` in the usual form, as `parsedate_to_datetime` reads it; None when it is not."""
    match = _USUAL_DATE.fullmatch(text)
    if match is None:
        return None
    day, month, year, hour, minute, second, sign, zh, zm = match.groups()
    number = _MONTHS.get(month.lower())
    if number is None or (sign == "-" and zh == zm == "00"):  # -0000: no zone (RFC 5322)
        return None
    zone = _ZONES.get(sign + zh + zm)
    if zone is None:
        offset = timedelta(hours=int(zh), minutes=int(zm))
        zone = _ZONES.setdefault(sign + zh + zm, timezone(-offset if sign == "-" else offset))
    try:
        return datetime(
            int(year), number, int(day), int(hour), int(minute), int(second), tzinfo=zone
        )
    except ValueError:  # 31 Feb, 25:00: the general parser says what it makes of it
        return None


def _date(value: object, trouble: list[str]) -> datetime | None:
    if not value:
        return None
    usual = _usual_date(str(value).strip())
    try:
        parsed = usual or parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError, OverflowError):
        trouble.append(f"Date: {str(value)[:60]!r} cannot be read; using the arrival time")
        return None
    if parsed is None:  # older Pythons return None instead of raising
        trouble.append(f"Date: {str(value)[:60]!r} cannot be read; using the arrival time")
        return None
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    try:
        sane = EARLIEST <= parsed.astimezone(UTC) <= LATEST
    except OverflowError:
        sane = False
    if not sane:
        trouble.append(f"Date: {parsed.isoformat()} is out of range; using the arrival time")
        return None
    return parsed


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
    """Parse a raw header block (or a whole message; the body is ignored). Never raises on
    what a mailbox holds: a header that cannot be read costs only that header, and
    `Header.trouble` says what was done instead."""
    fields = Fields(block)
    trouble = fields.trouble
    ids = _ids(fields.get("Message-ID"))
    message_id = (
        ids[0] if ids else "<synthetic-" + hashlib.sha256(block).hexdigest()[:24] + "@inbox-agent>"
    )
    senders: list[tuple[str, str]] = []
    for value in fields.get_all("From"):
        senders += address_pairs("From", _text(value, "From", trouble, _MAX_LIST), trouble)
    from_name, from_addr = senders[0] if senders else ("", "")
    subject = _text(fields.get("Subject"), "Subject", trouble).strip()
    return Header(
        message_id=message_id,
        in_reply_to=_ids(fields.get("In-Reply-To")),
        references=_references(fields, trouble),
        subject=subject,
        from_addr=from_addr,
        from_name=clean(from_name).strip().strip('"'),
        to=_addresses(fields, "To", trouble),
        cc=_addresses(fields, "Cc", trouble),
        reply_to=_addresses(fields, "Reply-To", trouble),
        date=_date(fields.get("Date"), trouble) or fallback_date,
        kind=classify(fields, from_addr),
        agent_id=clean(str(fields.get(AGENT_HEADER, ""))).strip(),
        trouble=tuple(dict.fromkeys(trouble)),
    )
