"""Which autonomy level applies to a nudge: the most specific scope wins.

Pure. contact > domain > account default. Manual saves a draft; Copilot saves it and queues it for
approval; Autopilot schedules it in the outbox behind an undo window.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from inbox_agent.config import AutonomyConfig

DRAFT_STATE = {"manual": "saved", "copilot": "queued", "autopilot": "scheduled"}
SEQUENCE_STATE = {"manual": "drafted", "copilot": "awaiting_approval", "autopilot": "scheduled"}


@dataclass(frozen=True)
class Decision:
    level: str
    scope: str  # e.g. "contact bob@x.com", "domain x.com", "account default"


def decide(rules: AutonomyConfig, recipients: Iterable[str]) -> Decision:
    """The level for a nudge to these recipients. With several, the most cautious wins."""
    order = ("manual", "copilot", "autopilot")
    picks: list[Decision] = []
    for address in recipients:
        address = address.lower()
        domain = address.rpartition("@")[2]
        if address in rules.contacts:
            picks.append(Decision(rules.contacts[address], f"contact {address}"))
        elif domain in rules.domains:
            picks.append(Decision(rules.domains[domain], f"domain {domain}"))
        else:
            picks.append(Decision(rules.default, "account default"))
    if not picks:
        return Decision(rules.default, "account default")
    return min(picks, key=lambda d: order.index(d.level))
