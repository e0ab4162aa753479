"""(c)–(f) of scripts/bench_sync, in a process of its own so that its peak RSS is ours alone."""

from __future__ import annotations

import imaplib
import json
import resource
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import median

import keyring

from inbox_agent import config, paths
from inbox_agent.config import secrets
from inbox_agent.engine import Engine
from inbox_agent.engine.planning import facts
from inbox_agent.store.db import Store
from inbox_agent.tracker.decision import assess
from tests.infra.memkeyring import MemoryKeyring

NEW = 20  # new messages timed one at a time: the median is reported, and the first and slowest


def peak_rss_mb() -> float:
    """VmHWM: unlike ru_maxrss, it is not inherited from the parent across fork and exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    port, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    keyring.set_keyring(MemoryKeyring())
    path = paths.accounts_dir() / "bench.toml"
    path.parent.mkdir(parents=True)
    path.write_text(
        f'email = "{user}@example.test"\n[imap]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
        f'username = "{user}"\n[smtp]\nhost = "127.0.0.1"\nport = 9\nsecurity = "none"\n'
    )
    secrets.set_secret("bench", "imap", password)
    settings = config.load_settings()
    engine = Engine(config.load_account(path, settings), settings, Store(paths.database_file()))
    with engine.session() as client:
        started = time.perf_counter()
        synced = engine.sync(client)
        sync_s = time.perf_counter() - started
        rss_after_sync = peak_rss_mb()
        commands = 0
        original = imaplib.IMAP4._command

        def counting(self: imaplib.IMAP4, name: str, *args: object) -> object:
            nonlocal commands
            commands += 1
            return original(self, name, *args)

        imaplib.IMAP4._command = counting  # type: ignore[method-assign]
        started = time.perf_counter()
        engine.sync(client)
        noop_ms = (time.perf_counter() - started) * 1000
        imaplib.IMAP4._command = original  # type: ignore[method-assign]
        folders = len(engine.folders.watched())
    view = engine.ctx.view
    started = time.perf_counter()
    view.thread_new()  # what the first cycle does after the first sync: thread every row once
    full_s = time.perf_counter() - started
    threads = view.live_threads(datetime.now(UTC) - timedelta(days=30))
    threads.sort(key=lambda t: t.messages[-1].date or datetime.now(UTC))
    store, name = engine.store, engine.account.name
    view.user_addresses()  # kept by the daemon from its first cycle on, not read per message
    walls, cpus = [], []
    # one new message at a time, each to another of the newest threads, as sync stores it; then
    # threaded, its thread read and decided. The first comes right after the bulk threading
    # above (its WAL and caches as that left them); the median is the daemon's usual case
    for k, newest in enumerate(threads[::-1][:NEW]):
        last = newest.messages[-1]
        reply = replace(
            last,
            message_id=f"<bench-new{k}@example.test>",
            in_reply_to=(last.message_id,),
            references=(*last.references, last.message_id),
            from_addr="bob0@example.test",
            date=datetime.now(UTC),
        )
        with store.tx():
            store.add_messages(name, "INBOX", 1, [(10**9 + k, reply, [], 1)])
        started, cpu = time.perf_counter(), time.process_time()
        view.thread_new()  # its own transaction: the wall time holds one fsync of the store
        [thread] = view.threads_of([reply.message_id])
        assess(thread, [], facts(engine.ctx, threads=[thread]))
        walls.append((time.perf_counter() - started) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    print(
        f"(c) agent sync: {synced} in {sync_s:.2f}s; {len(threads)} threads; "
        f"peak RSS after sync {rss_after_sync:.0f} MB",
        file=sys.stderr,
    )
    print(
        json.dumps(
            {
                "synced": synced,
                "sync_s": sync_s,
                "noop_round_trips_per_folder": round(commands / folders, 2),
                "noop_poll_ms": round(noop_ms, 1),
                "peak_rss_mb": round(peak_rss_mb(), 1),
                "tracker_full_s": round(full_s, 3),
                "tracker_incremental_ms": round(median(walls), 3),
                "tracker_incremental_cpu_ms": round(median(cpus), 3),
                "tracker_incremental_first_ms": round(walls[0], 3),
                "tracker_incremental_max_ms": round(max(walls), 3),
                "tracker_incremental_n": len(walls),
            }
        )
    )


if __name__ == "__main__":
    main()
