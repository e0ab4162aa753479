"""Incremental header sync of one folder, as plan then execute.

`plan_folder` decides from the folder's STATUS and what the store knows: nothing to do, a folder
that suddenly looks empty (kept as it was), a UIDVALIDITY reset, the first UID to fetch, whether
flags changed. `sync_folder` carries the plan out through any `Mailbox`. A poll with nothing new
is one STATUS round trip (plus one FETCH of the newest messages' flags where the server has no
CONDSTORE); new mail costs one UID SEARCH and one FETCH per batch, and each batch is committed on
its own, so a dropped connection costs only the rest of this poll.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from inbox_agent.mail import headers
from inbox_agent.store import FolderRow, Store
from inbox_agent.sync.mailbox import Fetched, FolderStatus, Mailbox

log = logging.getLogger(__name__)

BATCH = 1000
EMPTY_GUARD = 20  # a folder that knew more than this and now reports none is not believed
# Without CONDSTORE a server cannot say which flags changed: the flags of the messages among
# the newest this many UIDs are read again each poll (a tag on an older one is not seen there)
FLAG_WINDOW = 500

Progress = Callable[[str, int, int], None]
Item = tuple[int, headers.Header, list[str], int]  # UID, header, flags, size


@dataclass(frozen=True)
class SyncReport:
    folder: str
    new: int
    resynced: bool


@dataclass(frozen=True)
class FolderPlan:
    """What one poll of one folder does."""

    status: FolderStatus
    known_count: int  # messages the store holds for this UIDVALIDITY (0 after a reset)
    fetch: bool  # False: nothing changed, or the folder looks emptied (see `suspect`)
    suspect: bool = False  # empty now, full before: a server hiccup more often than a purge
    reset: bool = False  # UIDVALIDITY changed: every UID we knew means nothing now
    start: int = 1  # the first UID that may be new
    flags_since: int | None = None  # CONDSTORE: read flag changes after this MODSEQ
    flags_from: int | None = None  # no CONDSTORE: read the flags of the UIDs from this one on

    def expunges_possible(self, new: int) -> bool:
        """After `new` messages were added: fewer in the folder than we know of means some left."""
        return self.status.messages < self.known_count + new


def plan_folder(known: FolderRow | None, known_count: int, status: FolderStatus) -> FolderPlan:
    """Decide one folder's poll. `known` is what the last poll saved (None: never synced),
    `known_count` how many of its messages the store holds under the current UIDVALIDITY."""
    reset = known is not None and known.uidvalidity != status.uidvalidity
    if known is not None and not reset and status.messages == 0 and known_count > EMPTY_GUARD:
        # vdirsyncer's lesson: a folder that suddenly looks empty is more likely a server
        # hiccup than a user who deleted everything; keep what we know until it comes back
        return FolderPlan(status, known_count, fetch=False, suspect=True)
    modseq = status.highestmodseq
    reread = modseq is None and known is not None and not reset and status.messages > 0
    flags_from = max(1, status.uidnext - FLAG_WINDOW) if reread else None
    unchanged = (
        known is not None
        and not reset
        and known.uidnext == status.uidnext
        and known_count == status.messages
        and (modseq is None or known.highestmodseq in (None, modseq))
    )
    if unchanged:
        return FolderPlan(status, known_count, fetch=False, flags_from=flags_from)
    old_modseq = known.highestmodseq if known is not None and not reset else None
    return FolderPlan(
        status,
        0 if reset else known_count,
        fetch=True,
        reset=reset,
        start=1 if known is None or reset else known.uidnext,
        flags_since=old_modseq if modseq and old_modseq and modseq != old_modseq else None,
        flags_from=flags_from,
    )


def sync_folder(
    mailbox: Mailbox,
    store: Store,
    account: str,
    folder: str,
    role: str,
    synced_at: str,
    progress: Progress | None = None,
    unchanged: list[str] | None = None,
) -> SyncReport:
    """Fetch the headers of every message that arrived in `folder` since the last sync, notice
    the ones expunged or moved away, and the flags the user changed. With `unchanged`, a
    folder whose state is as saved gets its name added there instead of a write of its
    `synced_at`: the caller stamps every such folder in one transaction."""
    status = mailbox.status(folder)
    known = store.folder_state(account, folder)
    plan = plan_folder(known, store.count_messages(account, folder, status.uidvalidity), status)
    if plan.suspect:
        log.error(
            "%s: the server reports it empty, but %d messages were known; not syncing it",
            folder,
            plan.known_count,
        )
        return SyncReport(folder, 0, False)

    def save(uidnext: int, modseq: int | None) -> None:
        store.save_folder_state(
            account, folder, role, status.uidvalidity, uidnext, modseq, synced_at
        )

    if not plan.fetch:
        _reread_flags(mailbox, store, account, folder, plan)
        same = known is not None and (known.role, known.uidnext, known.highestmodseq) == (
            role,
            status.uidnext,
            status.highestmodseq,
        )
        if same and unchanged is not None:
            unchanged.append(folder)
            return SyncReport(folder, 0, False)
        with store.tx():
            save(status.uidnext, status.highestmodseq)
        return SyncReport(folder, 0, False)
    if plan.reset:
        log.warning("%s: UIDVALIDITY changed; reading the folder again", folder)
        with store.tx():
            store.drop_folder_messages(account, folder)
    uids = mailbox.uids(folder, plan.start, status.uidnext) if status.uidnext > plan.start else []
    now = datetime.fromisoformat(synced_at)
    added = 0
    batches = [uids[offset : offset + BATCH] for offset in range(0, len(uids), BATCH)]
    offset = 0
    # closed at once should storing fail: the batches still in flight are read off the session
    with closing(mailbox.fetch_header_batches(folder, batches)) as answers:
        for batch, fetched in zip(batches, answers, strict=True):
            items = [
                item
                for uid, f in fetched.items()
                if (item := _item(folder, uid, f, now)) is not None
            ]
            offset += len(batch)
            with store.tx():
                added += store.add_messages(account, folder, status.uidvalidity, items)
                save(max(batch) + 1 if offset < len(uids) else status.uidnext, None)
            if progress is not None:
                progress(folder, offset, len(uids))
    if plan.expunges_possible(len(uids)):
        gone = store.folder_uids(account, folder) - set(mailbox.uids(folder, 1, status.uidnext))
        if gone:
            log.info("%s: %d messages were expunged or moved away", folder, len(gone))
            with store.tx():
                store.forget_uids(account, folder, gone)
    if plan.flags_since is not None:
        # flags changed since the last poll: a keyword the user set in their client, say
        changed = mailbox.flag_changes(folder, plan.flags_since)
        if changed:
            with store.tx():
                store.update_flags(account, folder, changed)
    _reread_flags(mailbox, store, account, folder, plan)
    with store.tx():
        save(status.uidnext, status.highestmodseq)
    return SyncReport(folder, added, plan.reset)


_PER_SESSION = {"\\Recent"}  # set for the first session that sees a message: not a change


def _reread_flags(
    mailbox: Mailbox, store: Store, account: str, folder: str, plan: FolderPlan
) -> None:
    """Where the server has no CONDSTORE: the flags of the newest messages as they are now,
    compared with the stored ones; only the ones that differ are written."""
    if plan.flags_from is None:
        return
    now = mailbox.flags(folder, plan.flags_from)
    stored = store.folder_flags(account, folder, plan.status.uidvalidity, plan.flags_from)
    changed = {
        uid: flags
        for uid, flags in now.items()
        if uid in stored and set(flags) - _PER_SESSION != set(stored[uid]) - _PER_SESSION
    }
    if changed:
        with store.tx():
            store.update_flags(account, folder, changed)


FUTURE = timedelta(days=2)  # a Date further ahead of the sync than this is not believed


def _item(folder: str, uid: int, fetched: Fetched, now: datetime) -> Item | None:
    """One fetched header read into what the store keeps. What could not be read is logged
    here, once per message (a stored message is never parsed again), with folder, UID and
    Message-ID; it costs that header, never the message."""
    try:
        internal = fetched.internaldate
        fallback = internal.astimezone(UTC) if internal is not None and internal.tzinfo else None
        header = headers.parse(fetched.header, fallback)
        if header.date is not None and now.tzinfo and header.date > now + FUTURE:
            header = replace(
                header,
                date=fallback,
                trouble=(
                    *header.trouble,
                    f"Date: {header.date.isoformat()} is in the future; using the arrival time",
                ),
            )
        if fetched.thread_hint:
            header = replace(header, thread_hint=fetched.thread_hint)
    except Exception:  # parse() does not raise on mail; this is a bug of ours, not the mail's
        log.exception("%s UID %s: could not read its headers; skipped", folder, uid)
        return None
    for trouble in header.trouble:
        log.warning("%s UID %s %s: %s", folder, uid, header.message_id, trouble)
    return uid, header, list(fetched.flags), fetched.size


__all__ = ["BATCH", "FolderPlan", "Progress", "SyncReport", "plan_folder", "sync_folder"]
