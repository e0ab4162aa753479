"""The body of scripts/bench_sync. Every figure is measured side by side in one run, on the same
server and the same mailbox, because absolute times on shared machines are noisy."""

from __future__ import annotations

import argparse
import imaplib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from imapclient import IMAPClient

from inbox_agent.mail import headers
from tests.infra.dovecot import DovecotServer
from tests.infra.mailgen import generate, write_maildir

# the baselines' SEARCH ALL of a big folder answers in one long line (the agent, in a process of
# its own, asks a span of UIDs at a time)
imaplib._MAXLINE = 100_000_000

ROOT = Path(__file__).resolve().parent.parent
FIELDS = f"BODY.PEEK[HEADER.FIELDS ({' '.join(headers.FIELDS)})]"


def bare(port: int, user: str, password: str) -> tuple[int, float]:
    """(a) plain imapclient: the same header fields, same batches, no parsing, no storing."""
    client = IMAPClient("127.0.0.1", port=port, ssl=False, timeout=120)
    client.login(user, password)
    count, started = 0, time.perf_counter()
    for folder in ("INBOX", "Sent"):
        client.select_folder(folder, readonly=True)
        uids = client.search(["ALL"])
        for i in range(0, len(uids), 1000):
            count += len(
                client.fetch(uids[i : i + 1000], [FIELDS, "INTERNALDATE", "FLAGS", "RFC822.SIZE"])
            )
    elapsed = time.perf_counter() - started
    client.logout()
    return count, elapsed


def naive(port: int, user: str, password: str, limit: int) -> tuple[int, float]:
    """(b) the naive way: fetch every whole message and parse it with mail-parser."""
    import mailparser

    client = IMAPClient("127.0.0.1", port=port, ssl=False, timeout=120)
    client.login(user, password)
    count, started = 0, time.perf_counter()
    for folder in ("INBOX", "Sent"):
        client.select_folder(folder, readonly=True)
        uids = client.search(["ALL"])[: limit // 2]
        for i in range(0, len(uids), 500):
            for data in client.fetch(uids[i : i + 500], ["BODY.PEEK[]"]).values():
                mailparser.parse_from_bytes(data[b"BODY[]"])
                count += 1
    elapsed = time.perf_counter() - started
    client.logout()
    return count, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument(
        "--naive-sample", type=int, default=10_000, help="messages for (b); its rate is what counts"
    )
    args = parser.parse_args()
    load_start = [round(x, 2) for x in os.getloadavg()]
    server = DovecotServer({})
    server.start()
    try:
        user, password = "alice", "bench-pw"
        server.add_user(user, password)
        t = time.perf_counter()
        messages = generate(args.messages, user, seed=11)
        write_maildir(server.maildir(user), messages)
        server.chown_tree()
        print(f"wrote {len(messages)} messages in {time.perf_counter() - t:.1f}s", file=sys.stderr)
        warm = IMAPClient("127.0.0.1", port=server.imap_port, ssl=False)
        warm.login(user, password)
        for folder in ("INBOX", "Sent"):
            warm.select_folder(folder, readonly=True)  # Dovecot indexes new Maildir files here
        warm.logout()
        bare_n, bare_s = bare(server.imap_port, user, password)
        print(f"(a) bare imapclient: {bare_n} in {bare_s:.2f}s", file=sys.stderr)
        naive_n, naive_s = naive(
            server.imap_port, user, password, min(args.naive_sample, args.messages)
        )
        print(f"(b) naive RFC822 + mail-parser: {naive_n} in {naive_s:.2f}s", file=sys.stderr)
        with tempfile.TemporaryDirectory() as home:
            env = dict(os.environ, INBOX_AGENT_HOME=home, PYTHONPATH=str(ROOT))
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "scripts.bench_sync_agent",
                    str(server.imap_port),
                    user,
                    password,
                ],
                env=env,
                capture_output=True,
                text=True,
                timeout=1800,
                cwd=ROOT,
            )
            if done.returncode:
                raise SystemExit(f"the agent run failed:\n{done.stderr}")
        agent = json.loads(done.stdout.strip().splitlines()[-1])
        print(done.stderr, file=sys.stderr, end="")
        # once more, now that Dovecot's caches are as warm for it as they were for us
        again_n, again_s = bare(server.imap_port, user, password)
        print(f"(a) bare imapclient, second pass: {again_n} in {again_s:.2f}s", file=sys.stderr)
        bare_s = min(bare_s, again_s)
    finally:
        server.cleanup()
    bare_rate, naive_rate = bare_n / bare_s, naive_n / naive_s
    agent_rate = agent["synced"] / agent["sync_s"]
    result = {
        "messages": len(messages),
        "bare_msgs_per_s": round(bare_rate),
        "naive_msgs_per_s": round(naive_rate),
        "agent_msgs_per_s": round(agent_rate),
        "ratio_vs_bare": round(agent_rate / bare_rate, 3),
        "speedup_vs_naive": round(agent_rate / naive_rate, 1),
        "noop_poll_round_trips_per_folder": agent["noop_round_trips_per_folder"],
        "noop_poll_ms": agent["noop_poll_ms"],
        "peak_rss_mb": agent["peak_rss_mb"],
        "tracker_full_s": agent["tracker_full_s"],
        "tracker_incremental_ms": agent["tracker_incremental_ms"],
        "tracker_incremental_cpu_ms": agent["tracker_incremental_cpu_ms"],
        "tracker_incremental_first_ms": agent["tracker_incremental_first_ms"],
        "tracker_incremental_max_ms": agent["tracker_incremental_max_ms"],
        "tracker_incremental_n": agent["tracker_incremental_n"],
    }
    result["load_average_start"] = load_start
    result["load_average_end"] = [
        round(x, 2) for x in os.getloadavg()
    ]  # a shared machine: say how shared
    print(json.dumps(result))


if __name__ == "__main__":
    main()
