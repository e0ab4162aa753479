"""No dead sequences: a nudge left waiting for approval expires at the next step, unsent."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from inbox_agent import clock
from inbox_agent.cadence import Cadence, Gap, add_business_days
from inbox_agent.mail.headers import Header
from inbox_agent.store import SequenceState
from inbox_agent.tracker.decision import assess, next_wakeup
from inbox_agent.tracker.sequence import Context, Due, End, expires_at
from inbox_agent.tracker.threads import build_threads
from tests.infra.rows import T0, sequence_row
from tests.test_copies import _as_alpine, _ours, _world

USER = frozenset({"alice@example.test"})
CADENCE = Cadence(3, (Gap(3, "bd"), Gap(5, "bd"), Gap(7, "bd")))
A = Header(
    "<a@x>",
    (),
    (),
    "Q3 contract",
    "alice@example.test",
    "",
    ("bob@example.test",),
    (),
    (),
    T0,
    "normal",
    "",
)
[THREAD] = build_threads([A])


def ctx_at(days: float) -> Context:
    return Context(USER, T0 + timedelta(days=days), CADENCE, Gap(14, "d"))


def test_an_unapproved_nudge_expires_at_the_next_step_and_says_so_before() -> None:
    seq = sequence_row(
        state=SequenceState.AWAITING_APPROVAL, touches_sent=0, next_due_at=T0 + timedelta(days=3)
    )
    expiry = expires_at(seq, CADENCE)
    assert expiry == T0 + timedelta(days=10)  # due Thursday, five business days on
    before = assess(THREAD, [seq], ctx_at(9))
    assert before.actions == () and before.awaiting
    assert f"expires unsent {expiry:%Y-%m-%d %H:%M}" in before.reason
    after = assess(THREAD, [seq], ctx_at(10))
    [end] = after.actions
    assert isinstance(end, End) and end.state == SequenceState.EXPIRED
    assert "waited for your approval" in end.reason and "expired unsent" in end.reason
    # the daemon wakes for it: the expiry is work, and before it, the next moment to wake
    assert next_wakeup([seq], [], T0 + timedelta(days=9), CADENCE).nudge_at == expiry
    assert next_wakeup([seq], [], expiry, CADENCE).due == {f"exp:1:{expiry.isoformat()}"}


def test_only_a_nudge_waiting_for_approval_expires() -> None:
    for state in (SequenceState.WAITING, SequenceState.DRAFTED, SequenceState.SCHEDULED):
        seq = sequence_row(state=state, next_due_at=T0 + timedelta(days=3))
        assert expires_at(seq, CADENCE) is None
        found = assess(THREAD, [seq], ctx_at(60))
        assert not any(isinstance(a, End) and a.state == "expired" for a in found.actions)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2), st.integers(0, 30), st.floats(0, 60))
def test_an_unapproved_nudge_is_never_kept_past_the_next_step_nor_ended_before(
    touches: int, due_days: int, now_days: float
) -> None:
    seq = sequence_row(
        state=SequenceState.AWAITING_APPROVAL,
        touches_sent=touches,
        next_due_at=T0 + timedelta(days=due_days),
    )
    found = assess(THREAD, [seq], ctx_at(now_days))
    expiry = CADENCE.due_after(touches + 1, T0 + timedelta(days=due_days))
    ended = [a for a in found.actions if isinstance(a, End)]
    assert not any(isinstance(a, Due) for a in found.actions)  # never drafted again meanwhile
    if T0 + timedelta(days=now_days) >= expiry:
        assert [e.state for e in ended] == [SequenceState.EXPIRED]
    else:
        assert ended == []


def test_an_edited_draft_is_kept_when_its_nudge_expires(agent_home: Path) -> None:
    """Rule 8: the sequence ends unsent, the user's edit of the draft stays theirs."""
    engine, mailbox, draft = _world(agent_home)
    assert draft.uid is not None
    edit = mailbox.deliver("Drafts", _as_alpine(_ours(mailbox, draft), "edit", "\nMine.\n"), [])
    mailbox.set_flags("Drafts", draft.uid, {"\\Draft", "\\Deleted"})
    seq = engine.sequence_row(draft.sequence_id)
    expiry = expires_at(seq, engine.account.cadence.cadence)
    assert expiry is not None
    clock.set_now(expiry + timedelta(minutes=1))
    assert engine.next_wakeup().due  # the daemon has work: the expiry
    engine.tick()
    assert engine.sequence_row(seq.id).state == SequenceState.EXPIRED
    assert edit in mailbox.uids("Drafts") and engine.queue() == []
    rows = engine.store.audit_rows("main")
    assert any(r.action == "draft_kept" and "you edited the draft" in r.reason for r in rows)
    [end] = [r for r in rows if r.action == "end"]
    assert end.state_after == "expired" and "waited for your approval" in end.reason


def test_a_nudge_drafted_late_waits_a_whole_gap_for_approval(agent_home: Path) -> None:
    """The daemon was off (a week away, a laptop closed) past the moment touch 2 would have
    come: touch 1 is drafted when it runs again and waits the next gap from then, not from when
    it was due (it expired at the cycle after, and its sequence with it, before the user saw it)."""
    engine, _mailbox, draft = _world(agent_home, 9)  # touch 1 was due after 3, touch 2 after 8
    back = clock.now()
    seq = engine.sequence_row(draft.sequence_id)
    expiry = expires_at(seq, engine.account.cadence.cadence)
    assert expiry is not None and expiry >= add_business_days(back, 5)
    clock.set_now(back + timedelta(minutes=5))
    engine.tick()  # the next cycle: still there for the user to approve
    assert [d.id for d in engine.queue()] == [draft.id]
    assert engine.sequence_row(seq.id).state == SequenceState.AWAITING_APPROVAL
    clock.set_now(expiry + timedelta(minutes=1))
    engine.tick()  # and never weeks late: it expires a whole gap after it was drafted
    assert engine.sequence_row(seq.id).state == SequenceState.EXPIRED
    # `threads --as-of` rewinds the audit log to the same wait
    [then] = [x.sequence for x in engine.assessments(back + timedelta(minutes=1)) if x.sequence]
    assert then.state == SequenceState.AWAITING_APPROVAL and then.next_due_at == seq.next_due_at


def test_the_sequence_table_lets_only_an_unapproved_nudge_expire() -> None:
    from inbox_agent.store.states import SEQUENCE, Event

    expired = SequenceState.EXPIRED
    assert SEQUENCE.allows(SequenceState.AWAITING_APPROVAL, Event.END, expired)
    for other in set(SequenceState) - {SequenceState.AWAITING_APPROVAL}:
        assert not any(SEQUENCE.allows(other, event, expired) for event in Event), other
    assert SEQUENCE.targets(expired) == frozenset()  # ended for good
