"""A `Mailbox` that fails where a test says: the crash and fault tests' way in, instead of
patching module functions.

`Faults` wraps any mailbox. `crash_on("append", after=True)` makes the next APPEND reach the
server and then raise, as if the process died right after the command; `after=False` raises
before the command is sent. `refuse_on(...)` raises the error a server's NO becomes. Each fault
fires once (`times`), so a loop over a faulty mailbox stays bounded.
"""

from __future__ import annotations

import imaplib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

from inbox_agent.config import Account
from inbox_agent.engine import Opener, open_imap
from inbox_agent.sync.mailbox import Mailbox


class Crash(Exception):
    """Stands in for the process dying at that line."""


@dataclass
class _Fault:
    method: str
    make: Callable[[], BaseException]
    after: bool
    times: int


class Faults:
    """Faults to inject, shared by every session opened through `opener`."""

    def __init__(self, inner: Opener = open_imap) -> None:
        self.inner = inner
        self._faults: list[_Fault] = []
        self.calls: list[str] = []  # every method called through a faulty session, in order

    def crash_on(self, method: str, *, after: bool = False, times: int = 1) -> None:
        self._faults.append(_Fault(method, Crash, after, times))

    def refuse_on(self, method: str, *, times: int = 1) -> None:
        self._faults.append(
            _Fault(method, lambda: imaplib.IMAP4.error(f"{method} refused (NO)"), False, times)
        )

    def clear(self) -> None:
        self._faults.clear()

    def opener(self, account: Account) -> AbstractContextManager[Mailbox]:
        return self._open(account)

    @contextmanager
    def _open(self, account: Account) -> Iterator[Mailbox]:
        with self.inner(account) as mailbox:
            yield self.wrap(mailbox)

    def wrap(self, mailbox: Mailbox) -> Mailbox:
        """`mailbox` with these faults (and every call recorded in `calls`)."""
        faulty: Mailbox = _Faulty(mailbox, self)  # type: ignore[assignment]  # by its methods
        return faulty

    def _due(self, method: str) -> _Fault | None:
        for fault in self._faults:
            if fault.method == method and fault.times > 0:
                fault.times -= 1
                return fault
        return None


class _Faulty:
    def __init__(self, inner: Mailbox, faults: Faults) -> None:
        self._inner, self._faults = inner, faults

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._inner, name)
        if not callable(real):
            return real

        def call(*args: Any, **kwargs: Any) -> Any:
            self._faults.calls.append(name)
            fault = self._faults._due(name)
            if fault is not None and not fault.after:
                raise fault.make()
            result = real(*args, **kwargs)
            if fault is not None:
                raise fault.make()
            return result

        return call
