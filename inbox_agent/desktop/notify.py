"""Problems that need the user, told once: which failures count, when to tell, and how.

A poll that fails because the network blipped is retried quietly. A failure only the user can
fix (a rejected password, a revoked token, a Sent or Drafts folder that cannot be found, a
keyring that will not open, a full disk, an LLM endpoint that stopped answering) is told at once, in the tray and as one desktop notification,
and told again only after it went away and came back. A transient failure that lasts becomes a
problem too: a watch that has been failing for half an hour is not left to fail silently.

Which is which goes by the error's class (the tree in `inbox_agent.errors`), never by its words.

`Alerts` is pure: it is fed what each cycle found and the time, and returns what to say.
"""

from __future__ import annotations

import errno
import logging
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from inbox_agent import clock
from inbox_agent.errors import (
    FolderMissing,
    LoginRefused,
    MailServerError,
    SecretError,
    SendRefused,
    TokenRevoked,
    UserError,
)
from inbox_agent.sync.failures import EDGE_ERRORS

log = logging.getLogger(__name__)

NEEDS_USER = frozenset({"login", "token", "folder", "keyring", "disk", "llm", "send"})
BREAKS_WATCH = frozenset({"login", "token", "folder", "keyring", "disk", "unreachable", "failing"})
HELD = frozenset({"login", "token", "keyring"})  # retrying the same secret can lock the account
PERSISTS = timedelta(minutes=30)  # a transient failure this old is a problem after all


@dataclass(frozen=True)
class Problem:
    """Why an account is not being watched (or drafted for) as it should be, and the fix."""

    kind: str  # login | token | folder | keyring | disk | llm | send | unreachable | failing
    account: str
    message: str
    fix: str = ""

    @property
    def needs_user(self) -> bool:
        return self.kind in NEEDS_USER

    @property
    def breaks_watch(self) -> bool:
        """True when mail is not being read at all (as opposed to drafts written offline)."""
        return self.kind in BREAKS_WATCH

    def line(self) -> str:
        return f"{self.account}: {self.message}"


def _disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return isinstance(exc, sqlite3.OperationalError) and "full" in str(exc).lower()


# The first class that matches decides; the order goes from the narrowest class to the widest.
_KINDS: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    ((SecretError,), "keyring"),
    ((TokenRevoked,), "token"),
    ((LoginRefused,), "login"),
    ((FolderMissing,), "folder"),
    ((SendRefused,), "send"),  # refused for good (a wrong SMTP password too): back to the user
    # Unreachable, a send that may pass, any other server trouble, and what the IMAP edge
    # raised untranslated (a dropped connection, a NO in the middle of a sync): it may pass
    ((MailServerError, *EDGE_ERRORS), "unreachable"),
    ((UserError,), "failing"),
)
_FALLBACK_FIX = {
    "token": "sign in again with `inbox-agent init` ({account})",
    "unreachable": "check the network; retrying by itself",
}


def problem_of(exc: BaseException, account: str) -> Problem:
    """What a failed cycle means for the user, decided by the error's class."""
    message = (str(getattr(exc, "message", "") or exc).splitlines() or [type(exc).__name__])[0]
    if _disk_full(exc):
        return Problem(
            "disk",
            account,
            "the disk is full: nothing can be saved",
            "free some disk space; watching resumes by itself",
        )
    kind = next((kind for classes, kind in _KINDS if isinstance(exc, classes)), "")
    if not kind:
        return Problem(
            "failing",
            account,
            f"a cycle failed ({type(exc).__name__}: {message})",
            "see the log (inbox-agent status shows where); retrying at the next poll",
        )
    fix = str(getattr(exc, "fix", "")) or _FALLBACK_FIX.get(kind, "").format(account=account)
    return Problem(kind, account, message, fix)


def llm_problem(account: str, drafters: list[str], base_url: str) -> Problem | None:
    """New drafts written offline although an LLM endpoint is configured: it did not answer.
    None when the newest draft came from the model again (the problem went away)."""
    if not drafters or not base_url:
        return None
    if drafters[-1] != "offline":
        return None
    return Problem(
        "llm",
        account,
        f"the LLM endpoint {base_url} did not answer; nudges are written by the offline drafter",
        "start your local model server or check [llm] base_url and the API key",
    )


@dataclass
class Alerts:
    """Once, not a storm: remembers, per account and area ("mail", "send", "llm"), the problem in force,
    since when, and whether it was told."""

    persists: timedelta = PERSISTS
    _since: dict[tuple[str, str], tuple[Problem, datetime]] = field(default_factory=dict)
    _told: set[tuple[str, str]] = field(default_factory=set)

    def update(
        self, account: str, area: str, found: Problem | None, now: datetime
    ) -> list[Problem | str]:
        """Record what the last cycle found; return what to tell now: a Problem to announce,
        or a sentence that a told problem is over."""
        key = (account, area)
        if found is None:
            self._since.pop(key, None)
            if key in self._told:
                self._told.discard(key)
                return [f"{account}: working again"]
            return []
        previous = self._since.get(key)
        if previous is None or previous[0].kind != found.kind:
            self._since[key] = (found, now)
            self._told.discard(key)
        else:
            self._since[key] = (found, previous[1])  # the newest words, the first time
        if key in self._told or not self._due(key, now):
            return []
        self._told.add(key)
        return [found]

    def _due(self, key: tuple[str, str], now: datetime) -> bool:
        problem, since = self._since[key]
        return problem.needs_user or now - since >= self.persists

    def visible(self, account: str, now: datetime) -> list[Problem]:
        """The problems the tray and `status` show for an account: those already told."""
        return [
            problem
            for (name, area), (problem, _since) in sorted(self._since.items())
            if name == account and ((name, area) in self._told or self._due((name, area), now))
        ]


class Health:
    """Per account: problems told once, refused logins held back until what they depend on
    changes (retrying a wrong password every few minutes gets accounts locked), and the last
    error, kept for `inbox-agent status` across restarts."""

    def __init__(
        self,
        say: Callable[[str, str], None],
        fingerprint: Callable[[str], str],
        saved: Mapping[str, Any],
    ) -> None:
        self.say, self.fingerprint = say, fingerprint
        self.alerts = Alerts()
        self.held: dict[str, str] = {}
        self.last_errors: dict[str, dict[str, str]] = {
            name: value["last_error"]
            for name, value in saved.items()
            if isinstance(value, dict) and isinstance(value.get("last_error"), dict)
        }

    def failed(self, name: str, exc: BaseException) -> Problem:
        problem = problem_of(exc, name)
        if problem.kind == "failing":
            log.error("%s: the cycle failed; the next poll tries again", name, exc_info=exc)
        else:
            log.error("%s: %s", name, exc)
        self.last_errors[name] = {
            "at": clock.now().isoformat(),
            "kind": problem.kind,
            "message": problem.message,
        }
        if problem.kind in HELD:
            self.held[name] = self.fingerprint(name)
        self.tell(name, "mail", problem)
        return problem

    def tell(self, name: str, area: str, found: Problem | None) -> None:
        for item in self.alerts.update(name, area, found, clock.now()):
            if isinstance(item, Problem):
                fix = f"\n{item.fix}" if item.fix else ""
                self.say("inbox-agent needs you", item.line() + fix)
            else:
                self.say("inbox-agent", item)

    def blocked(self, name: str) -> bool:
        held = self.held.get(name)
        if held is None:
            return False
        if self.fingerprint(name) == held:
            return True
        log.info("%s: the password or the account file changed; trying again", name)
        self.held.pop(name, None)
        return False

    def may_connect(self, name: str) -> bool:
        return not self.blocked(name)

    def unblock_all(self) -> None:
        self.held.clear()


class Notifier(Protocol):
    """Where a notification goes: the tray's desktop notification, or the log when headless."""

    def notify(self, title: str, message: str) -> None: ...


class LogNotifier:
    """Headless: a notification is a log line (and the state file keeps the problem)."""

    def notify(self, title: str, message: str) -> None:
        log.warning("%s: %s", title, message)
