"""The sequence planner, the cadence, the gate and the reply composer: pure rules, checked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inbox_agent.cadence import Cadence, Gap, add_business_days, parse_gap
from inbox_agent.config import AutonomyConfig
from inbox_agent.gate.autonomy import decide
from inbox_agent.mail.compose import build, recipients, reply_subject
from inbox_agent.mail.headers import Header
from inbox_agent.store import SequenceRow, SequenceState
from inbox_agent.tracker.decision import plan
from inbox_agent.tracker.sequence import Due, End, Pause, Start
from inbox_agent.tracker.threads import build_threads
from tests.infra.rows import sequence

USER = frozenset({"alice@example.test"})
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
CADENCE = Cadence(3, (Gap(3, "bd"), Gap(5, "bd"), Gap(7, "bd")))
LOOKBACK = Gap(14, "d")


def mail(
    mid: str, sender: str, to: str, at: datetime, parent: str | None = None, kind: str = "normal"
) -> Header:
    refs = (parent,) if parent else ()
    return Header(mid, refs, refs, "Q3 contract", sender, "", (to,), (), (), at, kind, "")


def run_plan(messages: list[Header], sequences: list[SequenceRow], now: datetime) -> list[object]:
    return list(
        plan(
            build_threads(messages),
            sequences,
            user=USER,
            now=now,
            cadence=CADENCE,
            lookback=LOOKBACK,
            our_ids=frozenset(),
        )
    )


def test_a_quiet_thread_starts_and_is_due_after_the_first_gap() -> None:
    a = mail("<a@x>", "alice@example.test", "bob@example.test", T0)
    early = run_plan([a], [], T0 + timedelta(days=1))
    assert [type(x) for x in early] == [Start]
    later = run_plan([a], [], T0 + timedelta(days=4))
    assert [type(x) for x in later] == [Start, Due]


def test_baseline_never_nudges_history() -> None:
    old = mail("<a@x>", "alice@example.test", "bob@example.test", T0 - timedelta(days=30))
    assert run_plan([old], [], T0) == []


def test_out_of_office_at_start_pauses() -> None:
    a = mail("<a@x>", "alice@example.test", "bob@example.test", T0)
    ooo = mail(
        "<o@x>",
        "bob@example.test",
        "alice@example.test",
        T0 + timedelta(days=2),
        "<a@x>",
        "auto_reply",
    )
    actions = run_plan([a, ooo], [], T0 + timedelta(days=3))
    assert len(actions) == 1 and isinstance(actions[0], Start) and actions[0].paused


def seq(
    state: SequenceState = SequenceState.WAITING, due: datetime | None = None, touches: int = 0
) -> SequenceRow:
    return sequence(
        1, "<a@x>", state, touches, T0, due or T0 + timedelta(days=3), frozenset({"<a@x>"})
    )


def test_reply_ends_the_sequence_even_with_an_auto_reply_beside_it() -> None:
    a = mail("<a@x>", "alice@example.test", "bob@example.test", T0)
    ooo = mail(
        "<o@x>",
        "bob@example.test",
        "alice@example.test",
        T0 + timedelta(hours=1),
        "<a@x>",
        "auto_reply",
    )
    reply = mail(
        "<r@x>", "carol@example.test", "alice@example.test", T0 + timedelta(hours=2), "<a@x>"
    )
    actions = run_plan([a, ooo, reply], [seq()], T0 + timedelta(days=9))
    assert actions == [End(1, SequenceState.REPLIED, "a reply from carol@example.test", "<r@x>")]


def test_auto_reply_pauses_a_running_sequence() -> None:
    a = mail("<a@x>", "alice@example.test", "bob@example.test", T0)
    ooo = mail(
        "<o@x>",
        "bob@example.test",
        "alice@example.test",
        T0 + timedelta(days=1),
        "<a@x>",
        "auto_reply",
    )
    [action] = run_plan([a, ooo], [seq()], T0 + timedelta(days=1, hours=1))
    assert isinstance(action, Pause) and action.until > T0 + timedelta(days=3)


def test_last_touch_then_silence_exhausts() -> None:
    a = mail("<a@x>", "alice@example.test", "bob@example.test", T0)
    actions = run_plan([a], [seq(due=T0 + timedelta(days=1), touches=3)], T0 + timedelta(days=2))
    assert [type(x) for x in actions] == [End] and actions[0].state == SequenceState.EXHAUSTED  # type: ignore[attr-defined]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["alice", "bob", "carol"]),
            st.integers(0, 200),
            st.sampled_from(["normal", "auto_reply", "bounce"]),
        ),
        min_size=1,
        max_size=8,
    ),
    st.integers(0, 40),
    st.integers(0, 3),
)
def test_never_due_after_a_reply(
    events: list[tuple[str, int, str]], days: int, touches: int
) -> None:
    anchor = mail("<a@x>", "alice@example.test", "bob@example.test", T0)
    messages = [anchor]
    for i, (who, hours, kind) in enumerate(events):
        messages.append(
            mail(
                f"<m{i}@x>",
                f"{who}@example.test",
                "alice@example.test" if who != "alice" else "bob@example.test",
                T0 + timedelta(hours=hours + 1),
                "<a@x>",
                kind if who != "alice" else "normal",
            )
        )
    replied = any(who != "alice" and kind == "normal" for who, _, kind in events)
    for action in run_plan(messages, [seq(touches=touches)], T0 + timedelta(days=days)):
        if replied:
            assert not isinstance(action, Due)
        if isinstance(action, Due):
            assert T0 + timedelta(days=days) >= T0 + timedelta(days=3)


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)), st.integers(1, 30)
)
def test_business_days_land_on_a_weekday_and_skip_weekends(start: datetime, days: int) -> None:
    end = add_business_days(start, days)
    assert end.weekday() < 5
    weekdays = sum(
        1 for d in range(1, (end - start).days + 1) if (start + timedelta(days=d)).weekday() < 5
    )
    assert weekdays == days or start.weekday() >= 5


def test_durations_parse_and_refuse_nonsense() -> None:
    assert parse_gap("3bd") == Gap(3, "bd") and str(parse_gap(" 90s ")) == "90s"
    with pytest.raises(ValueError, match="90s, 30m, 4h, 3d, 2bd"):
        parse_gap("three days")


def test_gate_most_specific_scope_and_most_cautious_recipient_win() -> None:
    rules = AutonomyConfig("autopilot", {"bob@x.test": "copilot"}, {"y.test": "manual"})
    assert decide(rules, ["bob@x.test"]).level == "copilot"
    assert decide(rules, ["carol@x.test"]).level == "autopilot"
    assert decide(rules, ["carol@x.test", "dan@y.test"]).level == "manual"


def test_reply_goes_to_the_thread_minus_the_user_with_one_re() -> None:
    anchor = Header(
        "<a@x>",
        (),
        ("<r0@x>",),
        "RE: Re: Q3",
        "alice@example.test",
        "Alice",
        ("bob@x.test", "alice@example.test"),
        ("carol@x.test",),
        (),
        T0,
        "normal",
        "",
    )
    assert reply_subject(anchor.subject) == "Re: Q3"
    assert recipients(anchor, USER).all == ("bob@x.test", "carol@x.test")
    msg = build(
        anchor=anchor,
        user=USER,
        from_addr="alice@example.test",
        from_name="Alice",
        body="Hi Bob,\n\nAny news?",
        when=T0,
        agent_id="abc",
    )
    assert msg["In-Reply-To"] == "<a@x>" and msg["References"] == "<r0@x> <a@x>"
    assert (
        msg["To"] == "bob@x.test"
        and msg["Cc"] == "carol@x.test"
        and msg["X-Inbox-Agent-Id"] == "abc"
    )
    assert msg["Message-ID"].endswith("@example.test>")
