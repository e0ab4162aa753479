from inbox_agent.store.db import (
    SCHEMA_VERSION,
    Store,
    StoredMessage,
)

__all__ = [
    "SCHEMA_VERSION",
    "Store",
    "StoredMessage",
]
