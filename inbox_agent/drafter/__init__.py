"""The words of a nudge: the `Drafter` seam and its records (`request`), the model and offline
writers (`writers`; the offline drafter in `offline`, its words per language in `lines`, what
they may name in `grounding`), the prompt built from the shipped templates (`prompt`) and the
checks on what a model wrote (`guard`), and a model's second opinion on a message the rules
left unsure (`judge`). `openai` is imported only when an LLM drafter first drafts.
"""

from inbox_agent.drafter.guard import similarity
from inbox_agent.drafter.judge import llm_verdict
from inbox_agent.drafter.request import Draft, Drafter, DraftRequest, Quoted
from inbox_agent.drafter.writers import (
    LlmDrafter,
    OfflineDrafter,
    make_drafter,
    prepare,
    steering_in,
)

__all__ = [
    "Draft",
    "DraftRequest",
    "Drafter",
    "LlmDrafter",
    "OfflineDrafter",
    "Quoted",
    "llm_verdict",
    "make_drafter",
    "prepare",
    "similarity",
    "steering_in",
]
