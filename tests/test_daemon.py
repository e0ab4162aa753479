"""The daemon a person forgets is running: push within seconds, one instance, clean stops, no lost
work after a kill, no burst of sends after sleep, and problems told once.

The process tests run `inbox-agent run --no-tray` as a subprocess against the session's Dovecot
and SMTP relay, each in its own profile; the in-process tests drive `Daemon.cycle` directly.
"""

from __future__ import annotations

import json
import random
import re
import signal
import smtplib
import statistics
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError

from inbox_agent import clock, config, paths
from inbox_agent.cadence import add_business_days
from inbox_agent.config import secrets
from inbox_agent.desktop import daemon, decisions, notify, status
from inbox_agent.errors import (
    FolderMissing,
    LoginRefused,
    MailServerError,
    SecretError,
    SendFailure,
    SendRefused,
    TokenRevoked,
    Unreachable,
)
from inbox_agent.store import audit
from inbox_agent.store.db import Store
from inbox_agent.store.states import DraftState, OutboxState
from inbox_agent.sync.idlewatch import REISSUE as IDLE_REISSUE
from inbox_agent.sync.idlewatch import IdleWatch, backoff
from inbox_agent.tracker.decision import Wakeup, next_wakeup
from tests.infra.daemon import (
    AgentProcess,
    idle_latencies,
    log_text,
    profile_env,
    sequences,
    store_rows,
    watch_mode,
    write_profile,
)
from tests.infra.dovecot import DovecotServer
from tests.infra.llm_server import FakeLlm
from tests.infra.mail import MailUser, MailWorld, build_message, imap_client, wait_for
from tests.infra.rows import sequence

QUIET_POLLS = '[daemon]\npoll_interval = "1h"\n'  # only IDLE can explain a fast reaction


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "profile"


@pytest.fixture
def agents() -> Iterator[list[AgentProcess]]:
    started: list[AgentProcess] = []
    yield started
    for agent in started:
        agent.stop()


def start(agents: list[AgentProcess], home: Path, *args: str, **env: str) -> AgentProcess:
    agent = AgentProcess(home, args or ("run", "--no-tray"), profile_env(home, **env))
    agents.append(agent)
    return agent


# -- push: a reply ends its sequence within seconds ---------------------------------------------------


# on Cyrus too, which without its idled answers IDLE by polling (here every second, as
# imapidlepoll says); pymap's IDLE is held to the contract in test_mailbox_contract
@pytest.mark.parametrize("world", ["dovecot", "cyrus"], indirect=True)
def test_a_reply_stops_its_sequence_within_seconds_by_idle(
    world: MailWorld, home: Path, agents: list[AgentProcess]
) -> None:
    alice, bob = world.new_user("alice"), world.new_user("bob")
    latencies = idle_latencies(home, alice, bob, world.imap_port, world.smtp_port, 5)
    print(
        f"IDLE latency over 5: median {statistics.median(latencies):.2f} s, max {max(latencies):.2f} s"
    )
    assert max(latencies) <= 10, latencies


def test_idle_comes_back_after_the_server_dies_and_replies_still_stop_sequences(
    home: Path, agents: list[AgentProcess]
) -> None:
    crashy = DovecotServer().start()
    try:
        alice = MailUser("alice", "alice-pw", "Alice Example")
        bob = MailUser("bob", "bob-pw", "Bob Example")
        for person in (alice, bob):
            crashy.add_user(person.login, person.password)
        original = build_message(alice, [bob.address], "Q3 contract", "Can you sign it?")
        with imap_client(crashy.imap_port, alice) as client:
            client.append("Sent", original.as_bytes(), flags=[b"\\Seen"])
        write_profile(home, alice, crashy.imap_port, 1, settings=QUIET_POLLS)
        agent = start(agents, home)
        assert wait_for(lambda: watch_mode(home) == "idle" and len(sequences(home)) == 1, 30), (
            agent.output + log_text(home)
        )
        crashy.kill()
        assert wait_for(lambda: watch_mode(home) == "connecting", 15), log_text(home)
        crashy.restart()
        assert wait_for(lambda: watch_mode(home) == "idle", 30), log_text(home)
        reply = build_message(
            bob,
            [alice.address],
            "Re: Q3 contract",
            "Signed.",
            in_reply_to=str(original["Message-ID"]),
            references=[str(original["Message-ID"])],
        )
        started = time.monotonic()
        with smtplib.LMTP(crashy.lmtp_socket) as lmtp:
            lmtp.sendmail(bob.address, [alice.address], reply.as_bytes())
        assert wait_for(lambda: list(sequences(home).values()) == ["replied"], 15), log_text(home)
        assert time.monotonic() - started < 10
        assert "IDLE connection lost" in log_text(home)
    finally:
        for agent in agents:
            agent.stop()
        crashy.cleanup()


def test_idle_is_reissued_on_time_and_still_reports_new_mail(
    mail_world: MailWorld, agent_home: Path
) -> None:
    from tests.test_story import write_account

    alice = mail_world.new_user("alice")
    write_account(alice, mail_world.imap_port, mail_world.smtp_port)
    [account] = config.load_accounts(config.load_settings())
    news: list[str] = []
    modes: list[str] = []
    watcher = IdleWatch(account, news.append, lambda _name, mode: modes.append(mode), reissue=0.4)
    watcher.start()
    try:
        assert wait_for(lambda: watcher.rounds >= 4, 10)  # IDLE, DONE, IDLE ... in time
        assert modes == ["idle"] and news == []
        with mail_world.imap_client(alice) as client:
            client.append("INBOX", b"Subject: hello\r\n\r\nhi\r\n")
        assert wait_for(lambda: "new mail" in news, 10), news
    finally:
        watcher.stop()
        watcher.join(10)
    assert not watcher.is_alive() and modes[-1] == "stopped"
    assert config.load_settings().poll_interval.span().total_seconds() == 300
    assert IDLE_REISSUE < 29 * 60


# -- one instance, clean stops, nothing lost ---------------------------------------------------------


def test_a_second_instance_is_refused_and_status_names_the_first(
    mail_world: MailWorld, home: Path, agents: list[AgentProcess]
) -> None:
    alice = mail_world.new_user("alice")
    write_profile(home, alice, mail_world.imap_port, mail_world.smtp_port, settings=QUIET_POLLS)
    first = start(agents, home)
    assert wait_for(lambda: watch_mode(home) == "idle", 20), first.output + log_text(home)
    second = start(agents, home)
    assert second.wait(20) == 2
    assert f"already running for {home / 'data'} (pid {first.proc.pid})" in second.output
    shown = start(agents, home, "status", "--json")
    assert shown.wait(20) == 0
    info = json.loads(shown.output)
    assert info["running"] and info["pid"] == first.proc.pid
    [account] = info["accounts"]
    assert account["watch"] == "idle" and account["last_sync"] and account["last_error"] is None
    first.signal(signal.SIGTERM)
    assert first.wait(20) == 0, first.output + log_text(home)
    assert json.loads(_run_status(agents, home))["running"] is False


def test_a_changed_config_is_applied_without_a_restart(
    mail_world: MailWorld, home: Path, agents: list[AgentProcess]
) -> None:
    alice, carol = mail_world.new_user("alice"), mail_world.new_user("carol")
    fast = '[daemon]\npoll_interval = "2s"\n'
    main = write_profile(home, alice, mail_world.imap_port, mail_world.smtp_port, settings=fast)
    agent = start(agents, home)
    assert wait_for(lambda: watch_mode(home) == "idle", 20), agent.output + log_text(home)
    write_profile(
        home, carol, mail_world.imap_port, mail_world.smtp_port, settings=fast, name="work"
    )
    assert wait_for(lambda: watch_mode(home, "work") == "idle", 20), log_text(home)
    assert watch_mode(home, "main") == "idle"
    assert "configuration changed: watching main, work" in log_text(home)
    main.write_text(main.read_text().replace("[imap]", "[imap"))  # a typo
    assert wait_for(lambda: "does not load; still using the old one" in log_text(home), 20)
    assert agent.proc.poll() is None and watch_mode(home, "work") == "idle"


def _run_status(agents: list[AgentProcess], home: Path) -> str:
    shown = start(agents, home, "status", "--json")
    assert shown.wait(20) == 0, shown.output
    return shown.output


def _due_world(
    world: MailWorld, home: Path, llm: FakeLlm, autonomy: str, delay: float
) -> tuple[Any, Any, str, str]:
    """alice wrote to bob five business days ago (by a pinned clock); drafting is slowed by a
    model that takes `delay` seconds to answer the first request."""
    alice, bob = world.new_user("alice"), world.new_user("bob")
    settings = f'[llm]\nbase_url = "{llm.base_url}"\nmodel = "fake-model"\n'
    write_profile(home, alice, world.imap_port, world.smtp_port, autonomy, settings)
    original = world.send(alice, [bob.address], "Q3 contract", "Can you sign it and send it back?")
    # Ten in the morning, local time (the send window's), five business days on: an Autopilot
    # send a few minutes later stays inside the window whatever time of day the suite runs.
    later = add_business_days(datetime.now().astimezone(), 5)
    pinned = later.replace(hour=10, minute=0, second=0, microsecond=0).isoformat()
    llm.enqueue(text="Hi Bob,\n\nAny news on the contract?\n\nAlice", delay=delay)
    return alice, bob, original, pinned


def _drafts_in_imap(world: MailWorld, user: Any) -> list[int]:
    with world.imap_client(user) as client:
        client.select_folder("Drafts", readonly=True)
        return list(client.search(["ALL"]))


def test_sigterm_in_the_middle_of_a_cycle_lets_it_finish(
    mail_world: MailWorld, home: Path, agents: list[AgentProcess], llm_server: FakeLlm
) -> None:
    alice, _bob, _original, pinned = _due_world(mail_world, home, llm_server, "copilot", 2.0)
    agent = start(agents, home, INBOX_AGENT_NOW=pinned)
    assert wait_for(lambda: llm_server.chat_requests, 30), agent.output + log_text(home)
    agent.signal(signal.SIGTERM)  # the model is still thinking: the cycle is half way
    assert agent.wait(30) == 0, agent.output
    assert "stopping after the current step" in agent.output
    drafts = store_rows(home, "SELECT message_id, state FROM drafts")
    assert [state for _mid, state in drafts] == ["queued"]
    assert len(_drafts_in_imap(mail_world, alice)) == 1  # in Drafts and in the store, once
    [(seq_state,)] = store_rows(home, "SELECT state FROM sequences")
    assert seq_state == "awaiting_approval"
    _assert_audit_intact(home)


def _assert_audit_intact(home: Path) -> None:
    store = Store(home / "data" / "inbox-agent.sqlite3")
    try:
        assert audit.verify(store) == []
    finally:
        store.close()


def test_sigkill_then_restart_loses_nothing_and_sends_once(
    mail_world: MailWorld, home: Path, agents: list[AgentProcess], llm_server: FakeLlm
) -> None:
    alice, bob, original, pinned = _due_world(mail_world, home, llm_server, "autopilot", 3.0)
    first = start(agents, home, INBOX_AGENT_NOW=pinned)
    assert wait_for(lambda: llm_server.chat_requests, 30), first.output + log_text(home)
    first.signal(signal.SIGKILL)  # mid-draft: nothing written yet
    first.wait(10)
    second = start(agents, home, INBOX_AGENT_NOW=pinned)
    assert wait_for(lambda: store_rows(home, "SELECT state FROM outbox") == [("pending",)], 30), (
        second.output + log_text(home)
    )
    assert len(_drafts_in_imap(mail_world, alice)) == 1
    second.signal(signal.SIGKILL)  # inside the undo window, with a send pending
    second.wait(10)
    [(due,)] = store_rows(home, "SELECT not_before FROM outbox")
    later = datetime.fromisoformat(due) + timedelta(minutes=1)
    # its time came while nothing ran: the daemon gives it a new undo window, told again
    third = start(agents, home, INBOX_AGENT_NOW=later.isoformat())
    rewindowed = "SELECT reason FROM audit WHERE action = 'reschedule'"
    assert wait_for(lambda: store_rows(home, rewindowed), 30), third.output + log_text(home)
    [(reason,)] = store_rows(home, rewindowed)
    assert "its time came 1 min ago while inbox-agent was not watching" in reason
    [(state, again)] = store_rows(home, "SELECT state, not_before FROM outbox")
    assert state == "pending" and datetime.fromisoformat(again) >= later + timedelta(minutes=10)
    told = f"at {datetime.fromisoformat(again).astimezone():%a %H:%M}"
    assert wait_for(lambda: told in log_text(home), 10), log_text(home)  # told again, new time
    third.signal(signal.SIGTERM)
    assert third.wait(30) == 0
    # one cycle after the new window (`run --once` sends what is due)
    after = (datetime.fromisoformat(again) + timedelta(minutes=1)).isoformat()
    once = start(agents, home, "run", "--once", "--no-tray", INBOX_AGENT_NOW=after)
    assert once.wait(60) == 0, once.output + log_text(home)
    assert store_rows(home, "SELECT state FROM outbox") == [("sent",)], log_text(home)
    with mail_world.imap_client(bob) as client:
        client.select_folder("INBOX", readonly=True)
        got = client.search(["HEADER", "In-Reply-To", original])
    assert len(got) == 1  # sent once, threaded
    # the draft leaves Drafts after the send's commit (tidying comes second): wait for it
    assert wait_for(lambda: _drafts_in_imap(mail_world, alice) == [], 30)
    _assert_audit_intact(home)


# -- in-process: sleep, pause, problems ------------------------------------------------------------


class Told:
    def __init__(self) -> None:
        self.said: list[tuple[str, str]] = []

    def notify(self, title: str, message: str) -> None:
        self.said.append((title, message))


def _daemon(
    world: MailWorld, agent_home: Path, autonomy: str
) -> tuple[daemon.Daemon, Told, Any, Any]:
    from tests.test_story import write_account

    alice, bob = world.new_user("alice"), world.new_user("bob")
    write_account(alice, world.imap_port, world.smtp_port, autonomy)
    settings = config.load_settings()
    told = Told()
    d = daemon.Daemon(
        settings, config.load_accounts(settings), Store(paths.database_file()), told, idle=False
    )
    return d, told, alice, bob


@pytest.fixture
def frozen() -> Iterator[None]:
    clock.set_now(datetime.now(UTC))
    yield
    clock.set_now(None)


# ten on a Monday where the suite runs: the send window is in the machine's own zone (a pin at
# ten UTC was eleven at night in Auckland, outside it)
MONDAY = datetime(2026, 3, 2, 10).astimezone()


@pytest.fixture
def monday() -> Iterator[datetime]:
    """The clock pinned at ten on a Monday, local time (inside the default send window)."""
    clock.set_now(MONDAY)
    yield MONDAY
    clock.set_now(None)


def _scheduled_on_friday(
    world: MailWorld, agent_home: Path, topics: tuple[str, ...]
) -> tuple[daemon.Daemon, Told]:
    """An Autopilot daemon, one ask of alice's to bob per topic on Monday, and its cycle on
    Friday at ten, when they fall due: each is scheduled behind its undo window."""
    d, told, alice, bob = _daemon(world, agent_home, "autopilot")
    for topic in topics:
        world.send(alice, [bob.address], topic, "Thoughts?", date=clock.now())
    clock.set_now(add_business_days(MONDAY, 4))
    d.cycle("main")
    assert len(d.store.outbox("main", (OutboxState.PENDING,))) == len(topics)
    return d, told


def test_waking_from_sleep_polls_at_once_and_sends_no_burst(
    mail_world: MailWorld, agent_home: Path, monday: datetime
) -> None:
    d, told = _scheduled_on_friday(
        mail_world, agent_home, ("Q3 contract", "Offsite venue", "Invoice 4411")
    )
    d.publish()
    [(title, message)] = told.said
    assert title.startswith("Autopilot will send") and message.count("Re: ") == 3
    d._heartbeat()
    clock.advance(timedelta(hours=9))  # the lid was closed; it opens at 19:00
    d._heartbeat()
    assert ("poll", "main") in d._queued  # a poll at once, before the next interval
    d.cycle("main")
    assert [r.state for r in d.store.outbox("main")] == [OutboxState.PENDING] * 3
    clock.set_now(add_business_days(monday, 7) + timedelta(hours=1))  # Monday 11:00
    d.cycle("main")
    assert [r.state for r in d.store.outbox("main")].count(OutboxState.SENT) == 1  # not three
    d.store.close()


def test_a_send_due_while_asleep_or_paused_gets_a_new_undo_window_and_is_told_again(
    mail_world: MailWorld, agent_home: Path, monday: datetime
) -> None:
    d, told = _scheduled_on_friday(mail_world, agent_home, ("Q3 contract",))
    d.publish()
    assert [t for t, _ in told.said] == [
        "Autopilot will send (undo in the tray or with inbox-agent undo)"
    ]
    d._heartbeat()
    clock.advance(timedelta(hours=2))  # the lid was closed through the undo window
    d._heartbeat()
    d.cycle("main")  # 12:00, inside the send window: not sent unseen
    [row] = d.store.outbox("main")
    assert row.state == OutboxState.PENDING and row.not_before >= clock.now() + timedelta(
        minutes=10
    )
    d.publish()
    assert len(told.said) == 2 and told.said[1][0].startswith("Autopilot will send")
    assert f"at {row.not_before.astimezone():%a %H:%M}" in told.said[1][1]  # the new time
    status.set_paused(True, "test")  # paused through the new window …
    d.cycle("main")
    clock.advance(timedelta(minutes=30))
    d.cycle("main")
    status.set_paused(False, "test")  # … and resumed: again a new window, not sent
    d.cycle("main")
    [row] = d.store.outbox("main")
    assert row.state == OutboxState.PENDING and row.not_before > clock.now()
    clock.set_now(row.not_before + timedelta(seconds=30))
    d.cycle("main")  # watched through the whole window: it goes
    assert [r.state for r in d.store.outbox("main")] == [OutboxState.SENT]
    reasons = [r.reason for r in d.store.audit_rows("main") if r.action == "reschedule"]
    assert len(reasons) == 2 and all("not watching" in r for r in reasons)
    d.store.close()


def test_a_send_checked_on_time_goes_out_on_time(
    mail_world: MailWorld, agent_home: Path, monday: datetime
) -> None:
    d, _told = _scheduled_on_friday(mail_world, agent_home, ("Q3 contract",))
    [row] = d.store.outbox("main", (OutboxState.PENDING,))
    clock.set_now(row.not_before + timedelta(seconds=30))
    d.cycle("main")  # the due job, half a minute after the send's time
    assert [r.state for r in d.store.outbox("main")] == [OutboxState.SENT]
    d.store.close()


def test_paused_reads_mail_but_drafts_nothing_and_the_pause_survives(
    mail_world: MailWorld, agent_home: Path, frozen: None
) -> None:
    d, _told, alice, bob = _daemon(mail_world, agent_home, "copilot")
    mail_world.send(alice, [bob.address], "Q3 contract", "Thoughts?")
    clock.advance(add_business_days(clock.now(), 4) - clock.now())
    status.set_paused(True, "test")
    d.cycle("main")
    assert d.store.last_sync("main") and d.store.drafts("main") == []
    assert status.paused() and "by test" in status.paused_since()
    status.set_paused(False, "test")
    d.cycle("main")
    assert [x.state for x in d.store.drafts("main")] == [DraftState.QUEUED]
    d.publish()
    assert d.snapshot.state == "attention" and len(d.snapshot.approvals) == 1
    d.store.close()


def test_a_job_that_wrote_nothing_reads_no_nudge_again_for_the_tray(
    mail_world: MailWorld, agent_home: Path, frozen: None
) -> None:
    """publish() after every job: while no audit, draft or send row was written, the approvals,
    scheduled sends and next nudges are kept (with more accounts and nudges, a job would read
    them all again); the sync time is still read, and a change is seen at the next job."""
    d, _told, alice, bob = _daemon(mail_world, agent_home, "copilot")
    mail_world.send(alice, [bob.address], "Q3 contract", "Thoughts?")
    clock.advance(add_business_days(clock.now(), 4) - clock.now())
    d.cycle("main")
    d.publish()
    [nudge] = d.snapshot.approvals
    clock.advance(timedelta(minutes=5))
    d.cycle("main")  # a poll that finds nothing
    statements: list[str] = []
    d.store.conn.set_trace_callback(statements.append)
    d.publish()
    d.store.conn.set_trace_callback(None)
    read = [s for s in statements if re.search(r"\bFROM (drafts|sequences|outbox|autonomy)\b", s)]
    marks = "SELECT (SELECT id || ' ' || hash FROM audit"  # Store.standing_marks
    assert [s for s in read if not s.startswith(marks)] == []
    assert d.snapshot.approvals == (nudge,)
    assert d.snapshot.accounts[0].last_sync == d.store.last_sync("main")
    d.engines["main"].reject(nudge.draft_id)
    d.publish()
    assert d.snapshot.approvals == ()
    d.store.close()


def test_a_rejected_password_is_told_once_and_not_retried_until_it_changes(
    mail_world: MailWorld, agent_home: Path
) -> None:
    d, told, alice, _bob = _daemon(mail_world, agent_home, "copilot")
    secrets.set_secret("main", "imap", "wrong")
    for _ in range(3):
        d.cycle("main")
        d.publish()
    needs = [m for t, m in told.said if t == "inbox-agent needs you"]
    assert len(needs) == 1 and "rejected the login" in needs[0]
    assert d.health.blocked("main") and d.snapshot.state == "error"
    assert d.store.last_sync("main") is None
    secrets.set_secret("main", "imap", alice.password)
    d.cycle("main")
    d.publish()
    assert d.store.last_sync("main") and d.snapshot.state == "watching"
    assert told.said[-1] == ("inbox-agent", "main: working again")
    last = status.read_state()["accounts"]["main"]["last_error"]
    assert last["kind"] == "login"  # the last error stays on record for `status`
    d.store.close()


# -- pure decisions ---------------------------------------------------------------------------------


def test_alerts_tell_once_and_wait_for_transient_failures_to_last() -> None:
    alerts, t0 = notify.Alerts(), datetime(2026, 3, 2, 9, tzinfo=UTC)
    down = notify.Problem("unreachable", "main", "cannot reach the IMAP server")
    assert alerts.update("main", "mail", down, t0) == []
    assert alerts.update("main", "mail", down, t0 + timedelta(minutes=10)) == []
    assert alerts.update("main", "mail", down, t0 + timedelta(minutes=31)) == [down]
    assert alerts.update("main", "mail", down, t0 + timedelta(minutes=40)) == []
    assert alerts.update("main", "mail", None, t0 + timedelta(minutes=41)) == [
        "main: working again"
    ]
    login = notify.Problem("login", "main", "rejected")
    assert alerts.update("main", "mail", login, t0) == [login]
    assert alerts.update("main", "mail", login, t0) == []
    assert alerts.visible("main", t0) == [login]
    assert alerts.update("main", "mail", None, t0) == ["main: working again"]
    assert alerts.update("main", "mail", None, t0) == []


def test_failures_are_sorted_into_what_the_user_must_fix() -> None:
    kind = lambda exc: notify.problem_of(exc, "main").kind  # noqa: E731
    assert kind(LoginRefused("imap.x rejected the login for a", "fix")) == "login"
    assert kind(Unreachable("cannot reach the IMAP server imap.x:993")) == "unreachable"
    assert kind(SecretError("no usable keyring")) == "keyring"
    assert kind(OSError(28, "No space left on device")) == "disk"
    assert kind(ConnectionResetError()) == "unreachable"
    assert kind(TokenRevoked("the OAuth token was revoked")) == "token"
    assert kind(FolderMissing("cannot find the drafts folder on imap.x")) == "folder"
    assert kind(KeyError("x")) == "failing"
    # the class decides, never the words
    assert kind(Unreachable("imap.x rejected the connection: token invalid")) == "unreachable"
    assert kind(LoginRefused("the server said no")) == "login"
    assert kind(MailServerError("something odd")) == "unreachable"
    assert kind(SendFailure("cannot reach smtp.x:465")) == "unreachable"
    assert kind(SendRefused("smtp.x rejected the login for a (535)")) == "send"  # told at once
    assert kind(IMAPClientError("select failed: [UNAVAILABLE] try later")) == "unreachable"
    assert kind(IMAPClientAbortError("socket error: EOF")) == "unreachable"
    assert notify.llm_problem("main", ["llm:m", "offline"], "http://127.0.0.1:1/v1")
    assert notify.llm_problem("main", ["offline", "llm:m"], "http://127.0.0.1:1/v1") is None


@given(st.integers(min_value=1, max_value=100), st.integers(min_value=0, max_value=2**32))
def test_reconnect_waits_grow_are_capped_and_jittered(failures: int, seed: int) -> None:
    rnd = random.Random(seed)
    wait = backoff(failures, rnd, base=2.0, cap=300.0)
    ceiling = min(300.0, 2.0 * 2 ** (failures - 1))
    assert ceiling / 2 <= wait <= ceiling


def test_due_work_names_what_is_due_and_sleep_is_told_by_the_two_clocks() -> None:
    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    seqs = [
        sequence(1, "<a@x>", "waiting", 0, now, now - timedelta(minutes=1), frozenset()),
        sequence(2, "<b@x>", "waiting", 0, now, now + timedelta(days=1), frozenset()),
    ]
    wake = next_wakeup(seqs, [(7, now)], now)
    assert wake.reason == "1 nudges due, 1 sends due" and len(wake.due) == 2
    assert next_wakeup([], [], now) == Wakeup(frozenset(), "", None)
    assert decisions.slept((now, 100.0), (now + timedelta(hours=8), 160.0)) > 7 * 3600
    assert decisions.slept((now, 100.0), (now + timedelta(seconds=60), 160.0)) == 0


def test_an_llm_that_stops_answering_is_told_once(
    mail_world: MailWorld, agent_home: Path, frozen: None
) -> None:
    from tests.infra.dovecot import free_port

    dead = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    (paths.global_config_file()).parent.mkdir(parents=True, exist_ok=True)
    paths.global_config_file().write_text(
        f'[llm]\nbase_url = "{dead}"\nmodel = "m"\ntimeout = "2s"\n'
    )
    d, told, alice, bob = _daemon(mail_world, agent_home, "copilot")
    for topic in ("Q3 contract", "Offsite venue"):
        mail_world.send(alice, [bob.address], topic, "Thoughts?")
    clock.advance(add_business_days(clock.now(), 4) - clock.now())
    started = time.monotonic()
    d.cycle("main")
    print(f"a cycle with a dead LLM took {time.monotonic() - started:.1f} s")
    assert [x.drafter for x in d.store.drafts("main")] == ["offline", "offline"]
    needs = [m for t, m in told.said if t == "inbox-agent needs you"]
    assert len(needs) == 1 and dead in needs[0]
    d.publish()
    assert d.snapshot.state == "attention"
    assert [p.kind for p in d.snapshot.problems] == ["llm"]
    d.store.close()


def test_undo_from_the_tray_cancels_a_scheduled_send(
    mail_world: MailWorld, agent_home: Path, frozen: None
) -> None:
    d, told, alice, bob = _daemon(mail_world, agent_home, "autopilot")
    mail_world.send(alice, [bob.address], "Q3 contract", "Thoughts?", date=clock.now())
    clock.advance(add_business_days(clock.now(), 4) - clock.now())
    d.start()  # the scheduler's worker: the first poll drafts and schedules the nudge
    try:
        assert wait_for(lambda: d.snapshot.scheduled, 20)
        [nudge] = d.snapshot.scheduled
        d.user.undo(nudge.draft_id)
        assert wait_for(lambda: not d.snapshot.scheduled, 20)
        assert [r.state for r in d.store.outbox("main")] == [OutboxState.CANCELLED]
        assert ("tray", "draft_removed") in [(r.actor, r.action) for r in d.store.audit_rows()]
        assert ("inbox-agent", f"Will not be sent: {nudge.label}") in told.said
    finally:
        assert d.shutdown(10)
        d.store.close()


def test_a_refused_smtp_login_is_told_at_once_and_the_nudge_goes_back_to_the_user(
    mail_world: MailWorld, agent_home: Path, monday: datetime
) -> None:
    d, told, alice, bob = _daemon(mail_world, agent_home, "autopilot")
    try:
        secrets.set_secret("main", "smtp", "not-the-password")
        d.cycle("main")  # the baseline
        mail_world.send(alice, [bob.address], "Q3 contract", "Thoughts?", date=clock.now())
        clock.set_now(add_business_days(monday, 4))
        d.cycle("main")  # drafted and scheduled after the undo window
        assert [r.state for r in d.store.outbox("main")] == [OutboxState.PENDING]
        clock.set_now(clock.now() + timedelta(hours=2))
        d.cycle("main")
        d.cycle("main")
        needs = [m for t, m in told.said if t == "inbox-agent needs you"]
        assert len(needs) == 1 and "smtp" in needs[0].lower(), told.said
        assert "inbox-agent secret set main smtp" in needs[0]
        assert not d.health.blocked("main")  # watching goes on: replies still end sequences
        assert [r.state for r in d.store.outbox("main")] != [OutboxState.SENT]
    finally:
        d.store.close()
