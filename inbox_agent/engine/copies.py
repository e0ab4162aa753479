"""Which message in Drafts is this nudge: the one decision, made here and nowhere else.

Evidence that belongs to this nudge, never In-Reply-To alone:
(a) our stored UID, holding our Message-ID or our `X-Inbox-Agent-Id` header;
(b) any message in Drafts with our Message-ID or our header (mutt keeps both on recall);
(c) a replacement (alpine saves an edit under a new Message-ID, without our header or `\\Draft`):
    no copy of ours is left, and one message arrived after our draft was saved (a later UID in
    the same UIDVALIDITY; a later arrival time where the folder was made anew), replying to the thread's original, with the
    nudge's subject and most of its text, that is not another draft of ours.
A copy flagged `\\Deleted` is absent: the user deleted it. Our copy missing without a trace may
be open in the user's mail client (mutt and alpine take a recalled draft out of Drafts until it
is postponed again): that is waited for, for `OPEN_GRACE`, not taken as a deletion.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from functools import cached_property
from typing import Literal

from inbox_agent import clock
from inbox_agent.engine.context import Context
from inbox_agent.errors import SafetyStop
from inbox_agent.mail.addresses import address_pairs, normal_address
from inbox_agent.mail.headers import AGENT_HEADER
from inbox_agent.mail.mime import parse
from inbox_agent.mail.subject import strip_prefixes
from inbox_agent.store import AuditRow, DraftRow
from inbox_agent.sync.failures import EDGE_ERRORS
from inbox_agent.sync.mailbox import Mailbox

OPEN_GRACE = timedelta(hours=24)  # a draft out of Drafts this long without a copy back is gone
CLOCK_SLACK = timedelta(minutes=5)  # the server's clock against ours, for "arrived after"
MIN_OVERLAP = 0.5  # share of the nudge's words an edit must keep to be taken for it

State = Literal["ours", "edited", "deleted", "open", "gone", "unsure"]
_WORD = re.compile(r"\w{2,}")


class Waiting(SafetyStop):
    """Not sent yet, and not skipped: the draft is open in the mail client, or which copy is the
    nudge is not clear. A scheduled send is tried again later; `approve` says what to do."""


@dataclass(frozen=True)
class Copy:
    """One message in Drafts."""

    uid: int
    raw: bytes
    flags: tuple[str, ...]

    @property
    def deleted(self) -> bool:
        return any(f.lower() == "\\deleted" for f in self.flags)

    @cached_property
    def message(self) -> EmailMessage:
        return parse(self.raw)

    def header(self, name: str) -> str:
        try:
            return str(self.message.get(name, "") or "").strip()
        except (LookupError, ValueError, TypeError, AttributeError):  # a header past parsing
            return ""

    def body(self) -> str:
        try:
            part = self.message.get_body(preferencelist=("plain",))
            return str(part.get_content()) if part is not None else ""
        except (LookupError, ValueError, AttributeError):  # a broken part: no text to compare
            return ""


@dataclass(frozen=True)
class Identity:
    """What Drafts holds of one nudge. `copy` is the one to send (state ours or edited); `tidy`
    is every UID that is a copy of this nudge, removed after the send and no other."""

    state: State
    copy: Copy | None = None
    tidy: tuple[int, ...] = ()
    reason: str = ""
    since: datetime | None = field(default=None, compare=False)


def identify(ctx: Context, mailbox: Mailbox, draft: DraftRow, record: bool = False) -> Identity:
    """Which copy in Drafts is `draft`. With `record`, a disappearance (and a return) is written
    to the audit log, which is what the open-in-your-client grace counts from."""
    folder = draft.folder
    try:
        ours = _ours(mailbox, draft)
    except EDGE_ERRORS:  # alpine deletes an empty Drafts folder while a draft is recalled
        ours = []
    live = [c for c in ours if not c.deleted]
    tidy = tuple(c.uid for c in ours)
    if live:
        found = max(live, key=lambda c: c.uid)
        texts = {normalized_sha256(c.raw) for c in live}
        if len(texts) > 1:
            uids = ", ".join(f"UID {c.uid}" for c in live)
            return Identity("unsure", reason=_two_copies(folder, uids))
        if record:
            _came_back(ctx, draft, found.uid)
        edited = normalized_sha256(found.raw) != draft.raw_sha256
        return Identity("edited" if edited else "ours", found, tidy)
    try:
        fits, near = _replacements(ctx, mailbox, draft, {c.uid for c in ours})
    except EDGE_ERRORS:
        fits, near = [], []
    if len(fits) == 1:
        if record:
            _came_back(ctx, draft, fits[0].uid)
        return Identity("edited", fits[0], (*tidy, fits[0].uid))
    if fits or near:
        listed = ", ".join(f"UID {c.uid} {c.header('Subject')!r}" for c in fits or near)
        if fits:
            return Identity("unsure", reason=_two_copies(folder, listed))
        return Identity(
            "unsure",
            reason=(
                f"this nudge is not in {folder}, and {listed} replies to the same message but "
                "is not this nudge's text; if it is your rewrite, send it yourself from your mail "
                "client (it counts as this touch), or `inbox-agent reject` this nudge"
            ),
        )
    if ours:
        return Identity("deleted", tidy=tidy, reason="you deleted the draft in your mail client")
    since = _missing_since(ctx, draft, record)
    if clock.now() - since < OPEN_GRACE:
        return Identity(
            "open",
            since=since,
            reason=(
                f"the draft is not in {folder} (since {since:%Y-%m-%d %H:%M} UTC): if it is open "
                "in your mail client, save or postpone it, then approve again; if you deleted "
                f"it, `inbox-agent reject {draft.id}` skips this touch"
            ),
        )
    return Identity("gone", reason=f"the draft has been gone from {folder} since {since:%Y-%m-%d}")


def changes(copy: Copy, draft: DraftRow) -> str:
    """What the user changed that a nudge cannot carry: recipients (a nudge goes only to the
    thread's people) or the subject. Empty when the copy can be sent as it is."""
    listed: dict[str, str] = {}
    unreadable: list[str] = []
    for name in ("To", "Cc", "Bcc"):
        for _, address in address_pairs(name, copy.header(name), unreadable):
            listed.setdefault(address, name)
    ours = {normal_address(a) or a.lower() for a in draft.recipients}
    added = [f"{a} ({kind})" for a, kind in listed.items() if a not in ours]
    removed = sorted(ours - set(listed))
    said = [f"the draft's recipients cannot all be read ({'; '.join(unreadable)})"]
    said = said if unreadable else []
    if added:
        said.append(f"you added {', '.join(added)}")
    if removed:
        said.append(f"you removed {', '.join(removed)}")
    if _subject(copy.header("Subject")) != _subject(draft.subject):
        said.append(f"you changed the subject to {copy.header('Subject')!r}")
    if not said:
        return ""
    return (
        f"{'; '.join(said)} in the draft; a nudge goes only to the thread's people, under the "
        "thread's subject. Undo that in your mail client and approve again, or send it yourself "
        "from your mail client (it then counts as your own message on the thread)"
    )


# -- inside ----------------------------------------------------------------------------------------
def _ours(mailbox: Mailbox, draft: DraftRow) -> list[Copy]:
    """Every message in Drafts carrying our Message-ID or our header, deleted ones included."""
    folder = draft.folder
    uids = [draft.uid] if draft.uid else []
    uids += mailbox.search(folder, "Message-ID", draft.message_id)
    uids += mailbox.search(folder, AGENT_HEADER, draft.agent_id)
    found = []
    for uid in dict.fromkeys(uids):
        fetched = mailbox.fetch_raw(folder, uid)
        if fetched is None:
            continue
        copy = Copy(uid, fetched.data, fetched.flags)
        if copy.header("Message-ID") == draft.message_id or (
            draft.agent_id and copy.header(AGENT_HEADER) == draft.agent_id
        ):
            found.append(copy)
    return found


def _replacements(
    ctx: Context, mailbox: Mailbox, draft: DraftRow, skip: set[int]
) -> tuple[list[Copy], list[Copy]]:
    """Rule (c): the copies that replaced ours (`fits`), and those that would but for the text
    (`near`: a reply of the user's own to the same message, most likely)."""
    seq = ctx.store.sequence(draft.sequence_id)
    if seq is None:
        return [], []
    folder = draft.folder
    anchor = seq.anchor_message_id
    uids = mailbox.search(folder, "In-Reply-To", anchor) + mailbox.search(
        folder, "References", anchor
    )
    uids = [u for u in dict.fromkeys(uids) if u not in skip]
    same_uids = draft.uidvalidity == mailbox.status(folder).uidvalidity and draft.uid is not None
    arrived = {  # imapclient gives local time without a zone: astimezone reads it as local
        u: f.internaldate.astimezone(UTC)
        for u, f in mailbox.fetch_headers(folder, uids).items()
        if f.internaldate is not None
    }
    others = [d for d in ctx.store.drafts(ctx.name) if d.id != draft.id]
    other_ids = {d.message_id for d in others} | {d.agent_id for d in others if d.agent_id}
    fits: list[Copy] = []
    near: list[Copy] = []
    for uid in uids:
        fetched = mailbox.fetch_raw(folder, uid)
        if fetched is None:
            continue
        copy = Copy(uid, fetched.data, fetched.flags)
        when = arrived.get(uid)
        if (
            copy.deleted
            or copy.header("Message-ID") in other_ids
            or copy.header(AGENT_HEADER) in other_ids
            or (same_uids and draft.uid is not None and uid < draft.uid)
            or (not same_uids and when is not None and when < draft.created_at - CLOCK_SLACK)
            or _subject(copy.header("Subject")) != _subject(draft.subject)
        ):
            continue
        (fits if _overlap(draft.body, copy.body()) >= MIN_OVERLAP else near).append(copy)
    return fits, near


def _missing_since(ctx: Context, draft: DraftRow, record: bool) -> datetime:
    """When we first found the draft gone (and not back since); now, recorded, the first time."""
    last = _presence(ctx, draft)
    if last is not None and last.action == "draft_missing":
        return datetime.fromisoformat(last.at)
    now = clock.now()
    if record:
        with ctx.store.tx():
            ctx.audit(
                "draft_missing",
                sequence_id=draft.sequence_id,
                draft_id=draft.id,
                message_id=draft.message_id,
                reason=f"the draft left {draft.folder}; open in your mail client?",
            )
    return now


def _came_back(ctx: Context, draft: DraftRow, uid: int) -> None:
    """A copy is in Drafts again (under a new UID after a client saved it): adopt it."""
    last = _presence(ctx, draft)
    if uid == draft.uid and (last is None or last.action != "draft_missing"):
        return
    with ctx.store.tx():
        ctx.store.update_draft(draft.id, {"uid": uid, "updated_at": clock.now()})
        ctx.audit(
            "draft_back",
            sequence_id=draft.sequence_id,
            draft_id=draft.id,
            message_id=draft.message_id,
            reason=f"the draft is in {draft.folder} again (UID {uid})",
        )


def _presence(ctx: Context, draft: DraftRow) -> AuditRow | None:
    rows = [
        r
        for r in ctx.store.audit_rows(ctx.name, sequence_id=draft.sequence_id)
        if r.draft_id == draft.id and r.action in ("draft_missing", "draft_back")
    ]
    return rows[-1] if rows else None


def _two_copies(folder: str, listed: str) -> str:
    return (
        f"more than one message in {folder} could be this nudge ({listed}); delete the one you "
        "do not want in your mail client, then approve again"
    )


def normalized_sha256(raw: bytes) -> str:
    """A hash that survives the line-ending rewrites servers make to stored messages."""
    return hashlib.sha256(raw.replace(b"\r\n", b"\n").rstrip()).hexdigest()


def _subject(subject: str) -> str:
    return " ".join(strip_prefixes(subject).casefold().split())


def _overlap(ours: str, theirs: str) -> float:
    """The share of the nudge's distinct words that the other text keeps."""
    words = set(_WORD.findall(ours.casefold()))
    if not words:
        return 1.0
    return len(words & set(_WORD.findall(theirs.casefold()))) / len(words)
