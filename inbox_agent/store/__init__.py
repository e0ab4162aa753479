"""The state on disk: one SQLite file (`Store`: every SQL statement, returning typed records;
`schema`: its tables and migrations), the three state machines whose every write the store
checks against their transition tables (`states`), and the hash-chained audit log written in
the same transaction as each change (`audit`).
"""

from inbox_agent.store import audit
from inbox_agent.store.db import Store
from inbox_agent.store.records import (
    AuditRow,
    DraftRow,
    FolderRow,
    OutboxRow,
    SequenceChanges,
    SequenceRow,
    StoredMessage,
)
from inbox_agent.store.states import (
    ACTIVE_SEQUENCES,
    ENDED_SEQUENCES,
    OPEN_DRAFTS,
    DraftState,
    Event,
    OutboxState,
    SequenceState,
)

__all__ = [
    "ACTIVE_SEQUENCES",
    "ENDED_SEQUENCES",
    "OPEN_DRAFTS",
    "AuditRow",
    "DraftRow",
    "DraftState",
    "Event",
    "FolderRow",
    "OutboxRow",
    "OutboxState",
    "SequenceChanges",
    "SequenceRow",
    "SequenceState",
    "Store",
    "StoredMessage",
    "audit",
]
