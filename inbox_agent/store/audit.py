"""The audit log: append-only, one row per action, each row holding the hash of the one before.

`record()` must be called inside the `Store.tx()` that makes the change it records. `verify()`
recomputes the chain and names the first row that was edited, deleted or reordered.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from inbox_agent import clock
from inbox_agent.store.db import Store

_CHAINED = (
    "at",
    "actor",
    "action",
    "account",
    "sequence_id",
    "draft_id",
    "message_id",
    "state_before",
    "state_after",
    "reason",
    "prev_hash",
)


def _digest(row: Mapping[str, Any]) -> str:
    canonical = json.dumps(
        {k: row[k] for k in _CHAINED}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def record(
    store: Store,
    *,
    actor: str,
    action: str,
    account: str,
    reason: str = "",
    sequence_id: int | None = None,
    draft_id: int | None = None,
    message_id: str = "",
    before: str = "",
    after: str = "",
) -> int:
    """Append one audit row. `actor` is daemon, cli, tray or user (their own mail client)."""
    row: dict[str, Any] = {
        "at": clock.now().isoformat(),
        "actor": actor,
        "action": action,
        "account": account,
        "sequence_id": sequence_id,
        "draft_id": draft_id,
        "message_id": message_id,
        "state_before": str(before),  # a state's StrEnum is written as its text
        "state_after": str(after),
        "reason": reason,
        "prev_hash": store.last_audit_hash(),
    }
    row["hash"] = _digest(row)
    return store.add_audit(row)


def verify(store: Store) -> list[str]:
    """Every break in the chain, as sentences; an empty list means the log is intact."""
    problems: list[str] = []
    previous = ""
    for row in store.audit_rows():
        if row.prev_hash != previous:
            problems.append(
                f"row {row.id}: does not follow the row before it (a row was deleted or reordered)"
            )
        if _digest(asdict(row)) != row.hash:
            problems.append(
                f"row {row.id}: its content does not match its hash (the row was edited)"
            )
        previous = row.hash
    return problems
