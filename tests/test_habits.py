"""The recipient's habits (`tracker.habits`, `store.answers`): learned from their past answers to
the user, they move the first nudge and Autopilot's hours, within the configured bounds."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from inbox_agent.cadence import Cadence, Gap, parse_gap
from inbox_agent.mail.classify import BodyFacts
from inbox_agent.mail.expects import JUDGED_BY, Outcome
from inbox_agent.mail.headers import Header
from inbox_agent.store import Store
from inbox_agent.tracker.habits import Habit, first_gap, habit, narrowed, usual_hours
from inbox_agent.tracker.sequence import Context, Start
from inbox_agent.tracker.start import start
from inbox_agent.tracker.threads import build_threads
from inbox_agent.window import SendPolicy, in_window, schedule

ALICE, BOB = "alice@example.test", "bob@example.test"
MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CADENCE = Cadence(3, (Gap(3, "bd"), Gap(5, "bd"), Gap(7, "bd")))


def test_a_habit_needs_three_answers_and_is_their_median_delay_and_usual_hours() -> None:
    cet = timezone(timedelta(hours=1))
    asked = [MONDAY + timedelta(days=7 * i) for i in range(5)]
    took = [timedelta(days=d) for d in (1, 6, 5, 4, 30)]
    pairs = [
        (a, (a + t).astimezone(cet).replace(hour=14 + i % 2))
        for i, (a, t) in enumerate(zip(asked, took, strict=True))
    ]
    assert habit(pairs[:2]) is None
    found = habit(pairs)
    assert found is not None and found.answers == 5
    assert timedelta(days=4) < found.delay < timedelta(days=6)
    assert found.hours == (13, 16) or found.hours == (14, 17)
    assert "usually answers in" in str(found)
    # answers spread over the day make no habit of hours; a wrong clock is left out
    assert usual_hours(MONDAY.replace(hour=h) for h in (0, 4, 8, 12, 16, 20)) is None
    assert habit([(MONDAY, MONDAY - timedelta(days=1))] * 5) is None


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from(["1bd", "2bd", "3bd", "5bd", "2d", "12h", "7bd"]), min_size=1, max_size=4
    ),
    st.integers(0, 40 * 24),  # their usual delay, hours
    st.integers(0, 60),  # days after the Monday it was sent
)
def test_the_habit_gap_stays_within_the_configured_gaps(
    gaps: list[str], delay_hours: int, day: int
) -> None:
    cadence = Cadence(3, tuple(parse_gap(g) for g in gaps))
    sent = MONDAY + timedelta(days=day, hours=5)
    habits = {BOB: Habit(4, timedelta(hours=delay_hours), None)}
    due, why = first_gap(sent, cadence, habits, [BOB])
    first, last = cadence.due_after(0, sent), cadence.gaps[-1].after(sent)
    assert first <= due <= max(first, last)
    assert due == max(first, min(sent + timedelta(hours=delay_hours), last))
    assert bool(why) == (due > first)
    assert first_gap(sent, cadence, {}, [BOB]) == (first, "")  # no habit: the cadence alone


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 23), st.integers(0, 24 * 14), st.integers(-8, 8))
def test_autopilot_in_their_usual_hours_never_leaves_the_send_window(
    hour: int, minutes: int, offset: int
) -> None:
    policy = SendPolicy(start=time(9), end=time(17))
    zone = timezone(timedelta(hours=offset))
    hours = (hour, min(hour + 3, 24))
    earliest = MONDAY + timedelta(minutes=minutes * 7)
    moment = schedule(earliest, [], narrowed(policy, hours), zone)
    assert in_window(moment, policy, zone) and moment >= earliest
    local = moment.astimezone(zone).time()
    if hours[0] < 17 and hours[1] > 9:  # they meet: inside their hours too
        assert time(max(9, hours[0])) <= local < time(min(17, hours[1]))


def test_the_first_nudge_waits_for_their_usual_delay_and_says_so() -> None:
    ask = Header("<a@x>", (), (), "Q3", ALICE, "", (BOB,), (), (), MONDAY, "normal", "")
    asked = BodyFacts(expects=Outcome.EXPECTS, expects_kind="ask", judged_by=JUDGED_BY)
    ctx = Context(
        frozenset({ALICE}),
        MONDAY + timedelta(days=1),
        CADENCE,
        Gap(14, "d"),
        facts={"<a@x>": asked},
        habits={BOB: Habit(6, timedelta(days=6), None)},
    )
    [begin] = start(build_threads([ask])[0], [], ctx).actions
    assert isinstance(begin, Start) and begin.next_due_at == MONDAY + timedelta(days=6)
    assert f"{BOB} usually answers in 6.0 days" in begin.reason


def test_answer_times_reads_their_answers_to_the_user_only(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")

    def h(mid: str, sender: str, at: datetime, parent: str = "") -> Header:
        refs = (parent,) if parent else ()
        to = (BOB,) if sender == ALICE else (ALICE,)
        return Header(mid, refs, refs, "Q", sender, "", to, (), (), at, "normal", "")

    rows = [
        h("<u1@x>", ALICE, MONDAY),
        h("<b1@x>", BOB, MONDAY + timedelta(days=2), "<u1@x>"),
        h("<u2@x>", ALICE, MONDAY + timedelta(days=3)),
        h("<b2@x>", BOB, MONDAY + timedelta(days=4), "<u2@x>"),
        h("<c1@x>", "carol@x", MONDAY + timedelta(days=5)),
        h("<b3@x>", BOB, MONDAY + timedelta(days=6), "<c1@x>"),  # an answer to carol
    ]
    with store.tx():
        store.add_messages("main", "INBOX", 1, [(i, m, (), 10) for i, m in enumerate(rows, 1)])
        store.add_messages("main", "Archive", 1, [(1, rows[1], (), 10)])  # a second copy
    found = store.answer_times("main", BOB, [ALICE])
    assert found == [
        (MONDAY + timedelta(days=3), MONDAY + timedelta(days=4)),
        (MONDAY, MONDAY + timedelta(days=2)),
    ]
    assert store.answer_times("main", BOB, [ALICE], (MONDAY + timedelta(days=3)).isoformat()) == [
        (MONDAY, MONDAY + timedelta(days=2))
    ]
    plan = " ".join(
        str(r)
        for r in store.conn.execute(
            "EXPLAIN QUERY PLAN SELECT 1 FROM messages WHERE account = ? AND from_addr = ?",
            ("main", BOB),
        )
    )
    assert "messages_by_sender" in plan  # a lookup, not a walk of the account's rows


def test_a_habit_reads_their_newest_answers_not_all_they_ever_sent(tmp_path: Path) -> None:
    """The lookup walks bob's messages newest first and stops at the answers it needs: with 40
    times the history, about the same work (SQLite's virtual machine steps counted), and the
    same answers as every row of his would give."""

    def history(store: Store, account: str, answers: int) -> None:
        rows = []
        for i in range(answers):
            asked = MONDAY - timedelta(days=3 * i)
            rows.append(
                Header(f"<u{i}@x>", (), (), "Q", ALICE, "", (BOB,), (), (), asked, "normal", "")
            )
            rows.append(
                Header(
                    f"<b{i}@x>",
                    (f"<u{i}@x>",),
                    (f"<u{i}@x>",),
                    "Re: Q",
                    BOB,
                    "",
                    (ALICE,),
                    (),
                    (),
                    asked + timedelta(hours=5 + i % 3),
                    "normal",
                    "",
                )
            )
        with store.tx():
            store.add_messages(account, "INBOX", 1, [(i, m, (), 10) for i, m in enumerate(rows, 1)])

    def steps(store: Store, account: str) -> tuple[int, list[tuple[datetime, datetime]]]:
        count = 0

        def step() -> int:
            nonlocal count
            count += 1
            return 0

        store.conn.set_progress_handler(step, 1)
        found = store.answer_times(account, BOB, [ALICE], limit=20)
        store.conn.set_progress_handler(None, 1)
        return count, found

    store = Store(tmp_path / "s.db")
    history(store, "short", 25)
    history(store, "long", 1000)
    short, found_short = steps(store, "short")
    long, found_long = steps(store, "long")
    assert found_long == found_short and len(found_long) == 20  # the same 20 newest answers
    assert found_long[0] == (MONDAY, MONDAY + timedelta(hours=5))
    assert long < 2 * short, (short, long)


def test_the_engine_learns_the_habit_from_the_mailbox(agent_home: Path) -> None:
    """On the memory mailbox: bob took about six days each of the last three times, so the first
    nudge on alice's new question waits six days, not the first gap of three business days."""
    from inbox_agent import clock
    from inbox_agent.sync.memory import MemoryMailbox
    from tests.test_engine_memory import _engine, _mail

    mailbox = MemoryMailbox()
    mailbox.create_folder("Sent", "\\Sent")
    mailbox.create_folder("Drafts", "\\Drafts")
    now = datetime.now(UTC).replace(microsecond=0)
    for i in range(3):
        asked = now - timedelta(days=60 - 14 * i)
        mailbox.deliver("Sent", _mail(f"q{i}", ALICE, BOB, f"Q{i}", asked), ["\\Seen"], asked)
        back = asked + timedelta(days=6)
        reply = _mail(
            f"r{i}", BOB, ALICE, f"Re: Q{i}", back, f"In-Reply-To: <q{i}@example.test>\r\n"
        )
        mailbox.deliver("INBOX", reply, [], back)
    mailbox.deliver("Sent", _mail("ask", ALICE, BOB, "Contract", now), ["\\Seen"], now)
    engine = _engine(mailbox)
    clock.set_now(now + timedelta(days=5))
    engine.tick()
    [seq] = [s for s in engine.sequences() if s.anchor_message_id == "<ask@example.test>"]
    assert seq.next_due_at == now + timedelta(days=6)
    assert f"{BOB} usually answers in 6.0 days (3 answers)" in seq.reason
    assert mailbox.uids("Drafts") == []
    clock.set_now(now + timedelta(days=6, minutes=1))
    engine.tick()
    assert len(mailbox.uids("Drafts")) == 1
