"""The pure planner fed from the store: what should happen to this account's threads now."""

from __future__ import annotations

from typing import Any

from inbox_agent import clock
from inbox_agent.engine.context import Context
from inbox_agent.tracker.sequence import DISMISS_KEYWORD, Action, Sequence, plan
from inbox_agent.tracker.threads import Thread


def plan_for(ctx: Context, threads: list[Thread], sequences: list[dict[str, Any]]) -> list[Action]:
    cadence = ctx.account.cadence
    store, name = ctx.store, ctx.name
    return plan(
        threads,
        [Sequence.from_row(r) for r in sequences],
        user=ctx.view.user_addresses(),
        now=clock.now(),
        cadence=cadence.cadence,
        lookback=cadence.lookback,
        our_ids=frozenset(store.our_message_ids(name)),
        facts=ctx.view.facts(),
        opted_out=frozenset(store.opt_outs(name)),
        dismissed=frozenset(store.message_ids_flagged(name, DISMISS_KEYWORD)),
    )
