"""The autonomy gate: which level (Observe, Copilot, Autopilot) applies to a nudge, the most
specific scope winning, and what that level lets the engine do with it. Pure.
"""

from inbox_agent.gate.autonomy import (
    DRAFT_STATE,
    SEQUENCE_STATE,
    Decision,
    Rules,
    check_level,
    decide,
    parse_scope,
)

__all__ = [
    "DRAFT_STATE",
    "SEQUENCE_STATE",
    "Decision",
    "Rules",
    "check_level",
    "decide",
    "parse_scope",
]
