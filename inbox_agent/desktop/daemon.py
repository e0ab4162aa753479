"""The running daemon: it watches every account until stopped.

APScheduler runs, per account, the poll (the configured interval), the due-check and outbox job
(every minute: a cycle only when a nudge or a send is due), and the voice refresh. Its single
worker thread is the one place the engine and the store are used, so cycles, IDLE-triggered
polls and the tray's Approve/Reject/Dismiss run one at a time. An `IdleWatch` per account asks
for a poll when INBOX changes. The process around it (the single-instance lock, the log file,
signals) is `run.py`; the pure decisions it acts on are `decisions.py`.

Each account's engine keeps its IMAP session from poll to poll (closed after 20 idle minutes, an
error, a wake from sleep or on stopping). Sleep and hibernate: missed runs coalesce into one, and
a wake (the wall clock ran ahead of the monotonic one) re-opens the IDLE connections and polls at
once. A send whose time came while the daemon was not watching (stopped, asleep, paused) gets
a new undo window, and the tray tells it again: it never goes out unseen. Sends that fell due
while asleep are re-slotted by the outbox into the send window and its spacing, never sent in a
burst.

Stopping lets the job in progress finish (every state change is its own transaction; a send is
bracketed by the outbox); `shutdown` says whether it did within the grace period.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from inbox_agent import clock, config, paths
from inbox_agent.config import secrets
from inbox_agent.desktop import notify, status
from inbox_agent.desktop.actions import UserActions
from inbox_agent.desktop.decisions import news, slept
from inbox_agent.desktop.notify import Health, LogNotifier, Notifier
from inbox_agent.desktop.status import Snapshot
from inbox_agent.errors import SafetyStop, UserError
from inbox_agent.store import OPEN_DRAFTS, OutboxState, Store

if TYPE_CHECKING:  # the engine is imported when the daemon builds one
    from inbox_agent.engine import Undecided

log = logging.getLogger(__name__)

DUE_EVERY = 60.0
VOICE_EVERY = 6 * 3600.0  # the profile itself is learned again when a day old
SHUTDOWN_GRACE = 120.0


class Daemon:
    """The scheduler, the IDLE watchers and everything the tray can ask for."""

    def __init__(
        self,
        settings: config.Settings,
        accounts: list[config.Account],
        store: Store,
        notifier: Notifier | None = None,
        idle: bool = True,
        only: str | None = None,
    ) -> None:
        from apscheduler.schedulers.background import BackgroundScheduler

        from inbox_agent.engine import Engine

        self.settings, self.store, self.only = settings, store, only
        self.accounts = {a.name: a for a in accounts}
        self.engines = {a.name: Engine(a, settings, store, keep_session=True) for a in accounts}
        self._config_seen = config_stamp()
        self.notifier: Notifier = notifier or LogNotifier()
        self.stopping = threading.Event()
        self.snapshot = Snapshot()
        self.started_at = clock.now().isoformat()
        self.use_idle = idle
        self.watchers: dict[str, Any] = {}
        self._work = threading.Lock()  # one unit of work at a time, whoever asks
        self._queued: set[tuple[str, str]] = set()
        self._queued_guard = threading.Lock()
        self._listeners: list[Callable[[Snapshot], None]] = []
        self._watch: dict[str, str] = {a.name: "polling" for a in accounts}
        self._tried: dict[str, frozenset[str]] = {}
        self._known: set[int] | None = None  # drafts already told about; None: none yet
        self._beat: tuple[datetime, float] | None = None
        # since when nothing stopped watching: a send due before it gets a new undo window
        self.watching_since = clock.now()
        self._paused = status.paused()
        self._state_text = ""
        self._names: dict[tuple[str, str], str] = {}  # display names, looked up once
        self._gathered: tuple[object, ...] = ()  # what the snapshot's store reads were taken at
        self._undecided: dict[str, tuple[Undecided, ...]] = {}  # by account, from its last cycle
        self.health = Health(
            lambda title, message: self.notifier.notify(title, message),
            partial(_fingerprint, self.accounts),
            status.read_state().get("accounts", {}),
        )
        self.user = UserActions(self)
        self.scheduler = BackgroundScheduler(
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            executors={"default": {"type": "threadpool", "max_workers": 1}},
            timezone=UTC,
        )

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        self._schedule()
        self.scheduler.start()

    def _schedule(self) -> None:
        """Jobs and IDLE watchers for every account in `self.accounts`."""
        from inbox_agent.sync.idlewatch import IdleWatch

        now = datetime.now(UTC)
        poll = self.settings.poll_interval.span().total_seconds()
        for name in self.accounts:
            for kind, every, first in (
                ("poll", poll, now),
                ("due", DUE_EVERY, now + timedelta(seconds=DUE_EVERY)),
                ("voice", VOICE_EVERY, now + timedelta(minutes=3)),
            ):
                self.scheduler.add_job(
                    self._job,
                    "interval",
                    seconds=every,
                    args=(kind, name),
                    id=f"{kind}:{name}",
                    next_run_time=first,
                    replace_existing=True,
                )
            if self.use_idle:
                watcher = IdleWatch(
                    self.accounts[name],
                    on_change=partial(self.poll_now, name),
                    on_mode=self._set_watch,
                    may_connect=partial(self.health.may_connect, name),
                )
                self.watchers[name] = watcher
                watcher.start()

    def _maybe_reload(self) -> bool:
        """Apply changed config files (an account added, removed or edited; a new poll
        interval) without a restart. A file that no longer loads is reported once, and the
        configuration in use stays. True when it reloaded."""
        from inbox_agent.engine import Engine

        stamp = config_stamp()
        if stamp == self._config_seen:
            return False
        self._config_seen = stamp
        try:
            settings = config.load_settings()
            accounts = config.load_accounts(settings)
            if self.only or not accounts:
                accounts = [config.pick_account(accounts, self.only)]
        except UserError as exc:
            log.error("the changed configuration does not load; still using the old one: %s", exc)
            self.notifier.notify("inbox-agent: configuration not applied", str(exc))
            return False
        for name in list(self.accounts):
            for kind in ("poll", "due", "voice"):
                with contextlib.suppress(Exception):  # JobLookupError: never scheduled
                    self.scheduler.remove_job(f"{kind}:{name}")
        for watcher in self.watchers.values():
            watcher.stop()
        for watcher in self.watchers.values():
            watcher.join(5)
        self.watchers.clear()
        self.settings = settings
        self.accounts.clear()  # in place: the health check holds this dict
        self.accounts.update((a.name, a) for a in accounts)
        for engine in self.engines.values():
            engine.close_session()
        self.engines = {
            a.name: Engine(a, settings, self.store, keep_session=True) for a in accounts
        }
        self._watch = {a.name: "polling" for a in accounts}
        log.info("configuration changed: watching %s", ", ".join(self.accounts))
        self._schedule()
        return True

    def request_stop(self) -> None:
        self.stopping.set()

    def wait(self) -> None:
        self.stopping.wait()

    def shutdown(self, grace: float = SHUTDOWN_GRACE) -> bool:
        """Stop everything; True when the job in progress finished within `grace` seconds."""
        self.stopping.set()
        for watcher in self.watchers.values():
            watcher.stop()
        finished = threading.Event()

        def drain() -> None:
            if self.scheduler.running:
                self.scheduler.shutdown(wait=True)  # queued jobs see `stopping` and return
            finished.set()

        threading.Thread(target=drain, name="shutdown", daemon=True).start()
        clean = finished.wait(grace)
        if clean:  # the worker is done with them: log out of the kept sessions
            for engine in self.engines.values():
                engine.close_session()
        for watcher in self.watchers.values():
            watcher.join(5)
        return clean

    def add_listener(self, listener: Callable[[Snapshot], None]) -> None:
        self._listeners.append(listener)

    # -- jobs (all in the one worker thread) ----------------------------------------------------
    def _job(self, kind: str, name: str) -> None:
        with self._queued_guard:
            self._queued.discard((kind, name))
        if self.stopping.is_set():
            return
        with self._work:
            try:
                self._heartbeat()
                if self._maybe_reload() or name not in self.accounts:
                    return  # the new jobs run from now on, each account's poll first
                if kind == "poll":
                    self.cycle(name)
                elif kind == "due":
                    self.due_check(name)
                elif kind == "voice":
                    self.refresh_voice(name)
            except Exception:  # the scheduler's thread must survive anything
                log.exception("%s: the %s job failed", name, kind)
            finally:
                self.publish()

    def poll_now(self, name: str | None = None, reason: str = "asked") -> None:
        """A cycle as soon as the worker is free; one queued poll per account is enough."""
        for account in [name] if name else list(self.accounts):
            with self._queued_guard:
                if ("poll", account) in self._queued:
                    continue
                self._queued.add(("poll", account))
            log.info("%s: polling now (%s)", account, reason)
            self.scheduler.add_job(
                self._job,
                args=("poll", account),
                id=f"now:{account}:{uuid.uuid4().hex}",
                misfire_grace_time=None,
            )

    def cycle(self, name: str) -> None:
        """One account's cycle; while paused, a sync only (replies still end sequences at the
        next real cycle, and nothing stale is sent on resume)."""
        engine = self.engines[name]
        if self.health.blocked(name):
            return
        llm = self.settings.llm.enabled  # the drafts it wrote are looked at for the LLM's health
        before = {d.id for d in self.store.drafts(name, OPEN_DRAFTS)} if llm else set()
        report = None
        paused, was_paused = status.paused(), self._paused
        self._paused = paused
        if was_paused and not paused:
            self._watching_again()  # resumed: what fell due while paused is not sent unseen
        try:
            if paused:
                with engine.session() as mailbox:
                    engine.sync(mailbox)
                    engine.read_bodies(mailbox)
                log.info("%s: paused; synced, drafted and sent nothing", name)
            else:
                started = time.monotonic()
                report = engine.tick(self.watching_since)
                kept = self._undecided.get(name, ())
                self._undecided[name] = (  # the threads this cycle decided are replaced
                    *(u for u in kept if u.thread not in report.decided),
                    *report.undecided,
                )
                log.info(
                    "%s: %s; the cycle took %.2f s%s",
                    name,
                    report.summary(),
                    time.monotonic() - started,
                    report.timed(),
                )
        except Exception as exc:
            self.health.failed(name, exc)
            return
        self.health.tell(name, "mail", None)
        left = report.again() if report is not None else ""
        if left:  # done by the cycles right after
            self.poll_now(name, left)
        if report is not None and report.refused is not None:  # told at once: the user must act
            self.health.tell(name, "send", notify.problem_of(report.refused, name))
        elif report is not None and report.counts[OutboxState.SENT]:  # sending works again
            self.health.tell(name, "send", None)
        new = [d for d in self.store.drafts(name, OPEN_DRAFTS) if d.id not in before] if llm else []
        if new:
            drafters = [d.drafter for d in new]
            problem = notify.llm_problem(name, drafters, self.settings.llm.base_url)
            self.health.tell(name, "llm", problem)

    def due_check(self, name: str) -> None:
        self.engines[name].release_idle()
        if status.paused() or self.health.blocked(name):
            return
        wake = self.engines[name].next_wakeup()
        fresh = wake.due - self._tried.get(name, frozenset())
        self._tried[name] = wake.due
        if fresh:
            log.info("%s: %s", name, wake.reason)
            self.cycle(name)

    def refresh_voice(self, name: str) -> None:
        if status.paused() or self.health.blocked(name):
            return
        engine = self.engines[name]
        try:
            with engine.session() as mailbox:
                engine.voice_profile(mailbox)
        except Exception as exc:  # the old profile stays; drafting never waits on this
            log.warning("%s: voice refresh failed: %s", name, exc)

    def _heartbeat(self) -> None:
        now = (clock.now(), time.monotonic())
        if self._beat is not None and (asleep := slept(self._beat, now)):
            log.info("woke up after about %.0f minutes asleep; polling every account", asleep / 60)
            self._watching_again()
            self.poll_now(None, "woke from sleep")
            for engine in self.engines.values():
                engine.close_session()  # the network may have changed: log in again
            for watcher in self.watchers.values():
                watcher.reconnect()
        self._beat = now

    def _watching_again(self) -> None:
        """Watching starts again (a wake, a resume): a send whose time came before now gets a
        new undo window (`Outbox.flush`), and what waits is told again, as at start."""
        self.watching_since = clock.now()
        self._known = None

    # -- what the user sees ---------------------------------------------------------------------
    def publish(self) -> None:
        """Take a new snapshot (in the worker), tell new approvals, save the state file, and
        hand the snapshot to the tray."""
        now = clock.now()
        problems = {n: self.health.alerts.visible(n, now) for n in self.accounts}
        undecided = tuple(u for n in self.accounts for u in self._undecided.get(n, ()))
        # the approvals, the scheduled sends, each account's next nudge and autonomy change
        # only with a row written to the audit log, drafts or outbox (by any process): while
        # none was, the last snapshot's are kept and only the sync times read again, so a
        # job costs the same however many accounts and nudges wait
        key = (self.store.standing_marks(), tuple(self.accounts.items()))
        passed = any(  # a next nudge shown is past: the one after it is looked up
            v.next_nudge and datetime.fromisoformat(v.next_nudge) <= now
            for v in self.snapshot.accounts
        )
        if key == self._gathered and not passed:
            snap = status.refreshed(
                self.snapshot, self.store, dict(self._watch), problems, status.paused(), undecided
            )
        else:
            snap = status.gather(
                self.store,
                {n: (a, self.engines[n].rules().default) for n, a in self.accounts.items()},
                dict(self._watch),
                problems,
                status.paused(),
                self._names,
                undecided,
            )
            self._gathered = key
        self.snapshot = snap
        for title, message in news(snap, self._known):
            self.notifier.notify(title, message)
        self._known = {n.draft_id for n in (*snap.approvals, *snap.scheduled)}
        text = status.state_of(snap, os.getpid(), self.started_at, self.health.last_errors)
        text.pop("updated_at")
        rendered = repr(text)
        if rendered != self._state_text:
            self._state_text = rendered
            try:
                status.write_state({**text, "updated_at": snap.taken_at})
            except OSError as exc:  # a full disk must not stop the watch
                log.error("cannot write %s: %s", status.state_file(), exc)
        for listener in list(self._listeners):
            try:
                listener(snap)
            except Exception:
                log.exception("a snapshot listener failed")

    def _set_watch(self, name: str, mode: str) -> None:
        if self._watch.get(name) != mode:
            self._watch[name] = mode
            if not self.stopping.is_set() and self.scheduler.running:
                self.run_action("refresh", lambda: "")

    # -- work asked for from outside (the tray's menu: see `actions.py`) -------------------------
    def unblock_all(self) -> None:
        """Try refused logins again at the next cycle (the user asked: Sync now)."""
        self.health.unblock_all()

    def run_action(self, label: str, action: Callable[[], str]) -> None:
        def job() -> None:
            if self.stopping.is_set():
                return
            with self._work:
                try:
                    message = action()
                except (UserError, SafetyStop) as exc:
                    message = f"{label}: {exc}"
                except Exception as exc:
                    log.exception("%s failed", label)
                    message = f"{label} failed: {type(exc).__name__}: {exc}"
                self.publish()
            if message:
                self.notifier.notify("inbox-agent", message)

        self.scheduler.add_job(job, id=f"action:{uuid.uuid4().hex}", misfire_grace_time=None)


def config_stamp() -> tuple[tuple[str, int], ...]:
    """Names and modification times of the config files: a change means reload."""
    out = []
    for path in [paths.global_config_file(), *sorted(paths.accounts_dir().glob("*.toml"))]:
        try:
            out.append((path.name, path.stat().st_mtime_ns))
        except OSError:
            out.append((path.name, 0))
    return tuple(out)


def _fingerprint(accounts: dict[str, config.Account], name: str) -> str:
    """What a refused login depends on: the stored password and the account file."""
    try:
        secret = secrets.get_secret(name, "imap") or ""
    except UserError:
        secret = ""
    try:
        mtime = str(accounts[name].path.stat().st_mtime_ns)
    except OSError:
        mtime = ""
    return hashlib.sha256(f"{secret}\0{mtime}".encode()).hexdigest()
