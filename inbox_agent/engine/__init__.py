from inbox_agent.engine.engine import (
    OPEN_DRAFT_STATES,
    UNDO_WINDOW,
    Engine,
    TickReport,
    normalized_sha256,
)

__all__ = [
    "OPEN_DRAFT_STATES",
    "UNDO_WINDOW",
    "Engine",
    "TickReport",
    "normalized_sha256",
]
