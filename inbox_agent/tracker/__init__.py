from inbox_agent.tracker.threads import (
    SUBJECT_WINDOW,
    Judgement,
    Thread,
    ThreadIndex,
    build_threads,
    judge,
    last_human,
    normalize_subject,
)

__all__ = [
    "SUBJECT_WINDOW",
    "Judgement",
    "Thread",
    "ThreadIndex",
    "build_threads",
    "judge",
    "last_human",
    "normalize_subject",
]
