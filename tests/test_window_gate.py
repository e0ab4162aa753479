"""Send windows, caps and autonomy scopes: pure rules, as properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inbox_agent.config import AutonomyConfig
from inbox_agent.gate.autonomy import Rules, decide, parse_scope
from inbox_agent.window import SendPolicy, in_window, recipient_zone, respecting_caps, schedule

HOLIDAY = date(2026, 12, 25)
POLICY = SendPolicy(
    start=time(9),
    end=time(17),
    zone=timezone(timedelta(hours=1)),
    is_holiday=lambda d: d == HOLIDAY,
    spacing=timedelta(minutes=2),
    per_hour=5,
    per_day=12,
)
moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
zones = st.sampled_from([None, timezone(timedelta(hours=-8)), timezone(timedelta(hours=9)), UTC])


@settings(max_examples=300, deadline=None)
@given(moments, st.lists(moments, max_size=30), zones)
def test_no_schedule_puts_a_send_outside_the_window(
    earliest: datetime, sent: list[datetime], zone: timezone | None
) -> None:
    when = schedule(earliest, sent, POLICY, zone)
    assert when >= earliest
    assert in_window(when, POLICY, zone)
    local = when.astimezone(zone or POLICY.zone)
    assert local.weekday() < 5 and local.date() != HOLIDAY


@settings(max_examples=200, deadline=None)
@given(moments, st.lists(st.integers(0, 600), max_size=40))
def test_caps_and_spacing_hold(start: datetime, minutes: list[int]) -> None:
    sent = sorted(start - timedelta(minutes=m) for m in minutes)
    when = respecting_caps(start, sent, POLICY)
    assert when >= start
    if sent:
        assert when >= sent[-1] + POLICY.spacing
    assert sum(1 for t in sent if when - timedelta(hours=1) < t <= when) < POLICY.per_hour
    assert sum(1 for t in sent if when - timedelta(days=1) < t <= when) < POLICY.per_day


def test_friday_evening_waits_for_monday_morning_in_the_recipients_zone() -> None:
    friday = datetime(2026, 11, 27, 17, 30, tzinfo=UTC)  # 18:30 in the policy's zone
    when = schedule(friday, [], POLICY)
    assert when.astimezone(POLICY.zone) == datetime(2026, 11, 30, 9, 0, tzinfo=POLICY.zone)
    tokyo = timezone(timedelta(hours=9))
    assert schedule(friday, [], POLICY, tokyo).astimezone(tokyo).hour == 9


def test_recipient_zone_needs_a_clear_majority() -> None:
    pst = timezone(timedelta(hours=-8))
    dates = [datetime(2026, 11, d, 10, tzinfo=pst) for d in range(2, 6)]
    assert recipient_zone(dates) == pst
    assert recipient_zone([*dates[:1], datetime(2026, 11, 3, tzinfo=UTC)]) is None
    assert recipient_zone([]) is None


def test_scopes_most_specific_wins() -> None:
    config = AutonomyConfig(
        "autopilot", {"bob@x.test": "copilot"}, {"y.test": "manual"}, {"Clients": "copilot"}
    )
    rules = Rules.merge(config, [("thread:7", "manual"), ("domain:z.test", "autopilot")])
    assert decide(rules, ["bob@x.test"], threads=["7"]).level == "manual"
    assert decide(rules, ["bob@x.test"]).scope == "contact bob@x.test"
    assert (
        decide(rules, ["amy@y.test"], folders=["Clients"]).level == "manual"
    )  # domain beats folder
    assert decide(rules, ["amy@w.test"], folders=["Clients"]).scope == "folder Clients"
    assert decide(rules, ["amy@w.test"]).level == "autopilot"
    assert ("thread:7", "manual") in rules.listing()


def test_scope_syntax_errors_name_the_forms() -> None:
    assert parse_scope("Contact:Bob@X.test") == ("contact", "bob@x.test")
    assert parse_scope("default") == ("default", "")
    with pytest.raises(ValueError, match="thread:ID, contact:ADDRESS"):
        parse_scope("bob@x.test")
