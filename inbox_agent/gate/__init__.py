from inbox_agent.gate.autonomy import (
    DRAFT_STATE,
    SCOPE_KINDS,
    SEQUENCE_STATE,
    Decision,
    Rules,
    check_level,
    decide,
    parse_scope,
)

__all__ = [
    "DRAFT_STATE",
    "SCOPE_KINDS",
    "SEQUENCE_STATE",
    "Decision",
    "Rules",
    "check_level",
    "decide",
    "parse_scope",
]
