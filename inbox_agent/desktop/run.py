"""`inbox-agent run`: the process around the daemon. One instance per INBOX_AGENT_HOME (a lock on
the data directory), the rotating log file, the tray or none, and the signals.

SIGTERM and SIGINT stop taking work, let the job in progress finish (every state change is its
own transaction; a send is bracketed by the outbox), and exit. A second signal exits at once.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from inbox_agent import config, paths
from inbox_agent.desktop import status
from inbox_agent.desktop.daemon import SHUTDOWN_GRACE, Daemon
from inbox_agent.errors import UserError
from inbox_agent.store.db import Store

log = logging.getLogger(__name__)


@contextmanager
def single_instance() -> Iterator[None]:
    """Hold an exclusive lock on the data directory's lock file, or refuse to start."""
    lock_path = status.lock_file()
    paths.private_file(lock_path)
    handle: IO[str] = lock_path.open("a+")
    if not status.try_lock(handle):
        pid = status.read_pid(handle) or "unknown"
        handle.close()
        raise UserError(
            f"inbox-agent is already running for {paths.data_dir()} (pid {pid})",
            "use that one (`inbox-agent status`), stop it first, or set INBOX_AGENT_HOME "
            "for a separate profile",
        ) from None
    status.write_pid(handle, os.getpid())
    try:
        yield
    finally:
        status.write_pid(handle, None)
        status.unlock(handle)
        handle.close()


def _file_logging() -> Path:
    path = paths.private_file(paths.log_dir() / "inbox-agent.log")
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # a line per job is noise
    logging.getLogger("imapclient").setLevel(logging.WARNING)
    return path


def _say(text: str) -> None:
    os.write(2, (text + "\n").encode())  # safe inside a signal handler, unlike print()


def _install_signals(daemon: Daemon) -> None:
    def handler(signum: int, _frame: object) -> None:
        if daemon.stopping.is_set():
            _say("inbox-agent: stopping at once")
            os._exit(128 + signum)
        _say("inbox-agent: stopping after the current step (signal again to stop at once)")
        daemon.request_stop()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def run_forever(
    account_name: str | None,
    tray: bool,
    idle: bool = True,
    on_tray_ready: Callable[[Any], None] | None = None,
) -> int:
    settings = config.load_settings()
    accounts = config.load_accounts(settings)
    if account_name or not accounts:
        accounts = [config.pick_account(accounts, account_name)]
    with single_instance():
        log_path = _file_logging()
        store = Store(paths.database_file())
        daemon = Daemon(settings, accounts, store, idle=idle, only=account_name)
        ui = None
        if tray:
            from inbox_agent.desktop.tray import open_tray

            ui, why = open_tray(daemon)
            if ui is None:
                _say(f"inbox-agent: no tray icon ({why}); running headless")
                log.warning("no tray icon (%s); running headless", why)
        _install_signals(daemon)
        daemon.start()
        every = settings.poll_interval
        print(
            f"inbox-agent is watching {', '.join(a.name for a in accounts)} (IDLE where the "
            f"server has it, else every {every}); log: {log_path}; stop with Ctrl-C",
            flush=True,
        )
        try:
            if ui is not None:
                ui.run(on_tray_ready)
            else:
                daemon.wait()
        finally:
            clean = daemon.shutdown()
            if not clean:
                log.error(
                    "the step in progress did not finish within %.0f s; exiting anyway (an "
                    "interrupted send is resolved from the outbox at the next start)",
                    SHUTDOWN_GRACE,
                )
                logging.shutdown()
                os._exit(1)
            store.close()
            log.info("stopped")
    return 0
