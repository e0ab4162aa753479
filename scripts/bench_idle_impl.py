"""The body of scripts/bench_idle: what the daemon costs while it waits, and how fast IDLE reacts.

1. IDLE latency: `inbox-agent run --no-tray` (polls set to once an hour) watches an account with
   N tracked threads; one reply at a time is handed to SMTP (delivered by LMTP before the 250),
   and the time until its sequence reads `replied` in the store is taken.
2. Polls on a big mailbox: a generated 10k-message account, the first sync, then an hour's worth
   of polls at the tightest interval a person would set (60 polls, one a second here), counted
   from the first quiet poll (the first cycles' aftermath, `aftermath_s`, left out); the
   daemon's resident memory (VmRSS, and the peak VmHWM) after them.
3. Idle: the same account with the default 5-minute interval, IDLE on; CPU time (user + system,
   from /proc) over a few real minutes of nothing happening, per minute.

Everything runs on loopback against a private Dovecot; the last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.infra.daemon import AgentProcess, idle_latencies, log_text, profile_env, write_profile
from tests.infra.dovecot import DovecotServer
from tests.infra.mail import MailUser, wait_for
from tests.infra.mailgen import generate, write_maildir
from tests.infra.smtp_relay import start_submission_server

TICKS = os.sysconf("SC_CLK_TCK")


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM in kB; cpu in clock ticks (utime + stime)."""
    out: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    out["cpu"] = int(fields[11]) + int(fields[12])
    return out


def user(server: DovecotServer, name: str) -> MailUser:
    login = f"{name}{os.getpid()}"
    server.add_user(login, f"{name}-pw")
    return MailUser(login, f"{name}-pw", f"{name.title()} Example")


def latency(server: DovecotServer, smtp_port: int, root: Path, n: int) -> dict[str, Any]:
    alice, bob = user(server, "alice"), user(server, "bob")
    seconds = idle_latencies(root / "latency", alice, bob, server.imap_port, smtp_port, n)
    return {
        "deliveries": n,
        "median_s": round(statistics.median(seconds), 3),
        "max_s": round(max(seconds), 3),
        "min_s": round(min(seconds), 3),
        "all_s": [round(s, 3) for s in seconds],
    }


def big_account(
    server: DovecotServer, smtp_port: int, root: Path, messages: int
) -> tuple[MailUser, float]:
    carol = user(server, "carol")
    started = time.monotonic()
    write_maildir(server.maildir(carol.login), generate(messages, carol.login))
    server.chown_tree()
    from imapclient import IMAPClient

    # Dovecot indexes the Maildir at the first SELECT: done before the daemon starts, or its
    # first sync sees an INBOX that changes UIDVALIDITY under it and the next cycle reads it again
    warm = IMAPClient("127.0.0.1", port=server.imap_port, ssl=False, timeout=600)
    warm.login(carol.login, carol.password)
    for folder in ("INBOX", "Sent"):
        warm.select_folder(folder, readonly=True)
    warm.logout()
    return carol, time.monotonic() - started


CYCLE = re.compile(r"(\d+) new messages synced.*the cycle took ([\d.]+) s")
LEFT = ("bodies read", "nudges left for the next cycle", "threads left until their mail is read")


def _quiet(home: Path) -> bool:
    """The last cycle found nothing and did nothing, quickly: the first cycles' aftermath (the
    bodies left to read, 100 a cycle with no new mail; the drafts; the voice) is over."""
    lines = [line for line in log_text(home).splitlines() if CYCLE.search(line)]
    if not lines:
        return False
    new, took = CYCLE.findall(lines[-1])[0]
    done = " 0 nudges saved" in lines[-1] and not any(left in lines[-1] for left in LEFT)
    return int(new) == 0 and float(took) < 0.5 and done


def polls(
    server: DovecotServer, smtp_port: int, root: Path, carol: MailUser, count: int
) -> dict[str, Any]:
    home = root / "polls"
    write_profile(
        home, carol, server.imap_port, smtp_port, settings='[daemon]\npoll_interval = "1s"\n'
    )
    agent = AgentProcess(home, ["run", "--no-tray"], profile_env(home))
    try:
        started = time.monotonic()
        if not wait_for(lambda: "newly tracked" in log_text(home), 600, 0.5):
            raise SystemExit("the first sync did not finish:\n" + agent.output + log_text(home))
        first_sync = time.monotonic() - started
        after_first = proc_status(agent.proc.pid)
        settled = wait_for(lambda: _quiet(home), 600, 0.5)
        settle_s = time.monotonic() - started - first_sync
        cycles = lambda: log_text(home).count("new messages synced")  # noqa: E731
        base = cycles()
        cpu0, t0 = proc_status(agent.proc.pid)["cpu"], time.monotonic()
        if not wait_for(lambda: cycles() - base >= count, count * 10, 0.5):
            raise SystemExit(f"fewer than {count} polls ran:\n" + log_text(home)[-3000:])
        done = proc_status(agent.proc.pid)
        elapsed = time.monotonic() - t0
    finally:
        agent.stop()
    return {
        "first_sync_s": round(first_sync, 1),
        "rss_after_first_sync_mb": round(after_first["VmRSS"] / 1024, 1),
        "quiet_before_polls": bool(settled),
        "aftermath_s": round(settle_s, 1),
        "polls": count,
        "rss_after_polls_mb": round(done["VmRSS"] / 1024, 1),
        "peak_rss_mb": round(done["VmHWM"] / 1024, 1),
        "cpu_per_noop_poll_ms": round((done["cpu"] - cpu0) / TICKS / count * 1000, 1),
        "wall_per_poll_s": round(elapsed / count, 2),
    }


def idle(
    server: DovecotServer, smtp_port: int, root: Path, carol: MailUser, minutes: float
) -> dict[str, Any]:
    home = root / "idle"
    write_profile(home, carol, server.imap_port, smtp_port)
    agent = AgentProcess(home, ["run", "--no-tray"], profile_env(home))
    try:
        if not wait_for(lambda: "newly tracked" in log_text(home), 600, 0.5):
            raise SystemExit("the first sync did not finish:\n" + agent.output + log_text(home))
        time.sleep(10)  # the first cycle's aftermath (voice, IDLE connect)
        before, t0 = proc_status(agent.proc.pid), time.monotonic()
        time.sleep(minutes * 60)
        after, elapsed = proc_status(agent.proc.pid), time.monotonic() - t0
    finally:
        agent.stop()
    per_minute = (after["cpu"] - before["cpu"]) / TICKS / (elapsed / 60)
    return {
        "idle_minutes": round(elapsed / 60, 2),
        "cpu_s_per_idle_minute": round(per_minute, 4),
        "cpu_share_percent": round(per_minute / 60 * 100, 3),
        "rss_idle_mb": round(after["VmRSS"] / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=20)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--polls", type=int, default=60)
    parser.add_argument("--idle-minutes", type=float, default=3.0)
    args = parser.parse_args()
    load_start = [round(x, 2) for x in os.getloadavg()]
    root = Path(tempfile.mkdtemp(prefix="bench-idle-"))
    server = DovecotServer()
    server.start()
    relay = start_submission_server(server.lmtp_socket, server.users)
    result: dict[str, Any] = {}
    try:
        result["idle_latency"] = latency(server, relay.port, root, args.deliveries)
        print("IDLE latency:", json.dumps(result["idle_latency"]), flush=True)
        carol, load = big_account(server, relay.port, root, args.messages)
        result["mailbox"] = {"messages": args.messages, "written_s": round(load, 1)}
        result["polls"] = polls(server, relay.port, root, carol, args.polls)
        print("polls:", json.dumps(result["polls"]), flush=True)
        result["idle"] = idle(server, relay.port, root, carol, args.idle_minutes)
        print("idle:", json.dumps(result["idle"]), flush=True)
    finally:
        relay.stop()
        server.cleanup()
    result["load_average_start"] = load_start
    result["load_average_end"] = [
        round(x, 2) for x in os.getloadavg()
    ]  # a shared machine: say how shared
    print(json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
