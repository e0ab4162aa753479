"""How a stored message is spelled in its row: the columns read back, the joined lists (ids and
flags by spaces, addresses by the unit separator) and the row decoded, positionally, into a
`StoredMessage` (this runs once per message read, so it is kept lean).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from inbox_agent.mail.headers import Header
from inbox_agent.store.records import StoredMessage

MESSAGE_COLUMNS = (
    "folder, uid, message_id, in_reply_to, refs, subject, from_addr, from_name, to_addrs, cc_addrs, "
    "reply_to, date, kind, agent_id, thrid, flags"
)
MESSAGE_COLUMNS_OF_M = ", ".join(f"m.{c.strip()}" for c in MESSAGE_COLUMNS.split(","))
_intern = sys.intern


def join_words(values: Iterable[str]) -> str:
    # Message-IDs and flags never hold a space: a joined string reads back far
    # faster than JSON, and sync and the thread index read every row
    return " ".join(values)


def split_words(text: str) -> tuple[str, ...]:
    return tuple(map(_intern, text.split())) if text else ()


# An address can hold a space ("carol x"@example.net): address lists are joined with the unit
# separator, which no normalised address holds (mail.addresses refuses every control)
ADDRESS_SEPARATOR = "\x1f"


def join_addresses(values: Iterable[str]) -> str:
    return ADDRESS_SEPARATOR.join(values)


def split_addresses(text: str) -> tuple[str, ...]:
    return tuple(map(_intern, text.split(ADDRESS_SEPARATOR))) if text else ()


def message_from_row(row: Sequence[Any]) -> StoredMessage:
    # positional, in Header's field order: this runs once per message when the index is built
    (folder, uid, mid, irt, refs, subject, from_addr, from_name, to, cc, reply_to, date, kind,
     agent_id, thrid, flags) = row  # fmt: skip
    header = Header(
        mid,
        tuple(map(_intern, irt.split())) if irt else (),
        tuple(map(_intern, refs.split())) if refs else (),
        _intern(subject),
        _intern(from_addr),
        _intern(from_name),
        split_addresses(to),
        split_addresses(cc),
        split_addresses(reply_to),
        datetime.fromisoformat(date) if date else None,
        _intern(kind),
        agent_id,
        thrid,
    )
    return StoredMessage(_intern(folder), int(uid), header, split_words(flags))
