"""The process that threads behind a long sync (`threading.Behind` starts it): it threads what
the sync stores, on a connection of its own, until its input ends (the sync is over, or the
daemon is gone), then what is left, and exits. Run as `python -m inbox_agent.engine.behind
STORE ACCOUNT`."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from inbox_agent.engine.threading import thread_new
from inbox_agent.store import Store

POLL = 0.1  # seconds between looks at what the sync stored: it commits every 1000 messages
NICE = 10  # below the sync it runs beside, and the IMAP server that sync waits on


def main(path: Path, account: str) -> None:
    if hasattr(os, "nice"):  # POSIX
        os.nice(NICE)
    done = threading.Event()

    def watch() -> None:
        sys.stdin.buffer.read()  # returns at the end of input
        done.set()

    threading.Thread(target=watch, daemon=True).start()
    store = Store(path)
    try:
        while True:  # as long as the sync lasts
            thread_new(store, account)
            if done.wait(POLL):
                break
        thread_new(store, account)
    finally:
        store.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
