"""What one cycle did, counted for the log line, the demo and the tests."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

_LABELS = {
    "queued": "queued for approval",
    "scheduled": "scheduled to send",
    "sent": "sent",
    "paused": "paused by an out-of-office",
    "replied": "ended by a reply",
    "bounced": "ended by a bounce",
    "opted_out": "ended by an opt-out",
    "exhausted": "ended after the last touch",
    "cancelled": "sends cancelled",
    "failed": "actions failed (see the log)",
}


@dataclass
class TickReport:
    new_messages: int = 0
    started: int = 0
    counts: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        c = self.counts
        parts = [
            f"{self.new_messages} new messages synced",
            f"{self.started} threads newly tracked",
            f"{c['due']} quiet long enough for a nudge",
            f"{c['saved'] + c['queued'] + c['scheduled']} nudges saved to Drafts",
        ]
        parts += [f"{c[key]} {label}" for key, label in _LABELS.items() if c[key]]
        return ", ".join(parts)
