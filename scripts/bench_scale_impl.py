"""The body of scripts/bench_scale: what the daemon costs with N accounts of M messages each.

One private Dovecot, users acct0 … acct{N-1}, each holding the same generated mailbox (written
once, hard-linked into the others: one copy on disk, N Dovecot indexes). Measured side by side
in one run, on the same server:

1. bare: plain imapclient in a process of its own: the header FETCH of bench_sync's (a) over
   INBOX and Sent of acct0 (`bare.sync_s`, VmHWM), then STATUS of both folders on the kept
   connection, 60 times (`bare.noop_poll_cpu_ms`).
2. `sync_alone_s`: `inbox-agent sync --headers-only` of acct0 alone (the headers: what every
   cycle has to fetch first), on a profile of its own (a subprocess),
   less the wall time of a second one that finds nothing (start-up, login: `sync_startup_s`).
3. The daemon, `inbox-agent run --no-tray`, watching all N accounts (poll every 2 s): each
   account's first cycle (its log line says how long it took; `first_cycle_ratio` is acct0's
   over `sync_alone_s`) and VmHWM after them (`first_sync_peak_rss_mb`); then polls that find
   nothing over a bounded window: CPU (utime + stime, /proc) per poll per account, VmRSS.
4. Restart: SIGTERM, the same profile started again: `restart_thread_state_ready_s` from the
   engine's "thread state ready" line (the live threads read from the store for the first
   plan), and how long that first cycle took (`restart_first_cycle_s`).

Every loop is bounded in count and time. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from scripts.bench_idle_impl import TICKS, proc_status
from scripts.bench_sync_impl import FIELDS
from tests.infra.daemon import AgentProcess, log_text, profile_env, write_profile
from tests.infra.dovecot import DovecotServer
from tests.infra.mail import MailUser, wait_for
from tests.infra.mailgen import generate, write_maildir

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-pw"
READY = re.compile(r"(acct\d+): thread state ready in ([\d.]+) s: (\d+) live threads")
CYCLE = re.compile(r"(acct\d+): (\d+) new messages synced.*the cycle took ([\d.]+) s")
STEPS = re.compile(r"(acct\d+): \d+ new messages synced.*the cycle took [\d.]+ s \((.*)\)")
STEP = re.compile(r"([a-z ]+) ([\d.]+) s")

_BARE = """
import imaplib, json, os, sys, time
from pathlib import Path
from imapclient import IMAPClient
imaplib._MAXLINE = 100_000_000  # one SEARCH ALL of a big folder is one long line
port, user, password, fields = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
client = IMAPClient("127.0.0.1", port=port, ssl=False, timeout=300)
client.login(user, password)
count, started = 0, time.perf_counter()
for folder in ("INBOX", "Sent"):
    client.select_folder(folder, readonly=True)
    uids = client.search(["ALL"])
    for i in range(0, len(uids), 1000):
        count += len(client.fetch(uids[i : i + 1000], [fields, "INTERNALDATE", "FLAGS", "RFC822.SIZE"]))
sync_s = time.perf_counter() - started
client.unselect_folder()
t0 = os.times()
for _ in range(60):
    for folder in ("INBOX", "Sent"):
        client.folder_status(folder, [b"MESSAGES", b"UIDVALIDITY", b"UIDNEXT", b"HIGHESTMODSEQ"])
t1 = os.times()
client.logout()
hwm = next(int(l.split()[1]) for l in Path("/proc/self/status").read_text().splitlines() if l.startswith("VmHWM:"))
cpu_ms = ((t1.user + t1.system) - (t0.user + t0.system)) / 60 * 1000
print(json.dumps({"synced": count, "sync_s": round(sync_s, 2), "noop_poll_cpu_ms": round(cpu_ms, 2), "peak_rss_mb": round(hwm / 1024, 1)}))
"""


def accounts(server: DovecotServer, n: int, messages: int) -> list[MailUser]:
    """N users with the same mailbox (hard links), Dovecot's indexes built before timing."""
    users = [MailUser(f"acct{i}", PASSWORD, "Owner Example") for i in range(n)]
    for u in users:
        server.add_user(u.login, PASSWORD)
    first = server.maildir(users[0].login)
    write_maildir(first, generate(messages, users[0].login, seed=11))
    for u in users[1:]:
        target = server.maildir(u.login)
        target.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["cp", "-al", str(first), str(target)], check=True)
    server.chown_tree()
    from imapclient import IMAPClient

    for u in users:
        warm = IMAPClient("127.0.0.1", port=server.imap_port, ssl=False, timeout=600)
        warm.login(u.login, PASSWORD)
        for folder in ("INBOX", "Sent"):
            warm.select_folder(folder, readonly=True)  # Dovecot indexes the Maildir here
        warm.logout()
    return users


def bare(server: DovecotServer) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _BARE, str(server.imap_port), "acct0", PASSWORD, FIELDS],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if done.returncode:
        raise SystemExit(f"the bare baseline failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _profile(home: Path, users: list[MailUser], port: int, settings: str) -> None:
    for u in users:
        # every account is the same person: the mailbox was written for acct0
        who = MailUser("acct0", u.password, u.display_name)
        path = write_profile(home, who, port, 9, "manual", settings, name=u.login)
        path.write_text(path.read_text().replace('username = "acct0"', f'username = "{u.login}"'))


def sync_alone(server: DovecotServer, root: Path, user: MailUser) -> dict[str, Any]:
    home = root / "sync-alone"
    _profile(home, [user], server.imap_port, "")
    walls = []
    for _ in range(2):  # the first sync, then one with nothing new: its start-up and login
        started = time.monotonic()
        agent = AgentProcess(home, ["sync", "--headers-only"], profile_env(home))
        code = agent.wait(1800)
        walls.append(time.monotonic() - started)
        if code:
            raise SystemExit("inbox-agent sync failed:\n" + agent.output)
    return {"sync_alone_s": round(walls[0] - walls[1], 2), "sync_startup_s": round(walls[1], 2)}


def _cycles(home: Path) -> list[tuple[str, int, float]]:
    return [(a, int(n), float(s)) for a, n, s in CYCLE.findall(log_text(home))]


LEFT = ("nudges left for the next cycle", "threads left until their mail is read")


def _drafted_all(home: Path, account: str) -> float | None:
    """The seconds of `account`'s first cycles up to the first that left no nudge to draft and
    no mail to read for the next (None: not there yet)."""
    total = 0.0
    for line in log_text(home).splitlines():
        found = CYCLE.search(line)
        if found and found.group(1) == account:
            total += float(found.group(3))
            if not any(left in line for left in LEFT):
                return round(total, 2)
    return None


def _quiet(home: Path, names: list[str]) -> bool:
    """Every account's last cycle found nothing and did nothing: no new mail, no body read, no
    draft, nothing left for the next (a first run's backlog is read 100 bodies a cycle, each
    cycle quick, with no new mail)."""
    last = {}
    for line in log_text(home).splitlines():
        found = CYCLE.search(line)
        if found:
            last[found.group(1)] = (int(found.group(2)), float(found.group(3)), line)
    return all(
        a in last
        and last[a][0] == 0
        and last[a][1] < 0.5
        and "bodies read" not in last[a][2]
        and " 0 nudges saved" in last[a][2]
        and not any(left in last[a][2] for left in LEFT)
        for a in names
    )


def daemon(
    server: DovecotServer, root: Path, users: list[MailUser], idle_s: float
) -> dict[str, Any]:
    home = root / "daemon"
    _profile(home, users, server.imap_port, '[daemon]\npoll_interval = "2s"\n')
    n = len(users)
    agent = AgentProcess(home, ["run", "--no-tray"], profile_env(home))
    try:
        if not wait_for(lambda: len({a for a, _, _ in _cycles(home)}) >= n, 3600, 1.0):
            raise SystemExit("the first cycles did not finish:\n" + log_text(home)[-3000:])
        first = {}
        for account, _new, seconds in _cycles(home):
            first.setdefault(account, seconds)
        # the first cycle drafts `cycle.DRAFTS_PER_CYCLE` nudges, the cycles right after it the
        # rest: acct0's cycles until one leaves none, summed (its first drafts all written)
        settled_drafts = wait_for(lambda: _drafted_all(home, "acct0") is not None, 600, 1.0)
        all_drafts = _drafted_all(home, "acct0") if settled_drafts else None
        peak = proc_status(agent.proc.pid)
        steps = next((parts for a, parts in STEPS.findall(log_text(home)) if a == "acct0"), "")
        # the first cycles' aftermath (the bodies left to read, 100 a cycle, the voice): the
        # idle window starts once every account's last poll was quick, or after ten minutes
        settled = wait_for(lambda: _quiet(home, [u.login for u in users]), 600, 1.0)
        base, before, t0 = len(_cycles(home)), proc_status(agent.proc.pid), time.monotonic()
        time.sleep(idle_s)
        after, elapsed, polls = proc_status(agent.proc.pid), time.monotonic() - t0, 0
        polls = len(_cycles(home)) - base
        quiet = [c for c in _cycles(home)[base:] if c[1] == 0]
    finally:
        agent.stop()
    # restart: the same profile, the store as the first run left it
    log_before = len(_cycles(home))
    again = AgentProcess(home, ["run", "--no-tray"], profile_env(home))
    try:
        restarted = time.monotonic()
        if not wait_for(lambda: len(_cycles(home)) >= log_before + n, 600, 0.2):
            raise SystemExit("no cycle after the restart:\n" + log_text(home)[-3000:])
        restart_wall = time.monotonic() - restarted
        restart = _cycles(home)[log_before : log_before + n]
        ready = READY.findall(log_text(home))[-n:]
        restart_rss = proc_status(again.proc.pid)
    finally:
        again.stop()
    return {
        "quiet_before_idle": bool(settled),
        "first_cycle_s": [first[u.login] for u in users],
        "first_drafts_all_written_s": all_drafts,
        # acct0's first cycle by step (those of a second or more), from its log line
        "first_cycle_steps_s": {k.strip(): float(v) for k, v in STEP.findall(steps)},
        "first_sync_peak_rss_mb": round(peak["VmHWM"] / 1024, 1),
        "idle_window_s": round(elapsed, 1),
        "idle_polls": polls,
        "idle_polls_quiet": len(quiet),
        "idle_poll_cpu_ms_per_account": round(
            (after["cpu"] - before["cpu"]) / TICKS / max(polls, 1) * 1000, 1
        ),
        "idle_cpu_s_per_minute": round((after["cpu"] - before["cpu"]) / TICKS / elapsed * 60, 3),
        "rss_idle_mb": round(after["VmRSS"] / 1024, 1),
        "hwm_mb": round(after["VmHWM"] / 1024, 1),
        "restart_thread_state_ready_s": max(float(s) for _a, s, _n in ready),
        "restart_live_threads": [int(n) for _a, _s, n in ready],
        "restart_first_cycle_s": max(s for _a, _n, s in restart),
        "restart_until_cycled_s": round(restart_wall, 2),
        "restart_rss_mb": round(restart_rss["VmRSS"] / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=2)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    args = parser.parse_args()
    load_start = [round(x, 2) for x in os.getloadavg()]
    root = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    server = DovecotServer()
    server.start()
    result: dict[str, Any] = {"accounts": args.accounts, "messages": args.messages}
    try:
        t = time.monotonic()
        users = accounts(server, args.accounts, args.messages)
        print(f"mailboxes ready in {time.monotonic() - t:.0f}s", file=sys.stderr, flush=True)
        result["bare"] = bare(server)
        print("bare:", json.dumps(result["bare"]), file=sys.stderr, flush=True)
        result.update(sync_alone(server, root, users[0]))
        result["sync_vs_bare"] = round(result["bare"]["sync_s"] / result["sync_alone_s"], 3)
        print("sync alone:", result["sync_alone_s"], file=sys.stderr, flush=True)
        result.update(daemon(server, root, users, args.idle_seconds))
    finally:
        server.cleanup()
    result["first_cycle_ratio"] = round(result["first_cycle_s"][0] / result["sync_alone_s"], 2)
    if result.get("first_drafts_all_written_s"):
        result["first_drafts_all_written_ratio"] = round(
            result["first_drafts_all_written_s"] / result["sync_alone_s"], 2
        )
    ten = args.accounts >= 10
    result["targets"] = {
        "idle_poll_cpu_le_20ms": result["idle_poll_cpu_ms_per_account"] <= 20,
        "rss_idle_le_90mb" if not ten else "rss_idle_le_120mb": result["rss_idle_mb"]
        <= (120 if ten else 90),
        "first_cycle_le_1.3x_sync": result["first_cycle_ratio"] <= 1.3,
        "restart_ready_le_0.3s": result["restart_thread_state_ready_s"] <= 0.3,
    }
    result["load_average_start"] = load_start
    result["load_average_end"] = [
        round(x, 2) for x in os.getloadavg()
    ]  # a shared machine: say how shared
    print(json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
