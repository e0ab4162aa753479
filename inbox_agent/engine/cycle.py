"""One account's cycle: recover what a crash left, sync, read bodies, plan, act, send.

Each planned action is carried out behind one boundary: an action that the mail server or the
network refuses costs that action only (logged with what failed), never the rest of the cycle,
the sends included.
"""

from __future__ import annotations

import logging

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from inbox_agent.engine import drafts
from inbox_agent.engine.apply import apply
from inbox_agent.engine.bodies import read_bodies
from inbox_agent.engine.context import Context
from inbox_agent.engine.outbox import Outbox
from inbox_agent.engine.planning import plan_for
from inbox_agent.engine.report import TickReport
from inbox_agent.errors import MailServerError
from inbox_agent.sender.smtp import SendFailure

log = logging.getLogger(__name__)

# What one action may fail with and still leave the rest of the cycle to run.
ACTION_FAILURES = (MailServerError, SendFailure, IMAPClientError, OSError)


def tick(ctx: Context) -> TickReport:
    report = TickReport()
    with ctx.view.session() as client:
        outbox = Outbox(ctx)
        outbox.recover(client)
        drafts.recover(ctx, client)
        report.new_messages = ctx.view.sync(client)
        read_bodies(ctx, client)
        act(ctx, client, report)
        outbox.flush(client, report)
    return report


def act(ctx: Context, client: IMAPClient, report: TickReport) -> None:
    """Carry out everything the planner decides now, each action on its own."""
    for action in plan_for(ctx, ctx.view.threads(), ctx.sequences()):
        try:
            apply(ctx, client, action, report)
        except ACTION_FAILURES as exc:
            log.error("%s: %s failed: %s", ctx.name, type(action).__name__, exc)
