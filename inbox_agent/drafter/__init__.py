from inbox_agent.drafter.writers import (
    Draft,
    Drafter,
    DraftRequest,
    LlmDrafter,
    OfflineDrafter,
    compose_body,
    core_of,
    make_drafter,
    prepare,
    steering_in,
    thread_language,
)

__all__ = [
    "Draft",
    "DraftRequest",
    "Drafter",
    "LlmDrafter",
    "OfflineDrafter",
    "compose_body",
    "core_of",
    "make_drafter",
    "prepare",
    "steering_in",
    "thread_language",
]
