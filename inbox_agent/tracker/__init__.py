"""Threads and what they need, pure. Threads are built from the headers (`threads`); whether a
thread starts a sequence (`start`), the sequence rules (`sequence`) and the one decision over
both (`decision`: `assess` one thread, `assessments` for all, the `bodies_needed` to read and
the `next_wakeup`); how each person answers the user (`habits`); `replay` rewinds the sequences
to an earlier moment for `--as-of`.
"""

from inbox_agent.tracker import decision, habits
from inbox_agent.tracker.decision import (
    Assessment,
    Wakeup,
    assess,
    assessments,
    bodies_needed,
    next_wakeup,
)
from inbox_agent.tracker.replay import Event, as_of
from inbox_agent.tracker.sequence import (
    DISMISS_KEYWORD,
    FOLLOWUP_KEYWORD,
    Action,
    Context,
    Due,
    End,
    Observe,
    Pause,
    Start,
    Touched,
    asked_from,
)
from inbox_agent.tracker.threads import (
    CONSECUTIVE_WINDOW,
    SUBJECT_WINDOW,
    Thread,
    ThreadIndex,
    build_threads,
    is_headerless_reply,
    last_human,
    normalize_subject,
    peer_key,
    thread_from,
    thread_order,
)

__all__ = [
    "CONSECUTIVE_WINDOW",
    "DISMISS_KEYWORD",
    "FOLLOWUP_KEYWORD",
    "SUBJECT_WINDOW",
    "Action",
    "Assessment",
    "Context",
    "Due",
    "End",
    "Event",
    "Observe",
    "Pause",
    "Start",
    "Thread",
    "ThreadIndex",
    "Touched",
    "Wakeup",
    "as_of",
    "asked_from",
    "assess",
    "assessments",
    "bodies_needed",
    "build_threads",
    "decision",
    "habits",
    "is_headerless_reply",
    "last_human",
    "next_wakeup",
    "normalize_subject",
    "peer_key",
    "thread_from",
    "thread_order",
]
