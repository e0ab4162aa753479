"""The sync's header FETCH, read straight off the connection: pipelined, and parsed without
imaplib's per-line machinery.

A first sync of a big mailbox is hundreds of FETCH commands in a row, and each costs two things:
the server's time to answer it, and ours to read and parse the answer. `header_batches` sends
the next batch's UID FETCH before it hands back this one (RFC 3501 §5.5: UID commands may be
pipelined), so the server answers one batch while the caller parses and stores the one before.
Each answer is read here with one readline and one read per message, where imaplib would match
every line against its patterns and log it; the items of each message are taken by one pattern
for the order servers send them in, and the general scan for any other order.

Whatever is left in flight when the caller stops early (an error while storing) is read off and
dropped, so the session can go on. An answer this module cannot read raises `Unreadable` before
anything of it is handed back; the caller fetches that batch again another way.
"""

from __future__ import annotations

import imaplib
import re
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import suppress
from datetime import datetime, timedelta, timezone
from typing import Any, BinaryIO, cast

from imapclient.datetime_util import parse_to_datetime

from inbox_agent.sync.failures import EDGE_ERRORS
from inbox_agent.sync.mailbox import Fetched

_MAX_LINE = 1_000_000  # as imaplib: a longer line is a broken or hostile server
# Dovecot's, Cyrus's and Gmail's order of the items asked for; any other order takes _ITEM
_USUAL = re.compile(
    rb'\* \d+ FETCH \(UID (\d+) RFC822\.SIZE (\d+) FLAGS \(([^)]*)\) INTERNALDATE "([^"]+)" '
)
_ITEM = re.compile(
    rb'UID (\d+)|RFC822\.SIZE (\d+)|FLAGS \(([^)]*)\)|INTERNALDATE "([^"]+)"|X-GM-THRID (\d+)'
)
_THRID = re.compile(rb"X-GM-THRID (\d+)")
_LITERAL = re.compile(rb"\{(\d+)\}\r\n$")
_INTERNAL = re.compile(
    rb"^ ?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)$"
)
_MONTHS = {
    m.encode(): i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
# system flags are case-insensitive (RFC 3501 2.3.2); a server may send `\draft`, and the rest of
# the program compares them as strings, so they are spelled one way from here on
SYSTEM_FLAGS = {
    f.lower(): f for f in ("\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft", "\\Recent")
}


class Unreadable(ValueError):
    """Raised when a FETCH answer is not in a form this module reads; nothing of that batch
    was handed back."""


def header_batches(
    imap: imaplib.IMAP4, batches: Sequence[Sequence[int]], items: str, literal_key: bytes
) -> Iterator[dict[int, Fetched]]:
    """For each UID batch, in order: UID -> what was fetched (UIDs the server no longer has
    are left out). Two FETCH commands are kept in flight. `items` is the parenthesised item
    list; `literal_key` starts the name of the item whose literal is the header block."""
    pending: deque[tuple[set[int], bytes]] = deque()
    queue = iter(batches)

    def send() -> None:
        batch = next(queue, None)
        if batch:
            tag = imap._command("UID", "FETCH", uid_set(batch), items)
            pending.append((set(batch), tag))

    # a server may answer the next command before it completes this one (Dovecot does): the
    # answers are pooled by UID, and a batch is handed back once its command completed
    pool: dict[int, Fetched] = {}
    bare: set[int] = set()  # UIDs answered without the header fields (a flag change)
    try:
        send()
        send()
        while pending:
            wanted, tag = pending.popleft()
            answers = _answers(imap, tag)
            send()  # the server works on it while this one is parsed and stored
            _parse(answers, literal_key, pool, bare)
            if any(uid in bare and uid not in pool for uid in wanted):
                raise Unreadable("the header fields of a message came in no literal")
            yield {uid: pool.pop(uid) for uid in sorted(wanted) if uid in pool}
            bare -= wanted
    finally:
        for _wanted, tag in pending:  # stopped early: what is in flight is read and dropped
            with suppress(*EDGE_ERRORS):
                _answers(imap, tag)


def _answers(imap: imaplib.IMAP4, tag: bytes) -> list[tuple[bytes, bytes, bytes]]:
    """The untagged FETCH answers up to `tag`'s completion, each as (the text before its
    literal, the literal, the text after it); other untagged answers are passed over."""
    stream = cast(BinaryIO, imap.file)  # the socket's buffered reader (typeshed says text)
    readline, read = stream.readline, stream.read
    done = tag + b" "
    out: list[tuple[bytes, bytes, bytes]] = []
    odd = False  # an answer with two literals: read to the end, then refused
    while True:
        line = readline(_MAX_LINE)
        if not line.endswith(b"\n"):
            raise imaplib.IMAP4.abort("the connection closed, or a line was too long, in FETCH")
        if line.startswith(done):
            imap.tagged_commands.pop(tag, None)
            status = line[len(done) :].split(b" ", 1)[0]
            if status != b"OK":
                said = line[len(done) :].decode(errors="replace").strip()
                raise imaplib.IMAP4.error(f"FETCH answered {said}")
            if odd:
                raise Unreadable("more than one literal in one FETCH answer")
            return out
        if line.startswith(b"* BYE"):
            raise imaplib.IMAP4.abort(line.decode(errors="replace").strip())
        head, literal, tail = line, b"", b""
        found = _LITERAL.search(line)
        if found:
            head, literal = line[: found.start()], _literal(read, int(found.group(1)))
            tail = readline(_MAX_LINE)
            while (more := _LITERAL.search(tail)) is not None:  # read past it, to the end
                odd = True
                _literal(read, int(more.group(1)))
                tail = readline(_MAX_LINE)
            if not tail.endswith(b"\n"):
                raise imaplib.IMAP4.abort("the connection closed after a FETCH literal")
        if b" FETCH " in head[:24]:
            out.append((head, literal, tail))


def _literal(read: Any, size: int) -> bytes:
    data: bytes = read(size)
    if len(data) != size:
        raise imaplib.IMAP4.abort("the connection closed inside a FETCH literal")
    return data


def _parse(
    answers: list[tuple[bytes, bytes, bytes]],
    literal_key: bytes,
    out: dict[int, Fetched],
    bare: set[int],
) -> None:
    """Each answer into `out` by UID; the UIDs of answers without the header fields (a flag
    change another session made, or a server that sent them otherwise) into `bare`."""
    for head, literal, tail in answers:
        usual = _USUAL.match(head)
        thrid = b""
        if usual is not None:
            uid_b, size_b, flags_b, internal_b = usual.groups()
            if b"X-GM-THRID" in head or b"X-GM-THRID" in tail:
                match = _THRID.search(head) or _THRID.search(tail)
                thrid = match.group(1) if match else b""
        else:
            got: dict[int, bytes] = {}
            for match in _ITEM.finditer(head + b" " + tail):
                for i, value in enumerate(match.groups()):
                    if value is not None:
                        got[i] = value
            if 0 not in got:
                continue  # an unsolicited FETCH (another session's flag change): not ours
            uid_b, size_b, flags_b = got[0], got.get(1, b"0"), got.get(2, b"")
            internal_b, thrid = got.get(3, b""), got.get(4, b"")
        uid = int(uid_b)
        if literal_key not in head:  # no literal (a quoted string?), or another item's
            bare.add(uid)
            continue
        out[uid] = Fetched(
            header=literal,
            flags=flags(flags_b),
            size=int(size_b),
            internaldate=internaldate(internal_b) if internal_b else None,
            thread_hint=thrid.decode() if thrid else "",
        )


def uid_set(uids: Sequence[int]) -> str:
    """`[1, 2, 3, 7, 9, 10]` as `1:3,7,9:10`: short commands whatever the batch."""
    ranges: list[str] = []
    ordered = sorted(set(uids))
    start = prev = ordered[0]
    for uid in [*ordered[1:], -1]:
        if uid == prev + 1:
            prev = uid
            continue
        ranges.append(f"{start}:{prev}" if prev != start else str(start))
        start = prev = uid
    return ",".join(ranges)


_FLAGS: dict[bytes, tuple[str, ...]] = {}  # a mailbox has a few dozen sets of flags in all


def flags(raw: bytes) -> tuple[str, ...]:
    """A FLAGS list's text as the flags the program compares (system flags spelled one way)."""
    known = _FLAGS.get(raw)
    if known is None:
        known = spelled(raw.split())
        if len(_FLAGS) < 4096:
            _FLAGS[raw] = known
    return known


def spelled(raw: Sequence[Any]) -> tuple[str, ...]:
    texts = (f.decode(errors="replace") if isinstance(f, bytes) else str(f) for f in raw)
    return tuple(SYSTEM_FLAGS.get(t.lower(), t) for t in texts)


_ZONES: dict[bytes, timezone] = {}


def internaldate(raw: bytes) -> datetime | None:
    """INTERNALDATE (`03-Dec-2026 16:15:48 +0100`) with the server's offset; imapclient's
    parser for any other form; None when neither reads it."""
    match = _INTERNAL.match(raw)
    if match is None:
        try:
            parsed: datetime = parse_to_datetime(raw, normalise=False)
            return parsed
        except (ValueError, TypeError, IndexError):
            return None
    day, month, year, hour, minute, second, sign, zh, zm = match.groups()
    zone = _ZONES.get(sign + zh + zm)
    if zone is None:
        offset = timedelta(hours=int(zh), minutes=int(zm))
        zone = _ZONES.setdefault(sign + zh + zm, timezone(-offset if sign == b"-" else offset))
    number = _MONTHS.get(month.capitalize())
    try:
        if number is None:
            raise ValueError(month)
        return datetime(
            int(year), number, int(day), int(hour), int(minute), int(second), tzinfo=zone
        )
    except ValueError:
        return None
