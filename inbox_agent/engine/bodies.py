"""Reading the bodies that the decision needs, and not more.

Which ones is `tracker.decision.bodies_needed`: inbound mail on followed threads, bounces, and the
user's own last message on a thread that may start a sequence (with the auto-replies after it,
whose return date decides when it starts, and what people answered the user there). This module
fetches them and keeps their facts, so each body is read once; an opt-out read is recorded at
once, so that it holds before any sequence followed the thread.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from inbox_agent import clock
from inbox_agent.drafter import LlmDrafter, llm_verdict
from inbox_agent.engine.context import Context
from inbox_agent.engine.planning import facts, pending
from inbox_agent.mail import classify
from inbox_agent.mail.body import text_of
from inbox_agent.mail.classify import BodyFacts
from inbox_agent.mail.expects import Outcome, own_words
from inbox_agent.mail.headers import Header
from inbox_agent.store import ACTIVE_SEQUENCES
from inbox_agent.sync.mailbox import Mailbox
from inbox_agent.tracker.decision import bodies_needed
from inbox_agent.tracker.threads import Thread

log = logging.getLogger(__name__)


def read_bodies(
    ctx: Context, mailbox: Mailbox, threads: list[Thread] | None = None, limit: int = 100
) -> int:
    """Classify the newest `limit` bodies that the decision wants and has not read, on
    `threads` (those the next plan is handed when None: `planning.pending`); how many were
    read. No thread: nothing is read, not even the store."""
    store, name, view = ctx.store, ctx.name, ctx.view
    now = clock.now()
    threads = pending(ctx) if threads is None else threads
    if not threads:
        return 0
    decided = facts(ctx, threads=threads)
    newest = bodies_needed(threads, ctx.sequences(ACTIVE_SEQUENCES), decided, limit)
    if not newest:
        return 0
    places = store.locate(name, [h.message_id for h, _ in newest])
    by_folder: dict[str, dict[int, tuple[Header, bool]]] = {}
    for h, from_user in newest:
        if h.message_id in places:
            folder, uid, _size = places[h.message_id]
            by_folder.setdefault(folder, {})[uid] = (h, from_user)
    stamp = now.isoformat()
    read = 0
    for folder, members in by_folder.items():
        bodies = mailbox.fetch_bodies(folder, sorted(members))
        read_now = []
        for uid, raw in bodies.items():  # outside the transaction: an LLM may be asked
            h, from_user = members[uid]
            found = classify.read(raw, h.kind, h.date or now, h.subject, from_user)
            read_now.append((h, second_opinion(ctx, raw, found)))
        for uid in sorted(members.keys() - bodies.keys()):  # never asked for again each poll
            h, from_user = members[uid]
            log.warning(
                "%s: %s UID %d %s: the server sent no body; it is taken as unreadable%s",
                name,
                folder,
                uid,
                h.message_id,
                " (yours to decide)" if from_user else "",
            )
            read_now.append((h, classify.unreadable(from_user)))
        with store.tx():
            for h, found in read_now:
                store.save_facts(name, h.message_id, found, stamp)
                if found.bounced_message_id:
                    view.link(h.message_id, found.bounced_message_id)
                if found.opt_out:
                    _opted_out(ctx, h, found.opt_out, now)
                read += 1
    return read


def _opted_out(ctx: Context, h: Header, phrase: str, now: datetime) -> None:
    """Someone answered the user "not interested", "please stop": they are never followed up
    again, from the moment they said it, whether or not a sequence followed the thread yet (an
    opt-out that came before the first run counts too). Inside the transaction of its facts."""
    if not h.from_addr or h.from_addr in ctx.store.opt_outs(ctx.name):
        return
    at = h.date or now
    ctx.store.add_opt_out(ctx.name, h.from_addr, h.message_id, at.isoformat())
    ctx.audit(
        "opt_out",
        message_id=h.message_id,
        reason=f'{h.from_addr} asked never to be followed up again ("{phrase}", '
        f"{at:%Y-%m-%d %H:%M})",
    )


def second_opinion(ctx: Context, raw: bytes, found: BodyFacts) -> BodyFacts:
    """An unsure message of the user's, asked of their LLM once (`drafter.judge`) when one is
    configured and `[tracking] ask_llm` is on; every other message is left as the rules read it."""
    if found.expects != Outcome.UNSURE or not ctx.account.tracking.ask_llm:
        return found
    drafter = ctx.drafters.get()
    if not isinstance(drafter, LlmDrafter):
        return found
    answer = llm_verdict(drafter.config, drafter.api_key, own_words(text_of(raw)))
    return replace(found, llm=answer or "?")  # "?": asked and failed; never asked again
