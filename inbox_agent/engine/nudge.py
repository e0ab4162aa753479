"""Drafting one due touch: the thread read back, the words from the drafter, the gate's level,
the MIME reply built, and the draft saved to Drafts (and, on Autopilot, scheduled in the outbox).

The draft row is committed as `saving` before the APPEND and gets its real state after it, so a
crash in between leaves a row that `drafts.recover` reconciles with Drafts, never an orphan. An
APPEND the server refuses (NO) stored nothing: the row is abandoned at once and the touch is
drafted again at a later cycle. A thread once kept off Autopilot stays off it: the first reason
is kept in `sequences.downgraded`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from email import policy
from typing import Any

from inbox_agent import clock, gate
from inbox_agent.drafter.request import Quoted
from inbox_agent.drafter.writers import prepare, steering_in
from inbox_agent.engine import copies, drafts
from inbox_agent.engine.context import Context
from inbox_agent.engine.schedule import send_time
from inbox_agent.errors import FolderMissing
from inbox_agent.mail import compose
from inbox_agent.mail.expects import Outcome
from inbox_agent.mail.headers import Header
from inbox_agent.mail.letter import first_name
from inbox_agent.mail.quote import quote_of
from inbox_agent.store import (
    ACTIVE_SEQUENCES,
    DraftState,
    Event,
    OutboxState,
    SequenceChanges,
    SequenceRow,
    SequenceState,
)
from inbox_agent.sync import failures
from inbox_agent.sync.failures import EDGE_ERRORS
from inbox_agent.sync.mailbox import Mailbox
from inbox_agent.tracker.sequence import Due, asked_from
from inbox_agent.tracker.threads import Thread
from inbox_agent.voice import voicefile


def draft_nudge(ctx: Context, mailbox: Mailbox, action: Due) -> DraftState | None:
    """Draft the due touch; the draft's state, or None when there is nothing to draft."""
    seq = next(
        (
            s
            for s in ctx.sequences(ACTIVE_SEQUENCES)
            if s.anchor_message_id == action.anchor_message_id
        ),
        None,
    )
    if seq is None or seq.state != SequenceState.WAITING:
        return None
    anchor = next(m for m in action.thread.messages if m.message_id == action.anchor_message_id)
    user = ctx.view.user_addresses()
    rcpt = compose.recipients(anchor, user)
    if not rcpt.all:
        return None
    account, store = ctx.account, ctx.store
    cadence = account.cadence.cadence
    quoted = thread_text(ctx, mailbox, action.thread)
    original, html = _original(ctx, mailbox, anchor)
    request = prepare(
        touch=action.touch,
        touches=cadence.touches,
        kind=cadence.touch_kind(action.touch),
        subject=anchor.subject,
        user_name=account.display_name or account.email,
        to=rcpt.to,
        recipient_name=_name_of(action.thread, rcpt.to[0]),
        thread=quoted,
        profile=voice_profile(ctx, mailbox),
        earlier_nudges=[d.body for d in store.drafts(ctx.name) if d.sequence_id == seq.id],
        budget_tokens=ctx.settings.llm.max_prompt_tokens,
        exclude=action.thread.message_ids,
        quoted=bool(original),
        ask=_asked(ctx, anchor.message_id),
        edits=voicefile.edit_habits(store, account),
        promise=_promised(ctx, anchor, user),
    )
    draft = ctx.drafter.draft(request)
    decision = gate.decide(
        ctx.rules(),
        rcpt.all,
        threads=(str(seq.id), action.thread.key),
        folders=ctx.view.folders_of(action.thread),
    )
    downgrade = _downgrade(seq, quoted, draft.downgrade) if decision.level == "autopilot" else ""
    if downgrade:
        decision = gate.Decision("copilot", f"{decision.scope}, kept off Autopilot")
    when = clock.now()
    agent_id = compose.new_agent_id()
    name = anchor.from_name or account.display_name  # the user's own message: their name
    msg = compose.build(
        anchor=anchor,
        user=user,
        from_addr=account.email,
        from_name=account.display_name,
        body=draft.body,
        when=when,
        agent_id=agent_id,
        html=html,
        quote=quote_of(original, anchor.date, name, anchor.from_addr, request.language)
        if original
        else None,
    )
    raw = msg.as_bytes(policy=policy.SMTP)
    draft_state, seq_state = gate.DRAFT_STATE[decision.level], gate.SEQUENCE_STATE[decision.level]
    message_id = str(msg["Message-ID"])
    drafts_folder = ctx.view.folders.drafts
    # the UIDs of Drafts are compared only within this UIDVALIDITY (copies.identify); a folder
    # that is not there is for the APPEND below to report, in the server's words
    uidvalidity: int | None = None
    try:
        uidvalidity = mailbox.status(drafts_folder).uidvalidity
    except FolderMissing:
        pass
    except EDGE_ERRORS:
        pass
    with store.tx():
        draft_id = store.add_draft(
            {
                "account": ctx.name,
                "sequence_id": seq.id,
                "touch": action.touch,
                "message_id": message_id,
                "agent_id": agent_id,
                "folder": drafts_folder,
                "uidvalidity": uidvalidity,
                "uid": None,
                "subject": str(msg["Subject"]),
                "body": draft.body,
                "raw_sha256": copies.normalized_sha256(raw),
                "recipients": rcpt.all,
                "autonomy": decision.level,
                "drafter": draft.drafter,
                "html": msg.is_multipart(),
                "state": DraftState.SAVING,
                "created_at": when,
                "updated_at": when,
            },
            Event.SAVE,
        )
    try:
        uid = mailbox.append(drafts_folder, raw, ["\\Draft", "\\Seen"], when)
    except EDGE_ERRORS as exc:
        if failures.refused(exc):  # a NO stored nothing: no `saving` row left for recovery
            with store.tx():
                saving = store.draft(draft_id)
                assert saving is not None  # written just above
                drafts.abandon(
                    ctx, saving, f"{drafts_folder} refused it ({exc}); drafted again later"
                )
        raise
    with store.tx():
        store.update_draft(draft_id, {"uid": uid, "state": draft_state}, Event.DRAFT)
        if decision.level == "autopilot":
            store.add_outbox(
                {
                    "account": ctx.name,
                    "draft_id": draft_id,
                    "sequence_id": seq.id,
                    "message_id": message_id,
                    "state": OutboxState.PENDING,
                    "not_before": send_time(ctx, seq, action.thread.messages, rcpt.to[0]),
                    "created_at": when,
                    "updated_at": when,
                },
                Event.SCHEDULE,
            )
        changes: SequenceChanges = {"state": seq_state, "updated_at": when}
        if seq_state == SequenceState.AWAITING_APPROVAL:
            changes["next_due_at"] = asked_from(seq.next_due_at, when)
        if downgrade and not seq.downgraded:
            changes["downgraded"] = downgrade  # the first reason; later nudges cite it
        store.update_sequence(seq.id, changes, Event.DRAFT)
        if downgrade:
            ctx.audit(
                "downgrade",
                sequence_id=seq.id,
                draft_id=draft_id,
                message_id=message_id,
                before="autopilot",
                after="copilot",
                reason=f"{downgrade}; this nudge waits for your approval",
            )
        ctx.audit(
            "draft",
            sequence_id=seq.id,
            draft_id=draft_id,
            message_id=message_id,
            before=SequenceState.WAITING,
            after=seq_state,
            reason=f"touch {action.touch} of {cadence.touches}; {decision.level} "
            f"({decision.scope}); written by {draft.drafter}",
        )
    return draft_state


READ_AHEAD = 25  # due threads whose bodies are read in one go: memory bounded by the batch


def read_ahead(ctx: Context, mailbox: Mailbox, dues: Iterable[Due]) -> None:
    """Read what drafting the next `READ_AHEAD` of `dues` quotes that is not read yet (each
    thread's first and newest seven messages, the user's message it follows up): one FETCH per
    folder for all of them, not one per nudge and folder."""
    view, texts, originals = ctx.view, set[str](), set[str]()
    for due in itertools.islice(
        (d for d in dues if d.anchor_message_id not in view.originals), READ_AHEAD
    ):
        texts |= {m.message_id for m in _quoted(due.thread)} - view.quoted.keys()
        originals.add(due.anchor_message_id)
    _read(ctx, mailbox, texts, originals)


def _quoted(thread: Thread) -> list[Header]:
    chosen = list(thread.messages)
    return chosen if len(chosen) <= 8 else [chosen[0], *chosen[-7:]]


def _read(ctx: Context, mailbox: Mailbox, texts: set[str], originals: set[str]) -> None:
    """Fetch the bodies of `texts` and `originals` (Message-IDs) into the unit of work's
    `view.quoted` (the text quoted to the drafter) and `view.originals` (the user's own text for
    the quote, "" with `quote = false`, and whether it was HTML); "" for what cannot be read."""
    from inbox_agent.mail.body import new_text, readable_text  # mail-parser: only drafting needs it

    view, quote = ctx.view, ctx.account.cadence.quote
    places = ctx.store.locate(ctx.name, texts | originals) if texts or originals else {}
    by_folder: dict[str, dict[int, str]] = {}
    for mid, (folder, uid, _size) in places.items():
        by_folder.setdefault(folder, {})[uid] = mid
    for folder, members in by_folder.items():
        for uid, raw in mailbox.fetch_bodies(folder, sorted(members)).items():
            mid = members[uid]
            # parsed once: the user's message is most often both quoted and the original
            whole = readable_text(raw) if mid in texts or quote else ""
            if mid in texts:
                view.quoted[mid] = new_text(whole)
            if mid in originals:
                mine = whole.strip() if quote else ""
                view.originals[mid] = (mine, b"text/html" in raw[:4096].lower())
    view.quoted.update((mid, "") for mid in texts - view.quoted.keys())
    view.originals.update((mid, ("", False)) for mid in originals - view.originals.keys())


def thread_text(ctx: Context, mailbox: Mailbox, thread: Thread) -> tuple[Quoted, ...]:
    """The thread's messages as quoted data, oldest first: the first one and the newest seven."""
    chosen = _quoted(thread)
    view = ctx.view
    _read(ctx, mailbox, {m.message_id for m in chosen} - view.quoted.keys(), set())
    texts = {m.message_id: view.quoted.pop(m.message_id, "") for m in chosen}
    user = view.user_addresses()
    return tuple(
        Quoted(
            author=f"{m.from_name} <{m.from_addr}>" if m.from_name else m.from_addr,
            from_user=m.from_addr in user,
            date=f"{m.date:%Y-%m-%d %H:%M}" if m.date else "",
            subject=m.subject,
            text=texts[m.message_id],
        )
        for m in chosen
    )


def voice_profile(ctx: Context, mailbox: Mailbox, refresh: bool = False) -> Any:
    """The style profile (`voice.Profile`), learned again from Sent when a day old; looked up
    once per unit of work (a cycle drafting many nudges asks for it for each)."""
    view = ctx.view
    if view.profile is None or refresh:
        view.profile = voicefile.current(
            mailbox,
            ctx.store,
            ctx.account,
            view.folders.sent,
            view.user_addresses(),
            view.threads_of,
            clock.now(),
            refresh,
        )
    return view.profile


def _original(ctx: Context, mailbox: Mailbox, anchor: Header) -> tuple[str, bool]:
    """The text of the user's own message the nudge quotes ("" with `quote = false` or when it
    cannot be read), and whether it was HTML (then the nudge carries an HTML part too)."""
    mid = anchor.message_id
    _read(ctx, mailbox, set(), {mid} - ctx.view.originals.keys())
    return ctx.view.originals.pop(mid)


def _asked(ctx: Context, message_id: str) -> str:
    """The ask the judgement quoted from the user's message ("" when it was not judged to ask):
    the nudge restates the very sentence that made the thread worth following up."""
    fact = ctx.view.facts([message_id]).get(message_id)
    verdict = fact.verdict if fact is not None else None
    if verdict is None or verdict.outcome != Outcome.EXPECTS or verdict.kind != "ask":
        return ""
    return verdict.quote


def _promised(ctx: Context, anchor: Header, user: frozenset[str]) -> str:
    """What the other side promised, in their words, when the sequence follows up their
    promise (its anchor is their message, `tracker.start.owed_promise`); else ""."""
    if anchor.from_addr in user:
        return ""
    fact = ctx.view.facts([anchor.message_id]).get(anchor.message_id)
    return fact.promise_quote if fact is not None and fact.promise else ""


def _name_of(thread: Thread, address: str) -> str:
    for m in thread.messages:
        if m.from_addr == address and m.from_name:
            return first_name(m.from_name)
    return first_name("", address)


def _downgrade(seq: SequenceRow, thread: tuple[Quoted, ...], drafter_reason: str) -> str:
    """Why this thread's nudge must not go out on Autopilot, or "" when it may."""
    phrase = steering_in(thread)
    if phrase:
        return f'an inbound message on the thread tries to steer the agent ("{phrase}")'
    if drafter_reason:
        return drafter_reason
    first = seq.downgraded
    return f"this thread was taken off Autopilot before: {first}" if first else ""
