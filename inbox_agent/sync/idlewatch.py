"""Push for one account: a thread that sits in IMAP IDLE on INBOX and asks for a poll on news.

The watcher holds its own connection (the engine opens one per cycle) and never touches the
store: on new mail it calls `on_change`, and the daemon runs a cycle in its worker. IDLE is
re-issued every `reissue` seconds (servers may end it after 30 minutes), a dropped connection is
re-opened after an exponential, jittered, capped wait, and mail that arrived while it was down is
caught by a poll right after the reconnect. A server without IDLE ends the thread: the interval
poll does the job there.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable

from inbox_agent.config import Account, secrets
from inbox_agent.sync import imap

log = logging.getLogger(__name__)

REISSUE = 25 * 60.0  # under RFC 2177's 29 minutes, with room for a slow round trip
READ_TIMEOUT = 60.0


def backoff(failures: int, rnd: random.Random, base: float = 2.0, cap: float = 300.0) -> float:
    """Seconds to wait before reconnect attempt `failures` (1, 2, ...): doubling from `base` up
    to `cap`, with the upper half jittered so that many clients never reconnect in step."""
    ceiling = min(cap, base * 2.0 ** min(max(failures, 1) - 1, 30))
    return ceiling / 2 + rnd.uniform(0, ceiling / 2)


class IdleWatch(threading.Thread):
    def __init__(
        self,
        account: Account,
        on_change: Callable[[str], None],
        on_mode: Callable[[str, str], None],
        may_connect: Callable[[], bool] = lambda: True,
        reissue: float = REISSUE,
        rnd: random.Random | None = None,
    ) -> None:
        super().__init__(name=f"idle:{account.name}", daemon=True)
        self.account = account
        self.on_change, self.on_mode, self.may_connect = on_change, on_mode, may_connect
        self.reissue = reissue
        self.rounds = 0  # IDLE commands issued, for tests and the log
        self._rnd = rnd or random.Random()
        self._halt = threading.Event()
        self._kicked = threading.Event()
        self._mailbox: imap.ImapMailbox | None = None
        self._guard = threading.Lock()

    # -- control, from other threads -----------------------------------------------------------
    def stop(self) -> None:
        self._halt.set()
        self._drop()

    def reconnect(self) -> None:
        """Drop the connection and open a new one now (after a wake from sleep, the old socket
        is usually dead without knowing it)."""
        self._kicked.set()
        self._drop()

    def _drop(self) -> None:
        with self._guard:
            mailbox = self._mailbox
        if mailbox is not None:
            mailbox.interrupt()

    # -- the thread ------------------------------------------------------------------------------
    def run(self) -> None:
        failures = 0
        connected_before = False
        while not self._halt.is_set():
            if not self.may_connect():
                self.on_mode(self.account.name, "held")
                self._halt.wait(30)  # a refused login is not retried until the user acts
                continue
            try:
                supported = self._watch(catch_up=connected_before)
            except Exception as exc:  # every failure here is a reason to reconnect
                if self._halt.is_set():
                    break
                if self._kicked.is_set():
                    self._kicked.clear()
                    failures = 0
                    continue
                failures += 1
                delay = backoff(failures, self._rnd)
                self.on_mode(self.account.name, "connecting")
                log.info(
                    "%s: IDLE connection lost (%s); reconnecting in %.0f s",
                    self.account.name,
                    exc,
                    delay,
                )
                self._halt.wait(delay)
                continue
            finally:
                with self._guard:
                    self._mailbox = None
            if not supported:
                return
            connected_before = True
            failures = 0
        self.on_mode(self.account.name, "stopped")

    def _watch(self, catch_up: bool) -> bool:
        """One connection's life. False when the server has no IDLE (polling does the job)."""
        self._kicked.clear()
        mailbox = imap.connect(
            self.account,
            secrets.require_secret(self.account.name, "imap"),
            timeout=READ_TIMEOUT,
        )
        with self._guard:
            self._mailbox = mailbox
        mailbox.keep_alive()
        if self._halt.is_set():
            mailbox.shutdown()
            return True
        if "IDLE" not in mailbox.capabilities():
            log.info("%s: the server has no IDLE; polling does the job", self.account.name)
            self.on_mode(self.account.name, "polling")
            mailbox.logout()
            return False
        self.on_mode(self.account.name, "idle")
        if catch_up:
            self.on_change("reconnected")
        while not self._halt.is_set() and not self._kicked.is_set():
            self.rounds += 1
            # DONE's tagged answer proves the connection lives; no NOOP in between, which
            # would swallow an EXISTS that arrives between two rounds
            if mailbox.idle("INBOX", self.reissue):
                self.on_change("new mail")
        mailbox.logout()
        return True
