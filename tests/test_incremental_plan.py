"""Incremental planning decides exactly what a full re-plan decides.

A random history (questions asked, replies, headerless replies, auto-replies, the user writing
again, `$NoFollowUp` tags, bounces, time moving on) runs through an engine on the in-memory
mailbox. After every step the planner's actions on the threads it picked (`planning.selection`:
those touched since it last planned, plus the running sequences' when anything changed) equal
the actions of a plan over every thread; then the actions are carried out as a cycle would, so
the next step starts from the state they left."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inbox_agent import clock, config, paths
from inbox_agent.engine import Engine
from inbox_agent.engine.apply import apply
from inbox_agent.engine.bodies import read_bodies
from inbox_agent.engine.planning import plan_for, planned, selection
from inbox_agent.engine.report import TickReport
from inbox_agent.store import OPEN_DRAFTS, Store
from inbox_agent.sync.memory import MemoryMailbox
from inbox_agent.tracker.sequence import Action

ALICE = "alice@example.test"
PEOPLE = ("bob@example.test", "carol@example.test", "dan@example.test")
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

Step = tuple[str, int, int]  # what happens, to which thread (or person), how much
STEPS = st.lists(
    st.tuples(
        st.sampled_from(
            ["ask", "ask", "reply", "headerless", "again", "auto", "bounce", "tag", "time"]
        ),
        st.integers(0, 5),
        st.integers(1, 9),
    ),
    min_size=1,
    max_size=10,
)


def _mail(
    mid: str, sender: str, to: str, subject: str, when: datetime, extra: str = "", body: str = ""
) -> bytes:
    return (
        f"Message-ID: <{mid}@example.test>\r\nFrom: {sender}\r\nTo: {to}\r\n"
        f"Subject: {subject}\r\nDate: {format_datetime(when)}\r\n{extra}"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{body or 'Could you send me the signed contract?'}\r\n"
    ).encode()


def _account() -> tuple[config.Account, config.Settings]:
    path = paths.accounts_dir() / "main.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'email = "{ALICE}"\ndisplay_name = "Alice Example"\n\n'
        '[imap]\nhost = "127.0.0.1"\nsecurity = "none"\n\n'
        '[smtp]\nhost = "127.0.0.1"\nsecurity = "none"\n\n[autonomy]\ndefault = "manual"\n'
    )
    settings = config.load_settings()
    return config.load_account(path, settings), settings


class World:
    """The mailbox, and the threads asked so far: (Message-ID of the question, subject, who)."""

    def __init__(self, mailbox: MemoryMailbox) -> None:
        self.mailbox, self.asked, self.n = mailbox, list[tuple[str, str, str]](), 0

    def _id(self) -> str:
        self.n += 1
        return f"m{self.n}"

    def happen(self, kind: str, which: int, amount: int) -> None:
        now, box = clock.now(), self.mailbox
        if kind == "time":
            clock.advance(timedelta(days=amount))
            return
        if kind == "ask" or not self.asked:
            mid, who = self._id(), PEOPLE[which % len(PEOPLE)]
            subject = f"Question {self.n}"
            box.deliver("Sent", _mail(mid, ALICE, who, subject, now), ["\\Seen"], now)
            self.asked.append((mid, subject, who))
            return
        anchor, subject, who = self.asked[which % len(self.asked)]
        refs = f"In-Reply-To: <{anchor}@example.test>\r\nReferences: <{anchor}@example.test>\r\n"
        mid = self._id()
        if kind == "reply":
            box.deliver("INBOX", _mail(mid, who, ALICE, f"Re: {subject}", now, refs), when=now)
        elif kind == "headerless":
            box.deliver("INBOX", _mail(mid, who, ALICE, f"RE: {subject}", now), when=now)
        elif kind == "again":
            box.deliver("Sent", _mail(mid, ALICE, who, f"Re: {subject}", now, refs), ["\\Seen"])
        elif kind == "auto":
            extra = refs + "Auto-Submitted: auto-replied\r\n"
            body = "I am out of the office this week."
            box.deliver("INBOX", _mail(mid, who, ALICE, f"Out: {subject}", now, extra, body))
        elif kind == "bounce":
            extra = "Content-Type: text/plain\r\n"
            body = f"Delivery failed for <{anchor}@example.test>: 550 5.1.1 user unknown"
            sender = "mailer-daemon@example.test"
            box.deliver("INBOX", _mail(mid, sender, ALICE, "Undeliverable", now, extra, body))
        elif kind == "tag":
            for uid in box.uids("Sent"):
                raw = box.fetch_raw("Sent", uid)
                if raw is not None and f"<{anchor}@example.test>".encode() in raw.data[:200]:
                    box.set_flags("Sent", uid, {"\\Seen", "$NoFollowUp"})


def _key(action: Action) -> str:
    return repr(action)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
def test_incremental_planning_decides_what_a_full_plan_decides(
    agent_home: Path, steps: list[Step]
) -> None:
    account, settings_ = _account()
    mailbox = MemoryMailbox()
    mailbox.create_folder("Sent", "\\Sent")
    mailbox.create_folder("Drafts", "\\Drafts")
    clock.set_now(START)
    world = World(mailbox)
    old = START - timedelta(days=90)
    mailbox.deliver("Sent", _mail("old", ALICE, PEOPLE[0], "History", old), ["\\Seen"], old)
    engine = Engine(account, settings_, Store(":memory:"), opener=lambda _a: nullcontext(mailbox))
    ctx = engine.ctx
    for kind, which, amount in [("ask", 0, 1), *steps]:  # the first cycle is the baseline
        world.happen(kind, which, amount)
        with engine.session() as box:
            ctx.view.sync(box)
            read_bodies(ctx, box)
            chosen = selection(ctx)
            sequences = ctx.sequences()
            incremental = plan_for(ctx, chosen, sequences)
            full = plan_for(ctx, ctx.view.threads(), sequences)
            assert sorted(map(_key, incremental)) == sorted(map(_key, full)), (kind, which)
            for action in incremental:
                apply(ctx, box, action, TickReport())
            planned(ctx)
    clock.set_now(None)


def test_nudges_past_the_cycles_bound_are_drafted_by_the_next_cycles_each_once(
    agent_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cycle drafts at most `DRAFTS_PER_CYCLE` of the nudges due (a first run on a big
    mailbox: the baseline cycle stays about a sync); the others are planned again and drafted
    by the cycles after it, each nudge once, and the drafts are the ones one unbounded cycle
    writes."""
    from inbox_agent.engine import cycle

    def drafted(bound: int) -> tuple[list[int], list[tuple[str, int]]]:
        monkeypatch.setattr(cycle, "DRAFTS_PER_CYCLE", bound)
        account, settings_ = _account()
        mailbox = MemoryMailbox()
        mailbox.create_folder("Sent", "\\Sent")
        mailbox.create_folder("Drafts", "\\Drafts")
        clock.set_now(START)
        for i in range(7):
            who = PEOPLE[i % len(PEOPLE)]
            mailbox.deliver("Sent", _mail(f"q{i}", ALICE, who, f"Q {i}", START), ["\\Seen"], START)
        clock.set_now(START + timedelta(days=9))
        store = Store(":memory:")
        engine = Engine(account, settings_, store, opener=lambda _a: nullcontext(mailbox))
        counts = []
        for _ in range(5):
            report = engine.tick()
            counts.append(sum(report.counts[s] for s in OPEN_DRAFTS))
        clock.set_now(None)
        seqs = {s.id: s.anchor_message_id for s in store.sequences("main")}
        return counts, sorted((seqs[d.sequence_id], d.touch) for d in store.drafts("main"))

    bounded, every = drafted(3), drafted(100)
    assert bounded[0] == [3, 3, 1, 0, 0] and every[0] == [7, 0, 0, 0, 0]
    assert bounded[1] == every[1] and len(every[1]) == 7
