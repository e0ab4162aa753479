"""The body of scripts/race_reply: the recipient answers at a random moment between drafting and
sending. A nudge must never be submitted after the reply was already in the user's mailbox.

One run: a fresh alice with N threads, each to a fresh recipient and sent a week ago (due at
once); the send window always open, undo 1 minute. `inbox-agent run --once` drafts them. Then:
- Copilot runs: `inbox-agent approve ID` for each draft in turn, while each recipient's reply is
  handed to SMTP (In-Reply-To the original) at its own random moment around that process;
- Autopilot runs: one `inbox-agent run --once` past the undo window sends them all, while each
  recipient's reply is handed to SMTP at its own random moment around that process.
A reply's moment is drawn, with even odds, uniformly over the whole process (from a little
before it starts to its usual end) or uniformly over the stretch where the nudges' SMTP sessions
usually open (from 250 ms before to 50 ms after), both measured once at the start, under the
same number of runs side by side.

The relay records, on one monotonic clock, when each nudge's SMTP session opened and when each
reply's LMTP delivery into alice's INBOX returned. A nudge whose session opened after its
thread's reply was delivered is a send after a reply. The last line printed is one JSON object:
runs, sends_after_reply, cancelled (threads whose nudge the reply stopped), sent (nudges that
reached the recipient), and diagnostics (the gaps of any sends after a reply, in ms).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from inbox_agent.store.states import DraftState, SequenceState
from scripts._mailworld import (
    Profile,
    Thread,
    World,
    agent,
    audit_verified,
    finish,
    parallel_runs,
    rows,
    weekday_morning,
)

LEAD = 0.3  # s: replies may land this long before the sending process starts
SEND_AFTER = {"copilot": timedelta(minutes=2), "autopilot": timedelta(minutes=11)}


class Timing:
    """Where, after a sending process starts, its nudges' SMTP sessions open, and how long it
    lives: seeded by clean runs, then kept up to date from the last `KEEP` observations of the
    runs themselves (the machine's load changes, and a run can only be aimed where sends are)."""

    KEEP = 60

    def __init__(self, lifetimes: list[float], connects: list[float]) -> None:
        self.lock = threading.Lock()
        self.lifetimes = deque(lifetimes, self.KEEP)
        self.connects = deque(connects, self.KEEP)

    def observe(self, lifetimes: list[float], connects: list[float]) -> None:
        with self.lock:
            self.lifetimes.extend(lifetimes)
            self.connects.extend(connects)

    def window(self) -> tuple[float, float, float]:
        """(usual lifetime, 10th and 90th percentile of the SMTP sessions' opening)."""
        with self.lock:
            lifetime = statistics.median(self.lifetimes)
            cuts = statistics.quantiles(self.connects, n=10) if len(self.connects) > 1 else []
            first, last = (cuts[0], cuts[-1]) if cuts else (lifetime / 2, lifetime / 2)
        return lifetime, first, last

    def draw(self, rng: random.Random) -> float:
        lifetime, first, last = self.window()
        if rng.random() < 0.5:
            return rng.uniform(-LEAD, lifetime)
        return rng.uniform(first - 0.25, last + 0.05)


@dataclass
class RaceResult:
    mode: str = ""
    samples: int = 0  # threads raced
    sent: int = 0
    cancelled: int = 0
    sends_after_reply: int = 0
    double_sends: int = 0
    other: int = 0  # neither sent nor stopped by the reply
    inbox_mismatch: int = 0  # the recipient's INBOX disagrees with the relay's record
    audit_ok: bool = True
    gaps_ms: list[float] = field(default_factory=list)  # of each send after a reply
    margins_ms: list[float] = field(default_factory=list)  # reply after connect, sent anyway
    lifetimes: list[float] = field(default_factory=list)
    connects: list[float] = field(default_factory=list)  # nudge sessions, s after start
    notes: list[str] = field(default_factory=list)


def draft_ids(prof: Profile) -> dict[str, int]:
    """Original Message-ID → its open draft's id."""
    return dict(
        rows(
            prof,
            "SELECT s.anchor_message_id, d.id FROM drafts d JOIN sequences s "
            "ON s.id = d.sequence_id WHERE d.state IN (?, ?)",
            (DraftState.QUEUED, DraftState.SCHEDULED),
        )
    )


def race(
    world: World,
    prof: Profile,
    threads: list[Thread],
    args: list[str],
    now: datetime,
    offsets: list[float] | None,
    result: RaceResult,
) -> float:
    """Start `inbox-agent ARGS` at t0 and have each thread's recipient reply at t0 + its offset
    (None: nobody replies). Returns t0 (monotonic)."""
    t0 = time.monotonic() + LEAD
    failures: list[str] = []

    def answer(thread: Thread, at: float) -> None:
        time.sleep(max(0.0, at - time.monotonic()))
        try:
            world.reply(thread.recipient, thread, prof.user, now)
        except Exception as exc:  # reported, not raised: the race goes on
            failures.append(f"{thread.subject}: the reply failed: {exc!r}")

    repliers = [
        threading.Thread(target=answer, args=(t, t0 + off), daemon=True)
        for t, off in zip(threads, offsets or [], strict=False)
    ]
    for r in repliers:
        r.start()
    time.sleep(max(0.0, t0 - time.monotonic()))
    proc = agent(prof, args, now)
    code = finish(proc, 120)
    result.lifetimes.append(time.monotonic() - t0)
    for r in repliers:
        r.join(30)
    result.notes += failures
    if code not in (0, 4) or (code and offsets is None):
        result.notes.append(f"{' '.join(args)} exited {code}: {proc.output[-300:]}")
    return t0


def one_run(
    world: World, rng: random.Random, mode: str, n: int, timing: Timing | None
) -> RaceResult:
    """One race on fresh threads; `timing` None: nobody replies (calibration)."""
    result = RaceResult(mode=mode)
    now = weekday_morning()
    prof = world.profile(n, mode, now)
    code = finish(agent(prof, ["run", "--once"], now), 120)
    drafts = draft_ids(prof)
    if code != 0 or len(drafts) != n:
        result.notes.append(f"drafting: exit {code}, {len(drafts)} of {n} drafts")
        result.other += n
        return result
    later = now + SEND_AFTER[mode]
    starts: dict[str, float] = {}
    if mode == "copilot":
        for thread in prof.threads:
            offsets = None if timing is None else [timing.draw(rng)]
            args = ["approve", str(drafts[thread.message_id])]
            starts[thread.message_id] = race(world, prof, [thread], args, later, offsets, result)
    else:
        offsets = None if timing is None else [timing.draw(rng) for _ in prof.threads]
        t0 = race(world, prof, prof.threads, ["run", "--once"], later, offsets, result)
        starts = {t.message_id: t0 for t in prof.threads}
    if not world.quiet(prof.user.login):
        result.notes.append("the relay did not go quiet within 10 s")
    judge(world, prof, starts, result, replied=timing is not None)
    if timing is not None:
        timing.observe(result.lifetimes, result.connects)
    result.audit_ok = audit_verified(prof, later)
    if not result.audit_ok:
        result.notes.append("audit --verify failed")
    return result


def judge(
    world: World, prof: Profile, starts: dict[str, float], result: RaceResult, replied: bool
) -> None:
    deliveries = world.deliveries()
    nudges = world.nudges_relayed(prof)
    states = dict(rows(prof, "SELECT anchor_message_id, state FROM sequences"))
    for thread in prof.threads:
        result.samples += 1
        mine = [d for d in nudges if d.in_reply_to == thread.message_id]
        result.connects += [d.connected_at - starts[thread.message_id] for d in mine]
        answers = [
            d
            for d in deliveries
            if d.login == thread.recipient.login and d.in_reply_to == thread.message_id
        ]
        arrived = world.nudges_in_inbox(thread)
        if arrived != len(mine):
            result.inbox_mismatch += 1
            result.notes.append(f"{thread.subject}: {arrived} in INBOX, {len(mine)} relayed")
        result.sent += arrived
        result.double_sends += arrived > 1
        if replied and not answers:
            result.notes.append(f"{thread.subject}: the reply was never delivered")
            continue
        for nudge in mine:
            if answers and answers[0].finished_at < nudge.connected_at:
                result.sends_after_reply += 1
                gap = (nudge.connected_at - answers[0].finished_at) * 1000
                result.gaps_ms.append(round(gap, 1))
                result.notes.append(
                    f"{thread.subject}: nudge submitted {gap:.1f} ms after the reply was in "
                    f"the mailbox ({result.mode})"
                )
            elif answers:
                result.margins_ms.append(
                    round((answers[0].finished_at - nudge.connected_at) * 1000, 1)
                )
        if not mine:
            if states.get(thread.message_id) == SequenceState.REPLIED:
                result.cancelled += 1
            else:
                result.other += 1
                result.notes.append(
                    f"{thread.subject}: not sent, and the thread is {states.get(thread.message_id)}"
                )


def calibrate(world: World, n: int, jobs: int) -> dict[str, Timing]:
    """Clean runs of each mode, `jobs` side by side, nobody replying: where do the SMTP
    sessions open, and how long does a sending process live?"""
    modes = [("copilot", "autopilot")[i % 2] for i in range(max(2, jobs))]

    def clean(i: int) -> RaceResult:
        return one_run(world, random.Random(i), modes[i], n, None)

    found: dict[str, list[RaceResult]] = {"copilot": [], "autopilot": []}
    for _i, r in parallel_runs(len(modes), jobs, 0, clean):
        if r.other or r.sent != n or r.notes:
            raise SystemExit(f"calibration ({r.mode}) was not clean:\n" + "\n".join(r.notes))
        found[r.mode].append(r)
    timing = {}
    for mode, results in found.items():
        connects = [c for r in results for c in r.connects]
        lifetimes = [t for r in results for t in r.lifetimes]
        timing[mode] = Timing(lifetimes, connects)
    return timing


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--threads", type=int, default=4, help="threads (recipients) per run")
    parser.add_argument(
        "--mode", choices=("both", "copilot", "autopilot"), default="both", help="both: alternate"
    )
    parser.add_argument("--jobs", type=int, default=3, help="runs side by side")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument(
        "--minutes", type=float, default=0, help="start no new run after this long (0: no limit)"
    )
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    master = random.Random(seed)
    seeds = [master.randrange(2**32) for _ in range(args.runs)]
    modes = [
        args.mode if args.mode != "both" else ("copilot", "autopilot")[i % 2]
        for i in range(args.runs)
    ]
    began = time.monotonic()
    totals = RaceResult()
    runs = {"copilot": 0, "autopilot": 0}
    with tempfile.TemporaryDirectory(prefix="race-reply-") as tmp, World(Path(tmp)) as world:
        world.warm_up()
        timing = calibrate(world, args.threads, args.jobs)
        print(
            f"seed {seed}; "
            + "; ".join(
                f"{m}: lives {w[0]:.2f} s, SMTP opens {w[1]:.2f}..{w[2]:.2f} s"
                for m, w in ((m, t.window()) for m, t in timing.items())
            ),
            file=sys.stderr,
        )

        def task(i: int) -> RaceResult:
            return one_run(world, random.Random(seeds[i]), modes[i], args.threads, timing[modes[i]])

        for i, r in parallel_runs(args.runs, args.jobs, args.minutes, task):
            runs[r.mode] += 1
            for name in (
                "samples",
                "sent",
                "cancelled",
                "sends_after_reply",
                "double_sends",
                "other",
                "inbox_mismatch",
            ):
                setattr(totals, name, getattr(totals, name) + getattr(r, name))
            totals.audit_ok &= r.audit_ok
            totals.gaps_ms += r.gaps_ms
            totals.margins_ms += r.margins_ms
            print(
                f"run {sum(runs.values())} ({r.mode}, #{i}): sent {r.sent}, cancelled "
                f"{r.cancelled}, after reply {r.sends_after_reply}"
                + "".join(f"\n  {note}" for note in r.notes),
                file=sys.stderr,
            )
        dovecot_errors = world.dovecot.errors_in_log()
        for line in dovecot_errors[:20]:
            print(f"dovecot: {line}", file=sys.stderr)
    margins = sorted(totals.margins_ms)
    summary: dict[str, object] = {
        "runs": sum(runs.values()),
        "sends_after_reply": totals.sends_after_reply,
        "cancelled": totals.cancelled,
        "sent": totals.sent,
        "samples": totals.samples,
        "copilot_runs": runs["copilot"],
        "autopilot_runs": runs["autopilot"],
        "double_sends": totals.double_sends,
        "other": totals.other,
        "inbox_mismatch": totals.inbox_mismatch,
        "audit_verified": totals.audit_ok,
        "dovecot_errors": len(dovecot_errors),
        "gaps_ms": sorted(totals.gaps_ms)[:50],
        "closest_reply_after_submit_ms": margins[:5],
        "median_reply_after_submit_ms": round(statistics.median(margins), 1) if margins else None,
        "seed": seed,
        "seconds": round(time.monotonic() - began, 1),
    }
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
