"""The state on disk: one SQLite file (`Store`: the schema, its migrations and every SQL
statement) and the hash-chained audit log written in the same transaction as each change
(`audit`).
"""

from inbox_agent.store import audit
from inbox_agent.store.db import Store, StoredMessage

__all__ = ["Store", "StoredMessage", "audit"]
