"""The engine: one account's cycle (sync, read bodies, plan, act, send) and the user's commands.

The I/O edge around the pure middle (`tracker`, `gate`, `mail.compose`): every state change is
written in one transaction together with its audit row. Start reading at `cycle.tick`; `Engine`
(account.py) is the surface the daemon, the CLI and the demo use; `wakeup` reads what falls due
from the store alone, for `status` and the tray. `Opener` is how a session on the mailbox is
opened (`open_imap` unless a test or a tool hands in another `Mailbox`).
"""

from inbox_agent.engine.account import Engine
from inbox_agent.engine.context import Opener, open_imap
from inbox_agent.engine.planning import wakeup
from inbox_agent.engine.report import TickReport, Undecided

__all__ = ["Engine", "Opener", "TickReport", "Undecided", "open_imap", "wakeup"]
