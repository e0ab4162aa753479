"""What the daemon knows about itself, kept where `inbox-agent status` and the tray can read it.

- The pause switch is a file in the data directory: a pause survives restarts, and
  `inbox-agent pause` works whether the daemon runs or not (it looks at the file every minute).
- `daemon-state.json`, written by the running daemon: its pid, since when it runs, and per account
  how it watches (IDLE or polling), the last good cycle and the problems in force.
- Whether a daemon runs is asked of its lock, never of the state file: a killed daemon leaves a
  stale file, but the kernel drops its lock.
- `Snapshot` is what the tray draws, built from the store by the daemon's worker thread.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from inbox_agent import clock, paths
from inbox_agent.config import Account
from inbox_agent.desktop.notify import Problem
from inbox_agent.store import AuditRow, DraftState, OutboxState, Store

if TYPE_CHECKING:  # the engine loads only in the daemon
    from inbox_agent.engine import Undecided


def lock_file() -> Path:
    return paths.data_dir() / "daemon.lock"


def state_file() -> Path:
    return paths.data_dir() / "daemon-state.json"


def pause_file() -> Path:
    return paths.data_dir() / "paused"


def try_lock(handle: IO[str]) -> bool:
    """Take the profile's lock without waiting; False when another process holds it. The
    kernel drops it when its holder dies, however it dies."""
    if sys.platform == "win32":
        import msvcrt

        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def unlock(handle: IO[str]) -> None:
    if sys.platform == "win32":
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(handle, fcntl.LOCK_UN)


def write_pid(handle: IO[str], pid: int | None) -> None:
    handle.seek(0)
    handle.truncate()
    if pid is not None:
        handle.write(str(pid))
    handle.flush()


def read_pid(handle: IO[str]) -> int:
    """The pid in the lock file, or 0 when it cannot be read (Windows locks the bytes too)."""
    try:
        handle.seek(0)
        text = handle.read().strip()
    except OSError:
        return 0
    return int(text) if text.isdigit() else 0


def running_pid() -> int | None:
    """The pid of the daemon holding this profile's lock, or None when none runs (0 when one
    runs but its pid could not be read)."""
    path = lock_file()
    if not path.exists():
        return None
    with path.open("r+") as handle:
        if not try_lock(handle):
            return read_pid(handle)
        unlock(handle)
    return None


def paused() -> bool:
    return pause_file().exists()


def paused_since() -> str:
    try:
        return pause_file().read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def set_paused(flag: bool, by: str) -> None:
    """Pause or resume every account, for this process and any daemon of this profile."""
    path = pause_file()
    if flag:
        paths.private_file(path)
        path.write_text(f"{clock.now().isoformat()} by {by}\n", encoding="utf-8")
    else:
        path.unlink(missing_ok=True)


def write_state(data: dict[str, Any]) -> None:
    """Replace the state file in one step, so a reader never sees half of it."""
    path = state_file()
    temp = paths.private_file(path.with_suffix(".tmp"))
    temp.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    os.replace(temp, path)


def read_state() -> dict[str, Any]:
    try:
        data = json.loads(state_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


# -- what the tray draws ---------------------------------------------------------------------------


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@dataclass(frozen=True)
class Nudge:
    """A draft that waits for the user (queued) or for its send time (scheduled)."""

    draft_id: int
    sequence_id: int
    account: str
    mailbox: str  # the account's address: whose Drafts folder holds it
    folder: str
    subject: str
    to_name: str
    touch: int
    send_at: str = ""  # ISO time, for scheduled sends
    why: str = ""  # why its thread is followed (the sequence's reason: "asks: …", "promised: …")

    @property
    def label(self) -> str:
        """`Re: Q3 contract → Bob Stone, 2nd touch`"""
        return f"{self.subject} → {self.to_name}, {ordinal(self.touch)} touch"

    @property
    def where(self) -> str:
        return f"{self.folder} of {self.mailbox}"


@dataclass(frozen=True)
class AccountView:
    name: str
    email: str
    autonomy: str
    last_sync: str  # ISO time of the last successful sync, "" when never
    watch: str  # "idle", "polling", "connecting", "held" (a refused login) or "stopped"
    problems: tuple[Problem, ...] = ()
    next_nudge: str = ""  # ISO time the next sequence's step falls due, "" when none waits


@dataclass(frozen=True)
class Snapshot:
    paused: bool = False
    accounts: tuple[AccountView, ...] = ()
    approvals: tuple[Nudge, ...] = ()
    scheduled: tuple[Nudge, ...] = ()
    undecided: tuple[Undecided, ...] = ()  # threads whose last message is the user's to judge
    taken_at: str = field(default="")

    @property
    def problems(self) -> list[Problem]:
        return [p for a in self.accounts for p in a.problems]

    @property
    def state(self) -> str:
        """watching, paused, attention (something waits for the user) or error (a watch is
        broken until the user acts). An error outranks a pause: a paused agent with a rejected
        password still needs fixing before Resume can help."""
        if any(p.breaks_watch for p in self.problems):
            return "error"
        if self.paused:
            return "paused"
        if self.approvals or self.problems:
            return "attention"
        return "watching"


def nudges(
    store: Store,
    account: Account,
    state: DraftState,
    names: dict[tuple[str, str], str] | None = None,
) -> list[Nudge]:
    """The drafts in `state`, labelled; `names` caches display names across calls (looking
    one up scans the account's messages)."""
    names = {} if names is None else names
    out: list[Nudge] = []
    scheduled = {
        row.draft_id: row.not_before.isoformat()
        for row in store.outbox(account.name, (OutboxState.PENDING,))
        if state == DraftState.SCHEDULED
    }
    for draft in store.drafts(account.name, (state,)):
        first = draft.recipients[0] if draft.recipients else ""
        key = (account.name, first)
        if key not in names:
            names[key] = store.display_name(account.name, first) or first
        name = names[key]
        if len(draft.recipients) > 1:
            name += f" +{len(draft.recipients) - 1}"
        out.append(
            Nudge(
                draft_id=draft.id,
                sequence_id=draft.sequence_id,
                account=account.name,
                mailbox=account.email,
                folder=draft.folder,
                subject=draft.subject,
                to_name=name,
                touch=draft.touch,
                send_at=scheduled.get(draft.id, ""),
                why=seq.reason if (seq := store.sequence(draft.sequence_id)) else "",
            )
        )
    return out


def gather(
    store: Store,
    accounts: dict[str, tuple[Account, str]],
    watch: dict[str, str],
    problems: dict[str, list[Problem]],
    is_paused: bool,
    names: dict[tuple[str, str], str] | None = None,
    undecided: tuple[Undecided, ...] = (),
) -> Snapshot:
    """`accounts`: name → (account, its default autonomy level as now in force)."""
    views = tuple(
        AccountView(
            name=a.name,
            email=a.email,
            autonomy=level,
            last_sync=store.last_sync(a.name) or "",
            watch=watch.get(a.name, "stopped"),
            problems=tuple(problems.get(a.name, ())),
            next_nudge=next_nudge(store, a.name),
        )
        for a, level in accounts.values()
    )
    listed = [a for a, _level in accounts.values()]
    return Snapshot(
        paused=is_paused,
        accounts=views,
        approvals=tuple(n for a in listed for n in nudges(store, a, DraftState.QUEUED, names)),
        scheduled=tuple(n for a in listed for n in nudges(store, a, DraftState.SCHEDULED, names)),
        undecided=undecided,
        taken_at=clock.now().isoformat(),
    )


def refreshed(
    previous: Snapshot,
    store: Store,
    watch: dict[str, str],
    problems: dict[str, list[Problem]],
    is_paused: bool,
    undecided: tuple[Undecided, ...] = (),
) -> Snapshot:
    """`previous` with what changes without a row in the audit log, drafts or outbox: each
    account's last sync and watch, the problems, the pause and the threads left undecided (the
    caller knows no such row was written since `previous` was gathered)."""
    views = tuple(
        replace(
            view,
            last_sync=store.last_sync(view.name) or "",
            watch=watch.get(view.name, "stopped"),
            problems=tuple(problems.get(view.name, ())),
        )
        for view in previous.accounts
    )
    return replace(
        previous,
        paused=is_paused,
        accounts=views,
        undecided=undecided,
        taken_at=clock.now().isoformat(),
    )


def next_nudge(store: Store, account: str) -> str:
    """When the account's next nudge (or giving up on a thread) falls due, as the decision
    has it; "" when no followed thread waits for a step."""
    from inbox_agent.engine.planning import wakeup  # the engine is only needed when asked

    at = wakeup(store, account).nudge_at
    return at.isoformat() if at else ""


def default_level(store: Store, account: Account) -> str:
    """The account's default autonomy: its file, unless `autonomy set default` overrode it."""
    from inbox_agent import gate

    return gate.Rules.merge(account.autonomy, store.autonomy_overrides(account.name)).default


def state_of(
    snapshot: Snapshot, pid: int, started_at: str, last_errors: dict[str, dict[str, str]]
) -> dict[str, Any]:
    """The state file's content: what `status` shows beyond the store."""
    return {
        "pid": pid,
        "started_at": started_at,
        "updated_at": snapshot.taken_at,
        "state": snapshot.state,
        "accounts": {
            a.name: {
                "watch": a.watch,
                "problems": [asdict(p) for p in a.problems],
                "last_error": last_errors.get(a.name),
                # the threads its last cycle left for the user to decide, as the tray lists them
                "undecided": [
                    {"thread_id": u.thread, "subject": u.subject, "to": u.to, "reason": u.reason}
                    for u in snapshot.undecided
                    if u.account == a.name
                ],
            }
            for a in snapshot.accounts
        },
    }


def report(store: Store, accounts: list[Account]) -> dict[str, Any]:
    """Everything `inbox-agent status` prints, whether or not a daemon runs."""
    pid = running_pid()
    state = read_state() if pid is not None else {}
    last = read_state()
    rows = []
    for a in accounts:
        known = state.get("accounts", {}).get(a.name, {})
        ever = last.get("accounts", {}).get(a.name, {})
        rows.append(
            {
                "name": a.name,
                "email": a.email,
                "autonomy": default_level(store, a),
                "last_sync": store.last_sync(a.name),
                "watch": known.get("watch", "stopped"),
                "pending_approvals": len(store.drafts(a.name, (DraftState.QUEUED,))),
                "next_nudge_at": next_nudge(store, a.name) or None,
                "scheduled_sends": [
                    {"draft_id": n.draft_id, "send_at": n.send_at, "label": n.label}
                    for n in nudges(store, a, DraftState.SCHEDULED)
                ],
                "problems": known.get("problems", []),
                "undecided": known.get("undecided", []),
                "last_error": _last_error(ever),
            }
        )
    return {
        "running": pid is not None,
        "pid": pid,
        "started_at": state.get("started_at"),
        "paused": paused(),
        "paused_since": paused_since() or None,
        "log_file": str(paths.log_dir() / "inbox-agent.log"),
        "accounts": rows,
    }


def _last_error(account_state: dict[str, Any]) -> dict[str, Any] | None:
    value = account_state.get("last_error")
    return value if isinstance(value, dict) else None


def audit_text(rows: list[AuditRow]) -> str:
    """The audit log as a person reads it: newest first, one line a row."""
    lines = [
        "inbox-agent audit log, newest first (all of it, and its hash check: inbox-agent audit)",
        "",
    ]
    for r in reversed(rows):
        change = f"{r.state_before}→{r.state_after}" if r.state_after else ""
        lines.append(
            f"{r.at[:19]}  {r.actor:<6} {r.action:<14} {r.account:<10} "
            f"#{r.sequence_id or '-':<5} {change:<28} {r.reason}"
        )
    return "\n".join(lines) + "\n"
