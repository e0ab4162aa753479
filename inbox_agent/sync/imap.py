"""One account's IMAP session: login, special folders, incremental header sync, drafts.

Everything that touches the IMAP socket is here. Sync is headers-only and UID-incremental: STATUS
first, and only when UIDNEXT or UIDVALIDITY moved does it SELECT and fetch the new UIDs' headers.
"""

from __future__ import annotations

import logging
import re
import ssl
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from imapclient import IMAPClient
from imapclient.datetime_util import parse_to_datetime
from imapclient.exceptions import IMAPClientError, LoginError

from inbox_agent.config import Account
from inbox_agent.errors import FolderMissing
from inbox_agent.mail import headers
from inbox_agent.store.db import Store
from inbox_agent.sync import failures, oauth
from inbox_agent.sync.failures import EDGE_ERRORS

log = logging.getLogger(__name__)

BATCH = 1000
_HEADER_ITEM = "BODY.PEEK[HEADER.FIELDS (" + " ".join(headers.FIELDS) + ")]"
_HEADER_KEY = b"BODY[HEADER.FIELDS (" + " ".join(headers.FIELDS).encode() + b")]"
_FALLBACK_NAMES = {
    "sent": (
        "Sent",
        "Sent Items",
        "Sent Messages",
        "Sent Mail",
        "[Gmail]/Sent Mail",
        "INBOX.Sent",
        "INBOX/Sent",
    ),
    "drafts": ("Drafts", "Draft", "[Gmail]/Drafts", "INBOX.Drafts", "INBOX/Drafts"),
    "archive": ("Archive", "Archives", "INBOX.Archive", "INBOX/Archive"),
}
_SPECIAL_USE = {
    "sent": b"\\Sent",
    "drafts": b"\\Drafts",
    "archive": b"\\Archive",
    "all": b"\\All",
}
_NOT_OPENABLE = {b"\\noselect", b"\\nonexistent"}  # RFC 3501, RFC 5258: listed, not selectable


@dataclass(frozen=True)
class Folders:
    """The folders this account's mail lives in, by role."""

    inbox: str
    sent: str
    drafts: str
    others: tuple[str, ...]
    all_mail: str = ""  # Gmail's All Mail: every message once, whatever its labels

    def watched(self) -> list[tuple[str, str]]:
        """(name, role) of every folder where a reply or the user's own mail can land.

        On Gmail that is All Mail alone: INBOX, Sent and every label are views of it, and
        syncing them too would read each message once per label."""
        if self.all_mail:
            return [(self.all_mail, "all")]
        out = [(self.inbox, "inbox"), (self.sent, "sent")]
        out += [
            (name, "other")
            for name in self.others
            if name not in (self.inbox, self.sent, self.drafts)
        ]
        return out


@dataclass(frozen=True)
class SyncReport:
    folder: str
    new: int
    resynced: bool


def connect(account: Account, password: str, timeout: float = 30.0) -> IMAPClient:
    """Open and log in. A refused login is LoginRefused; a server that cannot be reached, a TLS
    failure, a timeout or a connection that broke on the way is Unreachable."""
    server = account.imap
    if account.auth == "oauth2":  # renew before connecting: a refused renewal leaks nothing
        password = oauth.bearer(account, password)
    context = ssl.create_default_context()
    client: IMAPClient | None = None
    try:
        client = IMAPClient(
            server.host,
            port=server.port,
            ssl=server.security == "tls",
            ssl_context=context,
            timeout=timeout,
        )
        if server.security == "starttls":
            client.starttls(context)
        if account.auth == "oauth2":
            client.oauth2_login(server.username, password)
        else:
            client.login(server.username, password)
    except EDGE_ERRORS as exc:
        if client is not None:
            with suppress(*EDGE_ERRORS):
                client.shutdown()
        if isinstance(exc, LoginError):
            raise failures.login_failure(account, exc) from None
        raise failures.unreachable(account, exc) from None
    return client


@contextmanager
def session(account: Account, password: str) -> Iterator[IMAPClient]:
    client = connect(account, password)
    try:
        yield client
    finally:
        with suppress(*EDGE_ERRORS):
            client.logout()


def discover_folders(client: IMAPClient, account: Account) -> Folders:
    """SPECIAL-USE flags first, then the usual names; the config's `folders` are watched too.
    FolderMissing when Sent or Drafts cannot be found or cannot be opened (\\Noselect)."""
    try:
        listing = client.list_folders()
        gmail = b"X-GM-EXT-1" in client.capabilities()
    except EDGE_ERRORS as exc:
        raise failures.unreachable(account, exc) from None
    names = [name for _flags, _delim, name in listing]
    closed = {name for flags, _delim, name in listing if _NOT_OPENABLE & {f.lower() for f in flags}}
    found: dict[str, str] = {}
    for flags, _delim, name in listing:
        for role, flag in _SPECIAL_USE.items():
            if flag in flags and role not in found and name not in closed:
                found[role] = name
    lowered = {n.lower(): n for n in names if n not in closed}
    for role, named in (("sent", account.sent_folder), ("drafts", account.drafts_folder)):
        if named:  # the account file names it: that wins over flags and guesses
            if named not in names or named in closed:
                why = "cannot be opened there" if named in names else "has no such folder"
                raise FolderMissing(
                    f"{account.path}: [imap] {role}_folder = {named!r}, but {account.imap.host} {why} "
                    f"(folders: {', '.join(names)})",
                    f"set [imap] {role}_folder to one of the folders listed, or remove it",
                )
            found[role] = named
    for role in dict.fromkeys([*account.preset.folders, *_FALLBACK_NAMES]):
        if role not in found:  # the provider's own names first, then the usual ones
            for candidate in (
                *account.preset.folders.get(role, ()),
                *_FALLBACK_NAMES.get(role, ()),
            ):
                if candidate.lower() in lowered:
                    found[role] = lowered[candidate.lower()]
                    break
    missing = [role for role in ("sent", "drafts") if role not in found]
    if missing:
        raise FolderMissing(
            f"cannot find the {' and '.join(missing)} folder on {account.imap.host} (folders: {', '.join(names)})",
            f'name it in {account.path}: [imap] {missing[0]}_folder = "..." (one of the folders listed)',
        )
    others = tuple(
        dict.fromkeys([*([found["archive"]] if "archive" in found else []), *account.folders])
    )
    gmail = gmail and "all" in found
    return Folders("INBOX", found["sent"], found["drafts"], others, found["all"] if gmail else "")


def _status(client: IMAPClient, folder: str, condstore: bool) -> dict[bytes, Any]:
    items = [b"MESSAGES", b"UIDVALIDITY", b"UIDNEXT", *([b"HIGHESTMODSEQ"] if condstore else [])]
    result: dict[bytes, Any] = client.folder_status(folder, items)
    return result


Progress = Callable[[str, int, int], None]


def sync_folder(
    client: IMAPClient,
    store: Store,
    account: str,
    folder: str,
    role: str,
    synced_at: str,
    progress: Progress | None = None,
) -> SyncReport:
    """Fetch the headers of every message that arrived in `folder` since the last sync.

    A poll with nothing new is one STATUS round trip. New mail costs a SELECT, a UID SEARCH and
    one FETCH per batch; each batch is committed on its own, so a dropped connection costs only
    the rest of this poll. Expunged or moved-away messages are noticed by their count.
    """
    caps = client.capabilities()
    condstore = b"CONDSTORE" in caps
    status = _status(client, folder, condstore)
    uidvalidity, uidnext = int(status[b"UIDVALIDITY"]), int(status[b"UIDNEXT"])
    count = int(status.get(b"MESSAGES", 0))
    modseq = int(status[b"HIGHESTMODSEQ"]) if b"HIGHESTMODSEQ" in status else None
    known = store.folder_state(account, folder)
    resynced = known is not None and known.uidvalidity != uidvalidity
    known_count = store.count_messages(account, folder, uidvalidity)
    if known is not None and not resynced and count == 0 and known_count > 20:
        # vdirsyncer's lesson: a folder that suddenly looks empty is more likely a server
        # hiccup than a user who deleted everything; keep what we know until it comes back
        log.error(
            "%s: the server reports it empty, but %d messages were known; not syncing it",
            folder,
            known_count,
        )
        return SyncReport(folder, 0, False)
    unchanged = (
        known is not None
        and not resynced
        and known.uidnext == uidnext
        and known_count == count
        and (modseq is None or known.highestmodseq in (None, modseq))
    )
    if unchanged:
        with store.tx():
            store.save_folder_state(account, folder, role, uidvalidity, uidnext, modseq, synced_at)
        return SyncReport(folder, 0, False)
    start = 1 if known is None or resynced else known.uidnext
    client.select_folder(folder, readonly=True)
    if resynced:
        log.warning("%s: UIDVALIDITY changed; reading the folder again", folder)
        with store.tx():
            store.drop_folder_messages(account, folder)
        known_count = 0
    uids = (
        sorted(u for u in client.search(["UID", f"{start}:*"]) if u >= start)
        if uidnext > start
        else []
    )
    added = 0
    for offset in range(0, len(uids), BATCH):
        batch = uids[offset : offset + BATCH]
        fetched = fetch_headers(client, batch, gmail=b"X-GM-EXT-1" in caps)
        items = [
            item
            for uid, data in fetched.items()
            if (item := _to_item(folder, uid, data)) is not None
        ]
        with store.tx():
            added += store.add_messages(account, folder, uidvalidity, items)
            next_uid = max(batch) + 1 if offset + BATCH < len(uids) else uidnext
            store.save_folder_state(account, folder, role, uidvalidity, next_uid, None, synced_at)
        if progress is not None:
            progress(folder, offset + len(batch), len(uids))
    if count < known_count + len(uids):
        present = set(client.search(["ALL"]))
        gone = store.folder_uids(account, folder) - present
        if gone:
            log.info("%s: %d messages were expunged or moved away", folder, len(gone))
            with store.tx():
                store.forget_uids(account, folder, gone)
    old_modseq = known.highestmodseq if known is not None and not resynced else None
    if condstore and modseq and old_modseq and modseq != old_modseq:
        # flags changed since the last poll: a keyword the user set in their client, say
        changed = fetch_flag_changes(client, old_modseq)
        if changed:
            with store.tx():
                store.update_flags(account, folder, changed)
    with store.tx():
        store.save_folder_state(account, folder, role, uidvalidity, uidnext, modseq, synced_at)
    return SyncReport(folder, added, resynced)


def fetch_flag_changes(client: IMAPClient, since_modseq: int) -> dict[int, tuple[str, ...]]:
    """UID -> flags of every message whose flags changed after `since_modseq` (CONDSTORE)."""
    typ, data = client._imap.uid("FETCH", "1:*", f"(UID FLAGS) (CHANGEDSINCE {since_modseq})")
    out: dict[int, tuple[str, ...]] = {}
    if typ != "OK":
        return out
    for item in data:
        line = item[0] if isinstance(item, tuple) else item
        if not isinstance(line, bytes):
            continue
        uid = flags = None
        for match in _META.finditer(line):
            if match.group(1):
                uid = int(match.group(1))
            elif match.group(3) is not None:
                flags = tuple(f.decode(errors="replace") for f in match.group(3).split())
        if uid is not None and flags is not None:
            out[uid] = flags
    return out


def uid_set(uids: Sequence[int]) -> str:
    """`[1, 2, 3, 7, 9, 10]` as `1:3,7,9:10`: short commands whatever the batch."""
    ranges: list[str] = []
    ordered = sorted(set(uids))
    start = prev = ordered[0]
    for uid in [*ordered[1:], -1]:
        if uid == prev + 1:
            prev = uid
            continue
        ranges.append(f"{start}:{prev}" if prev != start else str(start))
        start = prev = uid
    return ",".join(ranges)


_META = re.compile(
    rb'UID (\d+)|RFC822\.SIZE (\d+)|FLAGS \(([^)]*)\)|INTERNALDATE "([^"]+)"|X-GM-THRID (\d+)'
)


def fetch_headers(
    client: IMAPClient, uids: Sequence[int], gmail: bool = False
) -> dict[int, dict[bytes, Any]]:
    """The FETCH of sync, read straight off imaplib: imapclient's general response parser costs
    more than everything else in a sync put together. Falls back to imapclient on any surprise."""
    items = f"(UID RFC822.SIZE FLAGS INTERNALDATE {_HEADER_ITEM}{' X-GM-THRID' if gmail else ''})"
    wanted = set(uids)
    try:
        typ, data = client._imap.uid("FETCH", uid_set(uids), items)
        if typ != "OK":
            raise IMAPClientError(f"FETCH answered {typ}")
        out: dict[int, dict[bytes, Any]] = {}
        for i, part in enumerate(data):
            if not isinstance(part, tuple):
                continue
            prefix, literal = part
            tail = data[i + 1] if i + 1 < len(data) and isinstance(data[i + 1], bytes) else b""
            record: dict[bytes, Any] = {_HEADER_KEY: literal}
            for match in _META.finditer(prefix + b" " + tail):
                uid, size, flags, internal, thrid = match.groups()
                if uid:
                    record[b"UID"] = int(uid)
                elif size:
                    record[b"RFC822.SIZE"] = int(size)
                elif flags is not None:
                    record[b"FLAGS"] = tuple(flags.split())
                elif internal:
                    record[b"INTERNALDATE"] = parse_to_datetime(internal)
                elif thrid:
                    record[b"X-GM-THRID"] = int(thrid)
            if record.get(b"UID") in wanted:
                out[record.pop(b"UID")] = record
        return out
    except (ValueError, TypeError, IndexError, AttributeError) as exc:
        log.info("raw FETCH parse failed (%s); using imapclient's parser", exc)
        plain = [
            _HEADER_ITEM,
            "INTERNALDATE",
            "FLAGS",
            "RFC822.SIZE",
            *(["X-GM-THRID"] if gmail else []),
        ]
        result: dict[int, dict[bytes, Any]] = client.fetch(list(uids), plain)
        return result


def _to_item(
    folder: str, uid: int, data: dict[bytes, Any]
) -> tuple[int, headers.Header, list[str], int] | None:
    try:
        block = data.get(_HEADER_KEY) or next(
            (v for k, v in data.items() if k.startswith(b"BODY[HEADER")), b""
        )
        internal = data.get(b"INTERNALDATE")
        fallback = (
            internal.astimezone(UTC) if isinstance(internal, datetime) and internal.tzinfo else None
        )
        header = headers.parse(block or b"", fallback)
        if data.get(b"X-GM-THRID"):
            header = replace(header, thread_hint=str(data[b"X-GM-THRID"]))
        flags = [f.decode() if isinstance(f, bytes) else str(f) for f in data.get(b"FLAGS", ())]
        return uid, header, flags, int(data.get(b"RFC822.SIZE", 0))
    except Exception:  # one broken message costs only itself
        log.exception("%s UID %s: could not read its headers; skipped", folder, uid)
        return None


def fetch_bodies(
    client: IMAPClient, folder: str, uids: Sequence[int], max_bytes: int = 262_144
) -> dict[int, bytes]:
    """The first `max_bytes` of each message (enough to classify it); missing UIDs are left out."""
    if not uids:
        return {}
    client.select_folder(folder, readonly=True)
    item = f"BODY.PEEK[]<0.{max_bytes}>"
    out: dict[int, bytes] = {}
    for offset in range(0, len(uids), 100):
        for uid, data in client.fetch(list(uids[offset : offset + 100]), [item]).items():
            raw = next((v for k, v in data.items() if k.startswith(b"BODY[")), None)
            if isinstance(raw, bytes):
                out[uid] = raw
    return out


# -- drafts and single messages ------------------------------------------------------------------


def append(
    client: IMAPClient, folder: str, raw: bytes, flags: Sequence[bytes], when: datetime
) -> int | None:
    """APPEND and return the new UID when the server says it (UIDPLUS)."""
    response = client.append(folder, raw, flags=list(flags), msg_time=when)
    text = response.decode(errors="replace") if isinstance(response, bytes) else str(response)
    if "APPENDUID" in text:
        try:
            return int(text.split("APPENDUID", 1)[1].split()[1].rstrip("]"))
        except (IndexError, ValueError):
            return None
    return None


def find(client: IMAPClient, folder: str, message_id: str) -> list[int]:
    client.select_folder(folder, readonly=True)
    return sorted(client.search(["HEADER", "Message-ID", message_id]))


def find_header(client: IMAPClient, folder: str, name: str, value: str) -> list[int]:
    if not value:
        return []
    client.select_folder(folder, readonly=True)
    return sorted(client.search(["HEADER", name, value]))


def fetch_raw(client: IMAPClient, folder: str, uid: int) -> tuple[bytes, tuple[bytes, ...]] | None:
    """The whole message and its flags, or None when the UID is gone."""
    client.select_folder(folder, readonly=True)
    data = client.fetch([uid], ["BODY.PEEK[]", "FLAGS"]).get(uid)
    if not data or b"BODY[]" not in data:
        return None
    return bytes(data[b"BODY[]"]), tuple(data.get(b"FLAGS", ()))


def delete(client: IMAPClient, folder: str, uid: int) -> None:
    client.select_folder(folder)
    client.add_flags([uid], [b"\\Deleted"], silent=True)
    # without UIDPLUS a plain EXPUNGE would also remove messages the user marked deleted
    if b"UIDPLUS" in client.capabilities():
        client.uid_expunge([uid])


_CHANGES = (b"EXISTS", b"EXPUNGE", b"FETCH", b"RECENT")


def idle(client: IMAPClient, seconds: float, slice_seconds: float = 60.0) -> bool:
    """IDLE (RFC 2177) on the selected folder for at most `seconds`: True as soon as the server
    reports new, expunged or re-flagged mail, False when the time ran out with no change.

    Servers may drop an IDLE after 30 minutes, so callers re-issue it with `seconds` under 29
    minutes. Keepalives ("* OK Still here") are not changes. Shutting the socket down from
    another thread ends the wait at once with an error.
    """
    read_timeout = client.socket().gettimeout()  # idle_check leaves the socket without one
    client.idle()
    changed = False
    try:
        deadline = time.monotonic() + seconds
        for _ in range(int(seconds / slice_seconds) + 2):  # bounded: one slice at a time
            left = deadline - time.monotonic()
            if left <= 0:
                break
            responses = client.idle_check(timeout=min(left, slice_seconds))
            if any(_is_change(r) for r in responses):
                changed = True
                break
    finally:
        client.socket().settimeout(read_timeout)
        _text, pending = client.idle_done()
    return changed or any(_is_change(r) for r in pending)


def _is_change(response: Any) -> bool:
    return isinstance(response, tuple) and len(response) >= 2 and response[1] in _CHANGES


def capabilities(client: IMAPClient) -> list[str]:
    return sorted(c.decode() for c in client.capabilities())
