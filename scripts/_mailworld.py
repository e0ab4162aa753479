"""Shared by scripts/chaos_send and scripts/race_reply: a private mail world on loopback.

Owns: a private Dovecot (`tests.infra.dovecot.DovecotServer`) and an SMTP submission relay that
delivers into it by LMTP like `tests.infra.smtp_relay`, but keeps a timed record of every
delivery (`Delivery`: when the SMTP session opened, when LMTP hand-off began and when it returned,
i.e. when the message was in the recipients' INBOX) and knows when a sender has nothing left in
flight (`Relay.quiet`). Plus fresh users, threads seeded a week back, Autopilot/Copilot profiles
in their own INBOX_AGENT_HOME, and `inbox-agent` subprocesses with a pinned clock.

Every time here is `time.monotonic()` of this process, so relay records and the moments a script
chooses (a kill, a reply) are on one clock.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from pathlib import Path
from typing import Any, TypeVar

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from imapclient import IMAPClient

from inbox_agent.store.states import DraftState
from tests.infra.daemon import ROOT, AgentProcess, profile_env, store_rows, write_profile
from tests.infra.dovecot import DovecotServer, free_port
from tests.infra.mail import MailUser, build_message, imap_client, submit

T = TypeVar("T")
PYCACHE = Path(tempfile.gettempdir()) / "inbox-agent-scripts-pycache"
SENDING = (
    '\n[sending]\nwindow = "00:00-23:59"\ntimezone = "UTC"\nundo = "1m"\nspacing = "1s"\n'
    "max_per_hour = 1000\nmax_per_day = 10000\n"
)


@dataclass(frozen=True)
class Delivery:
    """One message handed to LMTP by the relay; times are `time.monotonic()`."""

    login: str  # who authenticated the SMTP session
    mail_from: str
    rcpts: tuple[str, ...]
    message_id: str
    in_reply_to: str
    connected_at: float  # the SMTP session opened: the submission started
    started_at: float  # DATA complete, LMTP hand-off began
    finished_at: float  # LMTP returned: the message is in the recipients' mailboxes
    refused: str = ""  # why LMTP refused, when it did


class TimedSMTP(SMTP):
    """aiosmtpd's SMTP session, remembering when it opened and registering itself while open."""

    connected_at = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.connected_at = time.monotonic()
        handler = self.event_handler
        assert isinstance(handler, TimedRelayHandler)
        with handler.lock:
            handler.open_sessions.add(self)
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        handler = self.event_handler
        assert isinstance(handler, TimedRelayHandler)
        with handler.lock:
            handler.open_sessions.discard(self)
        super().connection_lost(error)

    @property
    def login(self) -> str:
        data = self.session.auth_data if self.session is not None else None
        return data if isinstance(data, str) else ""


class TimedRelayHandler:
    """AUTH against the live user table, local recipients only, delivery by LMTP, every delivery
    recorded with its times. A delivery already handed to LMTP completes even when the client
    dies (aiosmtpd cancels the session's coroutine, not the worker thread), and it is recorded
    from that thread, so `deliveries` misses nothing that reached a mailbox."""

    def __init__(self, lmtp_socket: str, users: dict[str, str], domain: str) -> None:
        self.lmtp_socket, self.users, self.domain = lmtp_socket, users, domain.lower()
        self.lock = threading.Lock()
        self.deliveries: list[Delivery] = []
        self.open_sessions: set[TimedSMTP] = set()
        self.in_flight: Counter[str] = Counter()  # by login: LMTP hand-offs not yet returned

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            login = auth_data.login.decode().split("@", 1)[0].lower()
            expected = self.users.get(login)
            if expected is not None and expected == auth_data.password.decode():
                return AuthResult(success=True, auth_data=login)
        return AuthResult(success=False, handled=False)

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        local, _, domain = address.rpartition("@")
        if domain.lower() != self.domain or local.lower() not in self.users:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(server, TimedSMTP)
        data: bytes = envelope.original_content or b""
        login, connected_at = server.login, server.connected_at
        with self.lock:
            self.in_flight[login] += 1  # before the hand-off: `quiet` cannot miss it
        loop = asyncio.get_running_loop()
        refused = await loop.run_in_executor(
            None,
            self._deliver,
            login,
            str(envelope.mail_from),
            tuple(envelope.rcpt_tos),
            data,
            connected_at,
        )
        return f"451 4.3.0 {refused}" if refused else "250 Message accepted for delivery"

    def _deliver(
        self, login: str, mail_from: str, rcpts: tuple[str, ...], data: bytes, connected_at: float
    ) -> str:
        started = time.monotonic()
        refused = ""
        try:
            client = smtplib.LMTP(self.lmtp_socket, timeout=30)
            try:
                bad = client.sendmail(mail_from, list(rcpts), data)
                refused = f"refused: {bad!r}" if bad else ""
            finally:
                client.quit()
        except (smtplib.SMTPException, OSError) as exc:
            refused = f"LMTP failed: {exc}"
        finally:
            head = message_from_bytes(data.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n")
            record = Delivery(
                login=login,
                mail_from=mail_from,
                rcpts=rcpts,
                message_id=str(head["Message-ID"] or "").strip(),
                in_reply_to=str(head["In-Reply-To"] or "").strip(),
                connected_at=connected_at,
                started_at=started,
                finished_at=time.monotonic(),
                refused=refused,
            )
            with self.lock:
                self.deliveries.append(record)
                self.in_flight[login] -= 1
        return refused


class TimedController(Controller):
    def factory(self) -> SMTP:
        return TimedSMTP(self.handler, **self.SMTP_kwargs)


@dataclass
class Thread:
    """One outbound thread of alice's that went quiet: the original and its one recipient."""

    recipient: MailUser
    subject: str
    message_id: str


@dataclass
class Profile:
    """One `inbox-agent` profile: its home, its user and the threads it follows."""

    home: Path
    user: MailUser
    threads: list[Thread] = field(default_factory=list)


class World:
    """A private Dovecot plus the timed relay, for one script run. Use as a context manager."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.dovecot = DovecotServer()
        self.handler: TimedRelayHandler | None = None
        self.controller: TimedController | None = None
        self.smtp_port = 0

    def __enter__(self) -> World:
        # aiosmtpd warns on every connection that AUTH goes without TLS: on loopback that is
        # the point; and every AUTH logs a deprecation of its own
        warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
        warnings.filterwarnings("ignore", message="Session.login_data is deprecated")
        logging.getLogger("mail.log").setLevel(logging.ERROR)
        self.dovecot.start()
        self.handler = TimedRelayHandler(
            self.dovecot.lmtp_socket, self.dovecot.users, "example.test"
        )
        self.smtp_port = free_port()
        self.controller = TimedController(
            self.handler,
            hostname="127.0.0.1",
            port=self.smtp_port,
            ready_timeout=5.0,
            authenticator=self.handler.authenticate,
            auth_required=True,
            auth_require_tls=False,
        )
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.controller is not None:
            self.controller.stop()
        self.dovecot.cleanup()

    @property
    def imap_port(self) -> int:
        return self.dovecot.imap_port

    @property
    def relay(self) -> TimedRelayHandler:
        assert self.handler is not None, "enter the World first"
        return self.handler

    def warm_up(self) -> None:
        """Compile the agent's modules into the byte-code cache before anything is timed."""
        env = profile_env(self.root, PYTHONPYCACHEPREFIX=str(PYCACHE))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        code = "import inbox_agent.cli, inbox_agent.engine, inbox_agent.mail.body, inbox_agent.desktop.run"
        subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, timeout=120, check=True)

    # -- people and threads ----------------------------------------------------------------------
    def new_user(self, name: str) -> MailUser:
        login = f"{name}{secrets.token_hex(4)}"
        password = secrets.token_urlsafe(12)
        self.dovecot.add_user(login, password)
        return MailUser(login=login, password=password, display_name=f"{name.title()} Example")

    def profile(self, n_threads: int, autonomy: str, now: datetime) -> Profile:
        """A fresh alice with `n_threads` fresh recipients, one thread each, sent a week before
        `now` (due at once), and her `inbox-agent` home with the always-open send window."""
        alice = self.new_user("alice")
        home = self.root / f"home-{alice.login}"
        home.mkdir(parents=True)
        path = write_profile(home, alice, self.imap_port, self.smtp_port, autonomy)
        path.write_text(path.read_text() + SENDING)
        prof = Profile(home, alice)
        sent_at = now - timedelta(days=7)
        messages = []
        for i in range(n_threads):
            rcpt = self.new_user(f"r{i}x")
            subject = f"Proposal {i} for {rcpt.login}"
            msg = build_message(
                alice,
                [rcpt.address],
                subject,
                f"Hi,\n\ncould you look at proposal {i} and tell me what you think?\n\nAlice\n",
                date=sent_at,
            )
            submit(self.smtp_port, alice, msg)
            messages.append(msg)
            prof.threads.append(Thread(rcpt, subject, str(msg["Message-ID"])))
        with imap_client(self.imap_port, alice) as client:
            for msg in messages:
                client.append("Sent", msg.as_bytes(), flags=[b"\\Seen"], msg_time=sent_at)
        return prof

    def reply(self, sender: MailUser, thread: Thread, to: MailUser, when: datetime) -> str:
        """`sender` answers the original by SMTP (In-Reply-To, References); delivered by LMTP
        into `to`'s INBOX before this returns. Returns the reply's Message-ID."""
        msg = build_message(
            sender,
            [to.address],
            f"Re: {thread.subject}",
            "Thanks, looking at it now; you will have my answer tomorrow.\n",
            in_reply_to=thread.message_id,
            references=[thread.message_id],
            date=when,
        )
        submit(self.smtp_port, sender, msg)
        return str(msg["Message-ID"])

    # -- the relay -------------------------------------------------------------------------------
    def quiet(self, login: str, timeout: float = 10.0) -> bool:
        """Wait until no SMTP session of `login` is open and nothing of theirs is being handed
        to LMTP, twice in a row 20 ms apart. What the daemon's 10-minute recovery grace stands
        for: after a kill, whatever the relay had already accepted has landed in the mailboxes."""
        relay = self.relay
        deadline = time.monotonic() + timeout
        calm = 0
        time.sleep(0.05)  # for the relay's loop to read the EOF of a killed client
        for _ in range(int(timeout / 0.02) + 2):  # an unauthenticated session cannot deliver
            with relay.lock:
                busy = relay.in_flight[login] > 0 or any(
                    s.login == login for s in relay.open_sessions
                )
            calm = 0 if busy else calm + 1
            if calm >= 2 or time.monotonic() >= deadline:
                break
            time.sleep(0.02)
        return calm >= 2

    def deliveries(self) -> list[Delivery]:
        with self.relay.lock:
            return list(self.relay.deliveries)

    def nudges_relayed(self, prof: Profile) -> list[Delivery]:
        """The relay's record of the nudges `prof`'s user submitted: answers to one of its
        originals, from its user (our marker header never goes on the wire)."""
        originals = {t.message_id for t in prof.threads}
        return [
            d
            for d in self.deliveries()
            if d.login == prof.user.login and d.in_reply_to in originals and not d.refused
        ]

    # -- mailboxes -------------------------------------------------------------------------------
    @contextmanager
    def imap(self, user: MailUser) -> Iterator[IMAPClient]:
        with imap_client(self.imap_port, user) as client:
            yield client

    def nudges_in_inbox(self, thread: Thread) -> int:
        """Messages in the recipient's INBOX that answer the original (In-Reply-To or
        References naming it): the nudges that reached them."""
        with self.imap(thread.recipient) as client:
            client.select_folder("INBOX", readonly=True)
            found = set(client.search(["HEADER", "In-Reply-To", thread.message_id]))
            found |= set(client.search(["HEADER", "References", thread.message_id]))
        return len(found)

    def leftovers(self, prof: Profile) -> dict[str, int]:
        """What a send should have tidied in the user's own mailbox, each a count:
        - drafts_left: messages in Drafts; of them, sent_draft_left: a draft the store says was
          sent (a person could send it again by hand), and orphan_draft: one the store does not
          know (APPENDed by a cycle killed before it committed the draft row);
        - receipts_left: receipt copies of nudges left in INBOX;
        - sent_copy_missing / sent_copy_twice: threads without exactly one Sent copy."""
        with self.imap(prof.user) as client:
            client.select_folder("Drafts", readonly=True)
            uids = client.search(["ALL"])
            heads = client.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]) if uids else {}
            in_drafts = [
                str(message_from_bytes(bytes(d[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"]))["Message-ID"])
                for d in heads.values()
            ]
            client.select_folder("INBOX", readonly=True)
            receipts = sum(
                len(client.search(["HEADER", "In-Reply-To", t.message_id])) for t in prof.threads
            )
            client.select_folder("Sent", readonly=True)
            copies = [
                len(client.search(["HEADER", "In-Reply-To", t.message_id])) for t in prof.threads
            ]
        known = dict(store_rows(prof.home, "SELECT message_id, state FROM drafts"))
        return {
            "drafts_left": len(in_drafts),
            "sent_draft_left": sum(
                1 for mid in in_drafts if known.get(mid.strip()) == DraftState.SENT
            ),
            "orphan_draft": sum(1 for mid in in_drafts if mid.strip() not in known),
            "receipts_left": receipts,
            "sent_copy_missing": sum(1 for c in copies if c == 0),
            "sent_copy_twice": sum(1 for c in copies if c > 1),
        }


def agent(prof: Profile, args: Sequence[str], now: datetime) -> AgentProcess:
    """`python -m inbox_agent ARGS` in the profile's home with the clock pinned at `now`.
    Byte code is cached (outside the tree) even when this shell says not to: a person's daemon
    does not compile its modules at every start, and a cycle should not be timed as if it did."""
    env = profile_env(
        prof.home,
        INBOX_AGENT_NOW=now.isoformat(),
        PYTHONPYCACHEPREFIX=str(PYCACHE),
    )
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return AgentProcess(prof.home, list(args), env)


def finish(proc: AgentProcess, timeout: float = 60.0) -> int:
    """Wait for the process; kill it if it outlives `timeout` (a hang is a finding)."""
    try:
        return proc.wait(timeout)
    except Exception:
        proc.proc.kill()
        proc.proc.wait(10)
        raise


def rows(prof: Profile, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    return store_rows(prof.home, sql, params)


def audit_verified(prof: Profile, now: datetime) -> bool:
    """`inbox-agent audit --verify` exits 0."""
    return finish(agent(prof, ["audit", "--verify"], now), 60) == 0


def weekday_morning(today: datetime | None = None) -> datetime:
    """The last Wednesday at 10:00 UTC before `today`: a working day, well inside the window,
    with hours of room for the clock to move on."""
    base = (today or datetime.now(UTC)).replace(hour=10, minute=0, second=0, microsecond=0)
    return base - timedelta(days=(base.weekday() - 2) % 7 or 7)


def parallel_runs(
    runs: int, jobs: int, minutes: float, task: Callable[[int], T]
) -> Iterator[tuple[int, T]]:
    """`task(i)` for i in 0..runs-1, `jobs` at a time, yielding (i, result) as they end; no new
    run starts after `minutes` (0: no limit)."""
    began = time.monotonic()
    with ThreadPoolExecutor(jobs) as pool:
        pending: dict[Future[T], int] = {}
        started = 0
        for _ in range(runs + jobs + 1):  # bounded: every pass but the first ends a run
            while started < runs and len(pending) < jobs:
                if minutes and time.monotonic() - began > minutes * 60:
                    runs = started
                    break
                pending[pool.submit(task, started)] = started
                started += 1
            if not pending:
                return
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                yield pending.pop(future), future.result()
