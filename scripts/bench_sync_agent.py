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

import keyring

from inbox_agent import config, paths
from inbox_agent.config import secrets
from inbox_agent.engine import Engine
from inbox_agent.engine.planning import facts
from inbox_agent.store.db import Store
from inbox_agent.tracker.decision import assess
from tests.infra.memkeyring import MemoryKeyring


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
    newest = max(threads, key=lambda t: t.messages[-1].date or datetime.now(UTC))
    last = newest.messages[-1]
    reply = replace(
        last,
        message_id="<bench-new@example.test>",
        in_reply_to=(last.message_id,),
        references=(*last.references, last.message_id),
        from_addr="bob0@example.test",
        date=datetime.now(UTC),
    )
    store, name = engine.store, engine.account.name
    with store.tx():  # one new message, as sync stores it; then threaded, its thread decided
        store.add_messages(name, "INBOX", 1, [(10**9, reply, [], 1)])
    view.user_addresses()  # kept by the daemon from its first cycle on, not read per message
    started, cpu = time.perf_counter(), time.process_time()
    view.thread_new()  # its own transaction: the wall time holds one fsync of the store
    [thread] = view.threads_of([reply.message_id])
    assess(thread, [], facts(engine.ctx, threads=[thread]))
    incremental_ms = (time.perf_counter() - started) * 1000
    incremental_cpu_ms = (time.process_time() - cpu) * 1000
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
                "tracker_incremental_ms": round(incremental_ms, 3),
                "tracker_incremental_cpu_ms": round(incremental_cpu_ms, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
