"""The body of scripts/chaos_send: SIGKILL the real daemon cycle at random moments and count, per
thread, the nudges that reached the recipient. Never twice, never lost.

One run: a fresh alice on Autopilot with N threads, each to a fresh recipient and sent a week
ago, so every one is due at once; undo 1 minute, the send window always open, spacing 1 s, caps
high. Then, up to `--restarts` times: `inbox-agent run --once` with INBOX_AGENT_NOW pinned,
SIGKILL at a moment drawn uniformly from 0..T (T: the longest uninterrupted cycle, measured
once at the start), wait until the relay has nothing of alice's in flight (what the 10-minute
recovery grace stands for), move the clock on by 11 minutes (past the undo window and past the
recovery grace, so a row left `sending` with no evidence goes back to `pending`), and again,
until the store says every thread's nudge is sent. Then up to a few cycles without a kill, so
that the daemon can finish. Then count, per thread, the messages in the recipient's INBOX that
answer the original.

The last line printed is one JSON object: runs, threads, double_sends, lost_sends (threads whose
nudge never arrived although the daemon finished, or could not finish), audit_verified, and
diagnostics (kills, cycles, leftovers in the user's own mailbox, unfinished runs, seconds).
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from inbox_agent.store.states import OutboxState
from scripts._mailworld import (
    Profile,
    World,
    agent,
    audit_verified,
    finish,
    parallel_runs,
    rows,
    weekday_morning,
)

STEP = timedelta(minutes=11)  # past the 1-minute undo and the 10-minute recovery grace
FINISH_CYCLES = 4  # cycles without a kill after the chaos, for the daemon to finish


@dataclass
class RunResult:
    threads: int = 0
    double_sends: int = 0
    lost_sends: int = 0
    audit_ok: bool = True
    finished: bool = True
    kills: int = 0
    cycles: int = 0
    failed_cycles: int = 0  # exited non-zero without being killed
    relay_mismatch: int = 0  # INBOX count differs from the relay's record
    unfinished_runs: int = 0
    leftovers: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def add(self, other: RunResult) -> None:
        self.threads += other.threads
        self.double_sends += other.double_sends
        self.lost_sends += other.lost_sends
        self.audit_ok &= other.audit_ok
        self.kills += other.kills
        self.cycles += other.cycles
        self.failed_cycles += other.failed_cycles
        self.relay_mismatch += other.relay_mismatch
        self.unfinished_runs += not other.finished
        self.leftovers.update(other.leftovers)


def done(prof: Profile) -> bool:
    """The store says every thread's nudge is sent and nothing is pending or sending."""
    sent = rows(prof, "SELECT COUNT(*) FROM sequences WHERE touches_sent >= 1")
    open_rows = rows(
        prof,
        "SELECT COUNT(*) FROM outbox WHERE state IN (?, ?)",
        (OutboxState.PENDING, OutboxState.SENDING),
    )
    return bool(sent and open_rows) and sent[0][0] == len(prof.threads) and open_rows[0][0] == 0


def cycle(
    world: World, prof: Profile, now: datetime, kill_after: float | None, result: RunResult
) -> float:
    """One `run --once`; SIGKILL after `kill_after` seconds unless it is over by then. Returns
    how long it lived."""
    started = time.monotonic()
    proc = agent(prof, ["run", "--once"], now)
    killed = False
    if kill_after is not None:
        try:
            proc.proc.wait(kill_after)
        except Exception:  # still running at the chosen moment
            proc.signal(signal.SIGKILL)
            killed = True
    code = finish(proc, 120)
    lived = time.monotonic() - started
    result.cycles += 1
    result.kills += killed
    if not killed and code != 0:
        result.failed_cycles += 1
        result.notes.append(f"run --once exited {code}: {proc.output[-400:]}")
    if not world.quiet(prof.user.login):
        result.notes.append("the relay did not go quiet within 10 s after a cycle")
    if killed:  # where did the kill land? A row left `sending` is the window that matters
        relayed = {d.message_id for d in world.nudges_relayed(prof)}
        sending = rows(
            prof, "SELECT message_id FROM outbox WHERE state = ?", (OutboxState.SENDING,)
        )
        for (mid,) in sending:
            result.leftovers[
                "killed_after_smtp" if mid in relayed else "killed_before_smtp_done"
            ] += 1
    return lived


def one_run(
    world: World, rng: random.Random, n_threads: int, restarts: int, t_kill: float
) -> RunResult:
    now = weekday_morning()
    prof = world.profile(n_threads, "autopilot", now)
    result = RunResult(threads=n_threads)
    for _ in range(restarts):
        cycle(world, prof, now, rng.uniform(0, t_kill), result)
        now += STEP
        if done(prof):
            break
    for _ in range(FINISH_CYCLES):
        if done(prof):
            break
        cycle(world, prof, now, None, result)
        now += STEP
    result.finished = done(prof)
    if not result.finished:
        result.notes.append(
            "not finished: "
            + repr(rows(prof, "SELECT state, touches_sent FROM sequences"))
            + repr(rows(prof, "SELECT state, attempts, last_error FROM outbox"))
        )
    relayed = Counter(d.in_reply_to for d in world.nudges_relayed(prof))
    for thread in prof.threads:
        arrived = world.nudges_in_inbox(thread)
        if arrived > 1:
            result.double_sends += 1
            result.notes.append(f"{thread.subject}: {arrived} nudges arrived")
        if arrived == 0:
            result.lost_sends += 1
            result.notes.append(f"{thread.subject}: no nudge arrived")
        if arrived != relayed[thread.message_id]:
            result.relay_mismatch += 1
    result.leftovers.update(world.leftovers(prof))
    result.audit_ok = audit_verified(prof, now)
    if not result.audit_ok:
        result.notes.append("audit --verify failed")
    return result


def calibrate(world: World, n_threads: int, jobs: int) -> float:
    """T: the longest uninterrupted `run --once` of a clean run (drafting, then sending), the
    median over `jobs` such runs side by side, so that T is measured under the load the runs
    will see."""

    def clean() -> float:
        now = weekday_morning()
        prof = world.profile(n_threads, "autopilot", now)
        probe = RunResult(threads=n_threads)
        longest = 0.0
        for _ in range(FINISH_CYCLES):
            longest = max(longest, cycle(world, prof, now, None, probe))
            now += STEP
            if done(prof):
                break
        if not done(prof) or probe.failed_cycles:
            raise SystemExit("calibration did not finish cleanly:\n" + "\n".join(probe.notes))
        return longest

    with ThreadPoolExecutor(jobs) as pool:
        return statistics.median(pool.map(lambda _: clean(), range(jobs)))


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--threads", type=int, default=8, help="threads (recipients) per run")
    parser.add_argument("--restarts", type=int, default=5, help="killed cycles per run, at most")
    parser.add_argument("--jobs", type=int, default=3, help="runs side by side")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument(
        "--minutes", type=float, default=0, help="start no new run after this long (0: no limit)"
    )
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    master = random.Random(seed)
    began = time.monotonic()
    totals = RunResult()
    runs = 0
    with tempfile.TemporaryDirectory(prefix="chaos-send-") as tmp, World(Path(tmp)) as world:
        world.warm_up()
        t_kill = calibrate(world, args.threads, args.jobs)
        print(f"seed {seed}; one full cycle takes up to {t_kill:.2f} s", file=sys.stderr)

        def task(_i: int) -> RunResult:
            return one_run(world, random.Random(seeds[_i]), args.threads, args.restarts, t_kill)

        seeds = [master.randrange(2**32) for _ in range(args.runs)]
        for _i, r in parallel_runs(args.runs, args.jobs, args.minutes, task):
            runs += 1
            totals.add(r)
            print(
                f"run {runs}: {r.cycles} cycles, {r.kills} kills, double {r.double_sends}, "
                f"lost {r.lost_sends}, audit {'ok' if r.audit_ok else 'BROKEN'}"
                + "".join(f"\n  {note}" for note in r.notes),
                file=sys.stderr,
            )
        dovecot_errors = world.dovecot.errors_in_log()
        for line in dovecot_errors[:20]:
            print(f"dovecot: {line}", file=sys.stderr)
    summary: dict[str, object] = {
        "runs": runs,
        "threads": totals.threads,
        "double_sends": totals.double_sends,
        "lost_sends": totals.lost_sends,
        "audit_verified": totals.audit_ok,
        "kills": totals.kills,
        "cycles": totals.cycles,
        "failed_cycles": totals.failed_cycles,
        "unfinished_runs": totals.unfinished_runs,
        "relay_mismatch": totals.relay_mismatch,
        "dovecot_errors": len(dovecot_errors),
        **dict(sorted(totals.leftovers.items())),
        "cycle_s": round(t_kill, 2),
        "seed": seed,
        "seconds": round(time.monotonic() - began, 1),
    }
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
