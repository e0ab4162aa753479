"""Which autonomy level applies to a nudge: the most specific scope wins.

Pure. thread > contact > domain > folder > account default. With several recipients the most
cautious level among them applies. Manual saves a draft; Copilot saves it and queues it for
approval; Autopilot schedules it in the outbox behind an undo window.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from inbox_agent.config import AUTONOMY_LEVELS, AutonomyConfig
from inbox_agent.store import DraftState, SequenceState

# what a nudge drafted under each level leaves behind: its draft's state and its sequence's
DRAFT_STATE: Mapping[str, DraftState] = {
    "manual": DraftState.SAVED,
    "copilot": DraftState.QUEUED,
    "autopilot": DraftState.SCHEDULED,
}
SEQUENCE_STATE: Mapping[str, SequenceState] = {
    "manual": SequenceState.DRAFTED,
    "copilot": SequenceState.AWAITING_APPROVAL,
    "autopilot": SequenceState.SCHEDULED,
}
SCOPE_KINDS = ("thread", "contact", "domain", "folder", "default")


@dataclass(frozen=True)
class Decision:
    level: str
    scope: str  # e.g. "contact bob@x.com", "domain x.com", "account default"


@dataclass(frozen=True)
class Rules:
    """Every scope's level: the account file, with `inbox-agent autonomy set` on top."""

    default: str = "manual"
    threads: Mapping[str, str] = field(default_factory=dict)
    contacts: Mapping[str, str] = field(default_factory=dict)
    domains: Mapping[str, str] = field(default_factory=dict)
    folders: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def merge(cls, config: AutonomyConfig, overrides: Iterable[tuple[str, str]] = ()) -> Rules:
        tables: dict[str, dict[str, str]] = {
            "thread": {},
            "contact": dict(config.contacts),
            "domain": dict(config.domains),
            "folder": dict(config.folders),
        }
        default = config.default
        for scope, level in overrides:
            kind, value = parse_scope(scope)
            if kind == "default":
                default = level
            else:
                tables[kind][value] = level
        return cls(default, tables["thread"], tables["contact"], tables["domain"], tables["folder"])

    def listing(self) -> list[tuple[str, str]]:
        """(scope, level) for everything set, most specific first."""
        out = [(f"thread:{k}", v) for k, v in sorted(self.threads.items())]
        out += [(f"contact:{k}", v) for k, v in sorted(self.contacts.items())]
        out += [(f"domain:{k}", v) for k, v in sorted(self.domains.items())]
        out += [(f"folder:{k}", v) for k, v in sorted(self.folders.items())]
        return [*out, ("default", self.default)]


def parse_scope(text: str) -> tuple[str, str]:
    """`contact:bob@x.com` → ("contact", "bob@x.com"). Raises ValueError naming the forms."""
    kind, sep, value = text.strip().partition(":")
    kind = kind.lower()
    if kind in ("default", "account") and not value:
        return "default", ""
    if not sep or kind not in SCOPE_KINDS or not value:
        raise ValueError(
            f"{text!r} is not a scope; write thread:ID, contact:ADDRESS, domain:NAME, folder:NAME or default"
        )
    return kind, value if kind in ("thread", "folder") else value.lower()


def check_level(level: str) -> str:
    if level not in AUTONOMY_LEVELS:
        raise ValueError(f"{level!r} is not a level; use one of: {', '.join(AUTONOMY_LEVELS)}")
    return level


def decide(
    rules: AutonomyConfig | Rules,
    recipients: Iterable[str],
    threads: Iterable[str] = (),
    folders: Iterable[str] = (),
) -> Decision:
    """The level for a nudge on these threads (sequence id, thread id), in these folders, to
    these recipients."""
    if isinstance(rules, AutonomyConfig):
        rules = Rules.merge(rules)
    for key in threads:
        if key in rules.threads:
            return Decision(rules.threads[key], f"thread {key}")
    folder = next(((f, rules.folders[f]) for f in folders if f in rules.folders), None)
    order = ("manual", "copilot", "autopilot")
    picks: list[Decision] = []
    for address in recipients:
        address = address.lower()
        domain = address.rpartition("@")[2]
        if address in rules.contacts:
            picks.append(Decision(rules.contacts[address], f"contact {address}"))
        elif domain in rules.domains:
            picks.append(Decision(rules.domains[domain], f"domain {domain}"))
        elif folder is not None:
            picks.append(Decision(folder[1], f"folder {folder[0]}"))
        else:
            picks.append(Decision(rules.default, "account default"))
    if not picks:
        return (
            Decision(folder[1], f"folder {folder[0]}")
            if folder
            else Decision(rules.default, "account default")
        )
    return min(picks, key=lambda d: order.index(d.level))
