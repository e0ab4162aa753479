"""`inbox-agent run`: one instance per INBOX_AGENT_HOME, a poll job per account, a clean stop.

APScheduler runs each account's cycle on the configured interval. Missed runs after sleep or
hibernate coalesce into one, so waking a laptop never causes a burst. SIGTERM and SIGINT let the
current cycle finish (each state change is its own transaction) and then stop.
"""

from __future__ import annotations

import fcntl
import logging
import logging.handlers
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import IO

from inbox_agent import config, paths
from inbox_agent.errors import UserError

log = logging.getLogger(__name__)


@contextmanager
def single_instance() -> Iterator[None]:
    """Hold an exclusive lock on the data directory's lock file, or refuse to start."""
    lock_path = paths.data_dir() / "daemon.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    handle: IO[str] = lock_path.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise UserError(
            f"inbox-agent is already running for {paths.data_dir()}",
            "stop the other one first, or set INBOX_AGENT_HOME for a separate profile",
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def _file_logging() -> None:
    paths.log_dir().mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        paths.log_dir() / "inbox-agent.log", maxBytes=2_000_000, backupCount=3
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(logging.INFO)


def run_forever(account_name: str | None, tray: bool) -> int:
    from apscheduler.schedulers.background import BackgroundScheduler

    from inbox_agent.engine import Engine
    from inbox_agent.store import Store

    settings = config.load_settings()
    accounts = config.load_accounts(settings)
    if account_name:
        accounts = [config.pick_account(accounts, account_name)]
    config.pick_account(accounts, accounts[0].name if accounts else None)
    if tray:
        log.warning("the tray icon is not available in this version; running headless")
    stop = threading.Event()
    lock = threading.Lock()  # one cycle at a time: the store connection is not shared
    interval = settings.poll_interval
    seconds = interval.amount * {"s": 1, "m": 60, "h": 3600, "d": 86400, "bd": 86400}[interval.unit]

    with single_instance():
        _file_logging()
        store = Store(paths.database_file())

        def cycle(account: config.Account) -> None:
            with lock:
                if stop.is_set():
                    return
                try:
                    report = Engine(account, settings, store).tick()
                    log.info("%s: %s", account.name, report.summary())
                except UserError as exc:
                    log.error("%s: %s", account.name, exc)
                except Exception:  # one bad poll never costs the daemon
                    log.exception(
                        "%s: the cycle failed; the next poll will try again", account.name
                    )

        scheduler = BackgroundScheduler(
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            executors={"default": {"type": "threadpool", "max_workers": 1}},
        )
        start = datetime.now(UTC)
        for account in accounts:
            scheduler.add_job(
                cycle, "interval", args=[account], seconds=seconds, next_run_time=start
            )
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        scheduler.start()
        print(
            f"inbox-agent is watching {', '.join(a.name for a in accounts)} every {interval}; Ctrl-C stops it"
        )
        stop.wait()
        scheduler.shutdown(wait=True)  # the running cycle finishes; nothing is half-done
        store.close()
    return 0
