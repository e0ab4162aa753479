"""Which folder plays which part: Sent, Drafts, an archive, Gmail's All Mail.

SPECIAL-USE attributes (RFC 6154) first, compared without regard to case as RFC 3501 says
(Cyrus lists `\\sent` and `\\drafts`), then the provider's own names, then the usual ones; a
folder named in the account file wins over all of them. A folder that merely has the English
name never wins over the flagged one the user's client uses. `Folders.why` says how each was
chosen, for `check`. Pure over one LIST answer, so any `Mailbox` can be asked.
"""

from __future__ import annotations

from dataclasses import dataclass

from inbox_agent.config import Account
from inbox_agent.errors import FolderMissing
from inbox_agent.sync import failures
from inbox_agent.sync.failures import EDGE_ERRORS
from inbox_agent.sync.mailbox import Listed, Mailbox

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
_SPECIAL_USE = {"sent": "\\Sent", "drafts": "\\Drafts", "archive": "\\Archive", "all": "\\All"}
_ROLE_OF_FLAG = {flag.lower(): role for role, flag in _SPECIAL_USE.items()}
_NOT_OPENABLE = {"\\noselect", "\\nonexistent"}  # RFC 3501, RFC 5258: listed, not selectable


@dataclass(frozen=True)
class Folders:
    """The folders this account's mail lives in, by role."""

    inbox: str
    sent: str
    drafts: str
    others: tuple[str, ...]
    all_mail: str = ""  # Gmail's All Mail: every message once, whatever its labels
    why: tuple[tuple[str, str, str], ...] = ()  # (role, folder, how it was chosen), for `check`

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


def discover_folders(mailbox: Mailbox, account: Account) -> Folders:
    """Ask the server for its folders and pick them (`pick_folders`). A server that cannot be
    asked is Unreachable."""
    try:
        listing = mailbox.list_folders()
        gmail = "X-GM-EXT-1" in mailbox.capabilities()
    except EDGE_ERRORS as exc:
        raise failures.unreachable(account, exc) from None
    return pick_folders(listing, account, gmail)


def pick_folders(listing: list[Listed], account: Account, gmail: bool) -> Folders:
    """The folders by role. FolderMissing when Sent or Drafts cannot be found or cannot be
    opened (\\Noselect)."""
    names = [f.name for f in listing]
    closed = {f.name for f in listing if _NOT_OPENABLE & {a.lower() for a in f.attributes}}
    found: dict[str, str] = {}
    why: dict[str, str] = {}
    for folder in listing:
        for attribute in folder.attributes:
            role = _ROLE_OF_FLAG.get(attribute.lower())
            if role and role not in found and folder.name not in closed:
                found[role] = folder.name
                why[role] = f"flagged {_SPECIAL_USE[role]}"
    lowered = {n.lower(): n for n in names if n not in closed}
    for role, named in (("sent", account.sent_folder), ("drafts", account.drafts_folder)):
        if named:  # the account file names it: that wins over flags and guesses
            if named not in names or named in closed:
                problem = "cannot be opened there" if named in names else "has no such folder"
                raise FolderMissing(
                    f"{account.path}: [imap] {role}_folder = {named!r}, but {account.imap.host} {problem} "
                    f"(folders: {', '.join(names)})",
                    f"set [imap] {role}_folder to one of the folders listed, or remove it",
                )
            found[role] = named
            why[role] = f"named in the account file ({role}_folder)"
    for role in dict.fromkeys([*account.preset.folders, *_FALLBACK_NAMES]):
        if role not in found:  # the provider's own names first, then the usual ones
            for candidate in (
                *account.preset.folders.get(role, ()),
                *_FALLBACK_NAMES.get(role, ()),
            ):
                if candidate.lower() in lowered:
                    found[role] = lowered[candidate.lower()]
                    flag = _SPECIAL_USE[role]
                    why[role] = f"by name; no folder is flagged {flag}"
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
    for role in ("sent", "drafts"):
        if why[role].startswith("flagged"):  # say it when a same-named folder is passed over
            shadow = [
                lowered[c.lower()]
                for c in _FALLBACK_NAMES[role]
                if c.lower() in lowered and lowered[c.lower()] != found[role]
            ]
            if shadow:
                why[role] += f"; {', '.join(dict.fromkeys(shadow))} is not flagged, so not used"
    return Folders(
        "INBOX",
        found["sent"],
        found["drafts"],
        others,
        found["all"] if gmail else "",
        why=tuple(
            (role, found[role], why[role]) for role in ("sent", "drafts", "archive") if role in why
        ),
    )


__all__ = ["Folders", "discover_folders", "pick_folders"]
