"""The rows the store hands out, as typed, frozen records; and the shapes of what it is given.

A column's text becomes its field's type as a row is read (`decode`): an ISO time an aware
datetime, a JSON list a tuple (a frozenset where order means nothing), a state its StrEnum, 0 or
1 a bool. The `New…` and `…Changes` dictionaries are what inserts and updates accept; the store
turns their values back into column text. Field names are the column names.
"""

from __future__ import annotations

import json
import types
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from enum import Enum
from typing import Any, NotRequired, TypedDict, TypeVar, Union, get_args, get_origin, get_type_hints

from inbox_agent.mail.headers import Header
from inbox_agent.store.states import DraftState, OutboxState, SequenceState


@dataclass(frozen=True, slots=True)
class SequenceRow:
    """One followed thread: the planner's input, and what `threads` and the tray show."""

    id: int
    account: str
    anchor_message_id: str  # the user's message that waits for an answer
    thread_key: str
    subject: str
    state: SequenceState
    touches_sent: int
    last_touch_at: datetime
    next_due_at: datetime | None
    seen_ids: frozenset[str]  # every message of the thread the planner has taken into account
    participants: tuple[str, ...]
    reason: str
    created_at: datetime
    updated_at: datetime
    downgraded: str  # why the thread was first kept off Autopilot, "" when it never was


@dataclass(frozen=True, slots=True)
class DraftRow:
    """One nudge we wrote, where it was saved, and how it was decided."""

    id: int
    account: str
    sequence_id: int
    touch: int
    message_id: str
    agent_id: str  # our X-Inbox-Agent header: finds the draft when a server rewrites Message-IDs
    folder: str
    uidvalidity: int | None
    uid: int | None
    subject: str
    body: str
    raw_sha256: str  # of the message as saved: a different hash means the user edited it
    recipients: tuple[str, ...]
    autonomy: str  # the level it was drafted under: manual, copilot or autopilot
    drafter: str
    html: bool
    state: DraftState
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One send: scheduled, under way, or done."""

    id: int
    account: str
    draft_id: int
    sequence_id: int
    message_id: str
    state: OutboxState
    not_before: datetime
    attempts: int
    last_error: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class FolderRow:
    """What the last sync of one folder saw (`save_folder_state` always writes all but the
    modseq, which a server without CONDSTORE lacks)."""

    account: str
    name: str
    role: str
    uidvalidity: int
    uidnext: int
    highestmodseq: int | None
    synced_at: datetime
    messages: int | None = None  # how many of its messages the store holds (None: not counted)


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One line of the audit log. `at` and the states stay the text that was written: the hash
    chain covers that text, and the states belong to different machines (or are autonomy levels)."""

    id: int
    at: str
    actor: str
    action: str
    account: str
    sequence_id: int | None
    draft_id: int | None
    message_id: str
    state_before: str
    state_after: str
    reason: str
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A message as the store keeps it: its header facts and where it lives."""

    folder: str
    uid: int
    header: Header
    flags: tuple[str, ...]


class NewSequence(TypedDict):
    account: str
    anchor_message_id: str
    thread_key: str
    subject: str
    state: SequenceState
    touches_sent: int
    last_touch_at: datetime
    next_due_at: datetime | None
    seen_ids: Collection[str]
    participants: Sequence[str]
    reason: str
    created_at: datetime
    updated_at: datetime


class SequenceChanges(TypedDict, total=False):
    state: SequenceState
    touches_sent: int
    last_touch_at: datetime
    next_due_at: datetime | None
    seen_ids: Collection[str]
    reason: str
    updated_at: datetime
    downgraded: str


class NewDraft(TypedDict):
    account: str
    sequence_id: int
    touch: int
    message_id: str
    agent_id: str
    folder: str
    uidvalidity: int | None
    uid: int | None
    subject: str
    body: str
    raw_sha256: str
    recipients: Sequence[str]
    autonomy: str
    drafter: str
    html: bool
    state: DraftState
    created_at: datetime
    updated_at: datetime


class DraftChanges(TypedDict, total=False):
    uid: int | None
    state: DraftState
    updated_at: datetime


class NewSend(TypedDict):
    account: str
    draft_id: int
    sequence_id: int
    message_id: str
    state: OutboxState
    not_before: datetime
    attempts: NotRequired[int]
    created_at: datetime
    updated_at: datetime


class SendChanges(TypedDict, total=False):
    state: OutboxState
    not_before: datetime
    attempts: int
    last_error: str
    updated_at: datetime


R = TypeVar("R", SequenceRow, DraftRow, OutboxRow, FolderRow, AuditRow)
_Convert = Callable[[Any], Any]


def decode(record: type[R], names: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[R]:
    """Rows of `names` columns as records; every column must be a field of `record`."""
    convert = _converters(record)
    picks = [convert[name] for name in names]
    return [record(**{n: c(v) for n, c, v in zip(names, picks, row, strict=True)}) for row in rows]


def encode(value: object) -> object:
    """A field's value as its column holds it."""
    if isinstance(value, frozenset | set):
        return json.dumps(sorted(value))
    if isinstance(value, tuple | list):
        return json.dumps(list(value))
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bool):
        return int(value)
    return value


_CONVERTERS: dict[type[Any], dict[str, _Convert]] = {}


def _converters(record: type[Any]) -> dict[str, _Convert]:
    if record not in _CONVERTERS:
        hints = get_type_hints(record)
        _CONVERTERS[record] = {f.name: _converter(hints[f.name]) for f in fields(record)}
    return _CONVERTERS[record]


def _converter(hint: Any) -> _Convert:
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, types.UnionType):
        inner = _converter(next(a for a in args if a is not type(None)))
        return lambda v: None if v is None else inner(v)
    if hint is datetime:
        return datetime.fromisoformat
    if hint is bool:
        return bool
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint
    if origin is tuple:
        return lambda v: tuple(json.loads(v))
    if origin is frozenset:
        return lambda v: frozenset(json.loads(v))
    return lambda v: v
