"""Reading the bodies that classification needs, and not more.

Headers decide most things; a body is read only for inbound mail on followed threads, for bounces,
and for the user's own last message on a thread that may start a sequence (with the auto-replies
after it, whose return date decides when it starts). Each body is read once: its facts are kept.
"""

from __future__ import annotations

from imapclient import IMAPClient

from inbox_agent import clock
from inbox_agent.engine.context import Context
from inbox_agent.mail import classify
from inbox_agent.mail.headers import Header
from inbox_agent.sync import imap
from inbox_agent.tracker.sequence import ACTIVE
from inbox_agent.tracker.threads import last_human


def read_bodies(ctx: Context, client: IMAPClient, limit: int = 100) -> int:
    """Classify the newest `limit` bodies that are wanted and not yet known; how many were read."""
    store, name, view = ctx.store, ctx.name, ctx.view
    known = store.facts(name)
    user, now = view.user_addresses(), clock.now()
    lookback = ctx.account.cadence.lookback
    followed = {
        mid for s in ctx.sequences(ACTIVE) for mid in (s["anchor_message_id"], *s["seen_ids"])
    }
    wanted: dict[str, tuple[Header, bool]] = {}
    for thread in view.index().threads():
        recent = [m for m in thread.messages if m.date is None or lookback.after(m.date) >= now]
        if any(mid in followed for mid in thread.message_ids):
            for m in recent:
                if m.from_addr not in user and m.message_id not in known:
                    wanted[m.message_id] = (m, False)
            continue
        for m in recent:
            if m.kind == "bounce" and m.message_id not in known:
                wanted[m.message_id] = (m, False)
        last = last_human(thread)
        if last is None or last not in recent or last.from_addr not in user:
            continue
        if last.message_id not in known:
            wanted[last.message_id] = (last, True)
        for m in thread.messages[thread.messages.index(last) + 1 :]:
            if m.kind == "auto_reply" and m.message_id not in known:
                wanted[m.message_id] = (m, False)  # its return date decides when to start
    if not wanted:
        return 0
    newest = sorted(wanted.values(), key=lambda item: item[0].date or now, reverse=True)[:limit]
    places = store.locate(name, [h.message_id for h, _ in newest])
    by_folder: dict[str, dict[int, tuple[Header, bool]]] = {}
    for h, from_user in newest:
        if h.message_id in places:
            folder, uid, _size = places[h.message_id]
            by_folder.setdefault(folder, {})[uid] = (h, from_user)
    stamp = now.isoformat()
    read = 0
    for folder, members in by_folder.items():
        bodies = imap.fetch_bodies(client, folder, sorted(members))
        with store.tx():
            for uid, raw in bodies.items():
                h, from_user = members[uid]
                found = classify.read(raw, h.kind, h.date or now, h.subject, from_user)
                store.save_facts(name, h.message_id, found.to_json(), stamp)
                if found.bounced_message_id:
                    view.index().link(h.message_id, found.bounced_message_id)
                read += 1
    return read
