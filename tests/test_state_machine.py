"""The gate and the sequence as a state machine on real parts (Dovecot, SMTP by LMTP).

Hypothesis drives random interleavings of the things that happen to a quiet thread: time passes,
the daemon ticks, Autopilot or Copilot nudges, the user approves, rejects, undoes, edits or writes
by hand, and the other side answers, auto-replies, bounces or opts out. After every step:
  - no nudge reached anyone after a reply was in the mailbox (until the user wrote again);
  - no touch was sent twice, and no more nudges than touches;
  - no nudge went to anyone outside the thread;
  - every observed state change came with an audit row, and the chain verifies.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import keyring
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from inbox_agent import clock
from inbox_agent.cadence import add_business_days
from inbox_agent.engine import TickReport
from inbox_agent.errors import NotFound, SafetyStop
from inbox_agent.sender.smtp import SendFailure
from inbox_agent.store import audit
from inbox_agent.store.records import DraftRow
from inbox_agent.store.states import DraftState
from tests.infra.memkeyring import MemoryKeyring
from tests.test_outbox import make_engine


class QuietThread(RuleBasedStateMachine):
    world: Any = None

    def __init__(self) -> None:
        super().__init__()
        self.home = tempfile.mkdtemp(prefix="inbox-agent-sm-")
        os.environ["INBOX_AGENT_HOME"] = self.home
        keyring.set_keyring(MemoryKeyring())
        w = self.world
        self.alice, self.bob, self.carol = (
            w.new_user("alice"),
            w.new_user("bob"),
            w.new_user("carol"),
        )
        self.outsider = w.new_user("dave")
        self.reply_seen = False  # a reply of bob's or carol's is in alice's mailbox
        self.nudges_at_reply: int | None = None
        self.engine: Any = None

    @initialize(level=st.sampled_from(["copilot", "autopilot"]), cc=st.booleans())
    def start(self, level: str, cc: bool) -> None:
        clock.set_now(datetime.now(UTC))
        self.engine = make_engine(self.alice, self.world, level)
        self.original = self.world.send(
            self.alice,
            [self.bob.address],
            "Proposal",
            "Shall we go ahead?",
            cc=[self.carol.address] if cc else (),
            date=clock.now(),
        )
        self.recipients = {self.bob.address, *([self.carol.address] if cc else [])}
        clock.set_now(add_business_days(clock.now(), 4))

    # -- what the world does ----------------------------------------------------------------------
    def _deliver(self, sender: Any, body: str, headers: dict[str, str] | None = None) -> None:
        clock.advance(timedelta(minutes=1))
        self.world.reply(
            sender,
            to_message_id=self.original,
            body=body,
            to=[self.alice.address],
            subject="Re: Proposal",
            headers=headers,
            date=clock.now(),
        )

    @rule(kind=st.sampled_from(["reply", "colleague", "out_of_office", "opt_out"]))
    def other_side_answers(self, kind: str) -> None:
        if kind == "colleague" and self.carol.address in self.recipients:
            self._deliver(self.carol, "Bob is out; I approve.")
        elif kind == "out_of_office":
            self._deliver(
                self.bob,
                "I am out of the office until next week.",
                {"Auto-Submitted": "auto-replied"},
            )
            return
        elif kind == "opt_out":
            self._deliver(self.bob, "Not interested, please stop emailing me.")
        else:
            self._deliver(self.bob, "Yes, let's go ahead.")
        self._saw_reply()

    @precondition(
        lambda self: (
            self.engine is not None
            and bool(self._one(DraftState.QUEUED) or self._one(DraftState.SCHEDULED))
        )
    )
    @rule(
        kind=st.sampled_from(["reply", "colleague", "opt_out"]),
        then=st.sampled_from(["approve", "flush"]),
    )
    def answer_races_the_send(self, kind: str, then: str) -> None:
        """The other side answers a moment before the user approves, or before a scheduled send."""
        self.other_side_answers(kind)
        if then == "approve":
            self.approve()
        else:  # the daemon's outbox job: it sends what is due, with no poll of its own first
            clock.advance(timedelta(minutes=15))
            with self.engine.session() as client:
                self.engine.outbox.flush(client, TickReport())

    def _saw_reply(self) -> None:
        if not self.reply_seen:
            self.reply_seen = True
            self.nudges_at_reply = len([h for _, h in self._nudges() if self._is_ours(h)])

    @rule(days=st.integers(0, 9))
    def time_passes(self, days: int) -> None:
        """Business days pass; zero days means just past an undo window."""
        if days:
            clock.set_now(add_business_days(clock.now(), days))
        else:
            clock.advance(timedelta(minutes=15))

    # -- what the user and the daemon do ----------------------------------------------------------
    @rule()
    def tick(self) -> None:
        self.engine.tick()

    def _one(self, state: DraftState) -> DraftRow | None:
        drafts = self.engine.store.drafts("main", (state,))
        return drafts[0] if drafts else None

    @precondition(lambda self: self.engine is not None and self._one(DraftState.QUEUED) is not None)
    @rule()
    def approve(self) -> None:
        draft = self._one(DraftState.QUEUED)
        if draft is not None:
            with contextlib.suppress(SafetyStop, NotFound, SendFailure):
                self.engine.approve(draft.id)

    @precondition(
        lambda self: (
            self.engine is not None
            and bool(self._one(DraftState.QUEUED) or self._one(DraftState.SCHEDULED))
        )
    )
    @rule()
    def reject(self) -> None:
        draft = self._one(DraftState.QUEUED) or self._one(DraftState.SCHEDULED)
        if draft is not None:
            self.engine.reject(draft.id)

    @precondition(
        lambda self: self.engine is not None and self._one(DraftState.SCHEDULED) is not None
    )
    @rule()
    def undo(self) -> None:
        draft = self._one(DraftState.SCHEDULED)
        if draft is not None:
            with contextlib.suppress(NotFound):
                self.engine.undo(draft.id)

    @rule()
    def user_writes_by_hand(self) -> None:
        # the user asks again after an answer: a new follow-up is legitimate from here on
        self.reply_seen, self.nudges_at_reply = False, None
        clock.advance(timedelta(minutes=1))
        self.world.send(
            self.alice,
            [self.bob.address],
            "Re: Proposal",
            "Any news?",
            in_reply_to=self.original,
            references=[self.original],
            date=clock.now(),
        )

    # -- the promises -----------------------------------------------------------------------------
    def _nudges(self) -> list[tuple[str, bytes]]:
        """(recipient, header block) of every message from alice on the thread in anyone's INBOX."""
        found = []
        for user in (self.bob, self.carol, self.outsider):
            with self.world.imap_client(user) as client:
                client.select_folder("INBOX", readonly=True)
                uids = client.search(["HEADER", "References", self.original])
                for data in client.fetch(uids, ["BODY.PEEK[HEADER]"]).values() if uids else []:
                    head = bytes(data[b"BODY[HEADER]"])
                    if self.alice.address.encode() in head.split(b"\r\nTo:")[0]:
                        found.append((user.address, head))
        return found

    @invariant()
    def promises_hold(self) -> None:
        if self.engine is None:
            return
        ours = [(who, head) for who, head in self._nudges() if self._is_ours(head)]
        assert all(b"X-Inbox-Agent" not in head for _, head in ours), "our marker header leaked"
        if self.nudges_at_reply is not None:
            assert len(ours) <= self.nudges_at_reply, "a nudge went out after a reply was in"
        ids = [(who, self._message_id(head)) for who, head in ours]
        assert len(ids) == len(set(ids)), "a touch was sent twice"
        assert {who for who, _ in ours} <= self.recipients, (
            "a nudge went to someone outside the thread"
        )
        per_recipient = max((sum(1 for w, _ in ours if w == r) for r in self.recipients), default=0)
        assert per_recipient <= self.engine.account.cadence.touches
        assert audit.verify(self.engine.store) == []

    def _is_ours(self, head: bytes) -> bool:
        mid = self._message_id(head)
        return any(d.message_id == mid for d in self.engine.store.drafts("main"))

    @staticmethod
    def _message_id(head: bytes) -> str:
        for line in head.decode(errors="replace").splitlines():
            if line.lower().startswith("message-id:"):
                return line.split(":", 1)[1].strip()
        return ""

    @invariant()
    def every_change_is_audited(self) -> None:
        if self.engine is None:
            return
        store = self.engine.store
        snapshot = (
            [(s.state, s.touches_sent) for s in store.sequences("main")],
            [d.state for d in store.drafts("main")],
            [o.state for o in store.outbox("main")],
        )
        rows = len(store.audit_rows("main"))
        previous = getattr(self, "_snapshot", None)
        if previous is not None and previous[0] != snapshot:
            assert rows > previous[1], (
                f"state changed without an audit row: {previous[0]} -> {snapshot}"
            )
        self._snapshot = (snapshot, rows)

    def teardown(self) -> None:
        clock.set_now(None)
        os.environ.pop("INBOX_AGENT_HOME", None)


def test_gate_and_sequence_state_machine(mail_world: Any, agent_home: Path) -> None:
    QuietThread.world = mail_world
    run_state_machine_as_test(
        QuietThread,
        settings=settings(
            max_examples=12,
            stateful_step_count=10,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
