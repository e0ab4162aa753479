"""The one clock. Every module asks `now()`; tests and `--as-of` move it instead of sleeping.

`INBOX_AGENT_NOW` (an ISO 8601 time) pins the clock for a whole process, so that a CLI run in a
subprocess can replay a mailbox as of a given moment. `set_now()` / `advance()` move it in-process.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

_override: datetime | None = None
_offset = timedelta(0)


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 time; a time without a zone is read as UTC."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def now() -> datetime:
    """The current time, always timezone-aware (UTC)."""
    if _override is not None:
        return _override + _offset
    pinned = os.environ.get("INBOX_AGENT_NOW")
    base = parse_instant(pinned) if pinned else datetime.now(UTC)
    return base + _offset


def set_now(value: datetime | None) -> None:
    """Pin the clock to `value` (None returns to the real clock) and clear any offset."""
    global _override, _offset
    _override = value.astimezone(UTC) if value is not None else None
    _offset = timedelta(0)


def advance(delta: timedelta) -> None:
    """Move the clock forward (or back) by `delta`, whether it is pinned or real."""
    global _offset
    _offset += delta
