"""`Engine`: one account's work behind one small surface, for the daemon, the CLI and the demo.

It holds the account's `Context` and hands each request to the module that owns it: `cycle` for
a tick, `commands` for what the user asks, `outbox` for the send path, `drafts` for Drafts. It
makes no decision and writes nothing itself.
"""

from __future__ import annotations

from collections.abc import Collection
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from inbox_agent.config import Account, Settings
from inbox_agent.drafter import Drafter
from inbox_agent.engine import commands, cycle, drafts, nudge, planning
from inbox_agent.engine.bodies import read_bodies
from inbox_agent.engine.context import Context, Opener, open_imap
from inbox_agent.engine.outbox import Outbox
from inbox_agent.engine.report import TickReport
from inbox_agent.gate import Rules
from inbox_agent.mail.classify import BodyFacts
from inbox_agent.store import DraftRow, SequenceRow, SequenceState, Store
from inbox_agent.sync.folders import Folders
from inbox_agent.sync.mailbox import Mailbox
from inbox_agent.tracker.decision import Assessment, Wakeup
from inbox_agent.tracker.threads import Thread, ThreadIndex


class Engine:
    """Works on one account, on an IMAP session per unit of work (or one kept: `keep_session`)."""

    def __init__(
        self,
        account: Account,
        settings: Settings,
        store: Store,
        drafter: Drafter | None = None,
        actor: str = "daemon",
        *,
        opener: Opener = open_imap,
        ctx: Context | None = None,
        keep_session: bool = False,
    ) -> None:
        """`opener` opens a session on the account's mailbox: IMAP with the keyring's secret
        unless a test or a tool hands in another (`sync.memory.MemoryMailbox`, say). With
        `keep_session` (the daemon) one session serves unit after unit of work until it fails,
        sits unused for `KEEP_FOR`, or `close_session` is called."""
        self.ctx = ctx or Context.create(
            account, settings, store, drafter, actor, opener, keep_session
        )
        self.account, self.settings, self.store = account, settings, store

    @property
    def actor(self) -> str:
        return self.ctx.actor

    def acting_as(self, actor: str) -> Engine:
        """The same account (caches included) with audit rows written as `actor`."""
        return Engine(self.account, self.settings, self.store, ctx=self.ctx.acting_as(actor))

    # -- the mailbox ----------------------------------------------------------------------------
    def session(self) -> AbstractContextManager[Mailbox]:
        return self.ctx.view.session()

    def close_session(self) -> None:
        self.ctx.view.close_session()

    def release_idle(self) -> None:
        self.ctx.view.release_idle()

    @property
    def folders(self) -> Folders:
        return self.ctx.view.folders

    @property
    def outbox(self) -> Outbox:
        return Outbox(self.ctx)

    def sync(self, mailbox: Mailbox) -> int:
        return self.ctx.view.sync(mailbox)

    def read_bodies(
        self, mailbox: Mailbox, limit: int = 100, threads: list[Thread] | None = None
    ) -> int:
        return read_bodies(self.ctx, mailbox, threads, limit)

    def user_addresses(self) -> frozenset[str]:
        return self.ctx.view.user_addresses()

    def facts(self) -> dict[str, BodyFacts]:
        return self.ctx.view.facts()

    def index(self, rebuild: bool = False) -> ThreadIndex:
        return self.ctx.view.index(rebuild)

    def threads(self, as_of: datetime | None = None) -> list[Thread]:
        return self.ctx.view.threads(as_of)

    def assessments(self, as_of: datetime | None = None) -> list[Assessment]:
        """Every thread decided now, or as it stood at `as_of`."""
        return planning.assessments(self.ctx, as_of)

    def next_wakeup(self) -> Wakeup:
        """What is due now, and when the next thing falls due."""
        return planning.wakeup(self.store, self.account.name, cadence=self.account.cadence.cadence)

    def sequences(self, states: Collection[SequenceState] = ()) -> list[SequenceRow]:
        return self.ctx.sequences(states)

    def sequence_row(self, sequence_id: int) -> SequenceRow:
        return self.ctx.sequence_row(sequence_id)

    def voice_profile(self, mailbox: Mailbox, refresh: bool = False) -> Any:
        return nudge.voice_profile(self.ctx, mailbox, refresh)

    def locate_draft(self, mailbox: Mailbox, draft: DraftRow) -> drafts.Found | None:
        return drafts.locate(self.ctx, mailbox, draft)

    # -- the cycle and the user's commands ------------------------------------------------------
    def tick(self, watching_since: datetime | None = None) -> TickReport:
        return cycle.tick(self.ctx, watching_since)

    def queue(self) -> list[DraftRow]:
        return commands.queue(self.ctx)

    def approve(self, draft_id: int) -> None:
        commands.approve(self.ctx, draft_id)

    def reject(self, draft_id: int, reason: str = "rejected by you") -> None:
        commands.reject(self.ctx, draft_id, reason)

    def undo(self, draft_id: int) -> None:
        commands.undo(self.ctx, draft_id)

    def dismiss(self, sequence_id: int) -> None:
        commands.dismiss(self.ctx, sequence_id)

    def decide(self, thread: str, follow: bool) -> str:
        """Follow up a thread whatever its last message says, or never (`commands.decide`)."""
        return commands.decide(self.ctx, thread, follow)

    def rules(self) -> Rules:
        return self.ctx.rules()

    def set_autonomy(self, scope: str, level: str) -> None:
        commands.set_autonomy(self.ctx, scope, level)
