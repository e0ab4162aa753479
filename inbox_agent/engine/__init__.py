"""The engine: one account's cycle (sync, read bodies, plan, act, send) and the user's commands.

The I/O edge around the pure middle (`tracker`, `gate`, `mail.compose`): every state change is
written in one transaction together with its audit row. Start reading at `cycle.tick`; `Engine`
(account.py) is the surface the daemon, the CLI and the demo use; `wakeup` reads what falls due
from the store alone, for `status` and the tray. `Opener` is how a session on the mailbox is
opened (`open_imap` unless a test or a tool hands in another `Mailbox`).

The names below are imported when first used: the process that threads beside a long sync
(`behind.py`) imports only the threading and the store, not the whole engine (the drafter, the
voice: a quarter of a second of CPU taken from the sync it runs beside).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from inbox_agent.engine.account import Engine
    from inbox_agent.engine.context import Opener, open_imap
    from inbox_agent.engine.planning import wakeup
    from inbox_agent.engine.report import TickReport, Undecided

__all__ = ["Engine", "Opener", "TickReport", "Undecided", "open_imap", "wakeup"]

_HOMES = {
    "Engine": "account",
    "Opener": "context",
    "open_imap": "context",
    "wakeup": "planning",
    "TickReport": "report",
    "Undecided": "report",
}


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:  # a submodule (`from inbox_agent.engine import drafts`) is imported as usual
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"inbox_agent.engine.{home}"), name)
