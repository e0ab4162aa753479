"""A promise from the other side (`mail.promise`, `tracker.start.owed_promise`) and the endings
that came before anything followed a thread: pure rules, checked."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inbox_agent.cadence import Cadence, Gap
from inbox_agent.mail.classify import BodyFacts, read
from inbox_agent.mail.expects import JUDGED_BY, Outcome
from inbox_agent.mail.headers import Header
from inbox_agent.mail.promise import promised
from inbox_agent.store import SequenceState
from inbox_agent.tracker.decision import assess, bodies_needed
from inbox_agent.tracker.sequence import Context, Due, End, Start
from inbox_agent.tracker.start import start
from inbox_agent.tracker.threads import build_threads
from tests.infra.rows import sequence_row

ALICE, BOB = "alice@example.test", "bob@example.test"
USER = frozenset({ALICE})
MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CADENCE = Cadence(3, (Gap(3, "bd"), Gap(5, "bd"), Gap(7, "bd")))


@pytest.mark.parametrize(
    ("text", "by"),
    [
        ("Let me check and get back to you by Thursday.", date(2026, 11, 5)),
        ("I'll send it next week.", date(2026, 11, 13)),
        ("Hi Alice,\n\nGood question. I'll look into it and get back to you.\n\nBob", None),
        ("Will revert tomorrow.", date(2026, 11, 3)),
        ("We will have an answer for you by Friday.", date(2026, 11, 6)),
        ("Ich melde mich bis Freitag.", date(2026, 11, 6)),
        ("Je reviens vers vous demain.", date(2026, 11, 3)),
        ("Te lo envío mañana.", date(2026, 11, 3)),
        ("Ti faccio sapere domani.", date(2026, 11, 3)),
        ("Ik kom er morgen op terug.", date(2026, 11, 3)),
        ("Jag återkommer i morgon.", date(2026, 11, 3)),
    ],
)
def test_promises_in_the_languages_classify_reads(text: str, by: date | None) -> None:
    found = promised(text, MONDAY)
    assert found is not None, text
    assert found.quote in text and found.stated == (by is not None)
    # a promise that names no day is owed three business days on
    assert found.by == (by or date(2026, 11, 5))


def test_a_promise_is_read_in_the_promisers_own_time() -> None:
    """ "Tomorrow" written on a Thursday evening in California is their Friday, though it is
    already Friday in UTC."""
    pacific = timezone(timedelta(hours=-8))
    owed = promised("I'll get back to you tomorrow.", datetime(2026, 12, 3, 18, tzinfo=pacific))
    assert owed is not None and owed.by == date(2026, 12, 4)


@pytest.mark.parametrize(
    "text",
    [
        "Shall I send it?",
        "If you want, I'll send it.",
        "I'm sending it attached.",
        "I can't send it before January.",
        "We will not send it.",
        "Thanks, that works. See you then.",
        "I'll be there.",
        "The contract is signed.",
        "I will email you time and sales if you would like.",
        "I'll come down to check on you during lunch.",
        "",
    ],
)
def test_what_promises_nothing(text: str) -> None:
    assert promised(text, MONDAY) is None


def mail(mid: str, sender: str, to: str, at: datetime, parent: str = "") -> Header:
    refs = (parent,) if parent else ()
    return Header(mid, refs, refs, "Q3 contract", sender, "", (to,), (), (), at, "normal", "")


ASK = mail("<a@x>", ALICE, BOB, MONDAY)
PROMISE = mail("<p@x>", BOB, ALICE, MONDAY + timedelta(hours=2), "<a@x>")
PROMISED = BodyFacts(promise="2026-11-05", promise_quote="I'll get back to you by Thursday.")
LATER = datetime(2026, 11, 9, 12, tzinfo=UTC)
ASKED = BodyFacts(expects=Outcome.EXPECTS, expects_kind="ask", judged_by=JUDGED_BY)


LOOKBACK = Gap(14, "d")


def ctx_at(at: datetime, lookback: Gap = LOOKBACK, **facts: BodyFacts) -> Context:
    return Context(USER, at, CADENCE, lookback, facts={"<a@x>": ASKED, **facts})


def test_a_broken_promise_starts_a_sequence_on_their_message_after_the_day() -> None:
    [thread] = build_threads([ASK, PROMISE])
    before = start(thread, [], ctx_at(datetime(2026, 11, 5, 18, tzinfo=UTC), **{"<p@x>": PROMISED}))
    [begin] = before.actions
    assert isinstance(begin, Start) and begin.anchor_message_id == "<p@x>"
    assert begin.next_due_at == datetime(2026, 11, 6, 11, tzinfo=UTC)  # the business day after
    assert f'{BOB} promised: "I\'ll get back to you by Thursday."' in begin.reason
    later = start(thread, [], ctx_at(datetime(2026, 11, 6, 12, tzinfo=UTC), **{"<p@x>": PROMISED}))
    assert [type(a) for a in later.actions] == [Start, Due]
    # the sequence on the user's own ask, ended by their answer, does not stop the promise's
    ended = sequence_row(
        state=SequenceState.REPLIED, seen_ids=frozenset({"<a@x>", "<p@x>"}), reason="a reply"
    )
    assert [type(a) for a in start(thread, [ended], ctx_at(LATER, **_p())).actions] == [
        Start,
        Due,
    ]


def _p() -> dict[str, BodyFacts]:
    return {"<p@x>": PROMISED}


def test_a_promise_made_to_nobody_in_particular_or_on_a_list_starts_nothing() -> None:
    alone = mail("<p@x>", BOB, ALICE, MONDAY)  # not an answer to anything of hers
    assert start(build_threads([alone])[0], [], ctx_at(LATER, **_p())).actions == ()
    listed = replace(PROMISE, kind="list")
    assert start(build_threads([ASK, listed])[0], [], ctx_at(LATER, **_p())).actions == ()


@settings(max_examples=150, deadline=None)
@given(
    st.integers(1, 20 * 24),  # when the promise came, hours after the ask
    st.integers(1, 30 * 24),  # when they wrote again, hours after the promise
    st.booleans(),  # and whether alice thanked them in between
    st.integers(0, 40 * 24),  # now, hours after the ask
)
def test_a_promise_that_is_kept_starts_nothing(
    promise_at: int, kept_at: int, thanked: bool, now_at: int
) -> None:
    promise = mail("<p@x>", BOB, ALICE, MONDAY + timedelta(hours=promise_at), "<a@x>")
    thanks = mail("<t@x>", ALICE, BOB, promise.date + timedelta(minutes=5), "<p@x>")  # type: ignore[operator]
    kept = mail("<k@x>", BOB, ALICE, promise.date + timedelta(hours=kept_at), "<p@x>")  # type: ignore[operator]
    messages = [ASK, promise, *([thanks] if thanked else []), kept]
    facts = {
        "<p@x>": PROMISED,
        "<t@x>": BodyFacts(expects=Outcome.NO, expects_kind="thanks", judged_by=JUDGED_BY),
    }
    now = MONDAY + timedelta(hours=now_at)
    [thread] = build_threads([m for m in messages if m.date and m.date <= now] or [ASK])
    opening = start(thread, [], ctx_at(now, **facts))
    if kept.date and kept.date <= now:
        assert opening.actions == ()  # it came: nothing is owed, nothing starts
    # and a sequence the promise started ends the moment they write
    promised_seq = sequence_row(
        anchor_message_id="<p@x>",
        seen_ids=frozenset({"<a@x>", "<p@x>"}),
        next_due_at=MONDAY + timedelta(days=30),
    )
    [full] = build_threads(messages)
    found = assess(full, [promised_seq], ctx_at(MONDAY + timedelta(days=80), Gap(90, "d"), **facts))
    assert [a.state for a in found.actions if isinstance(a, End)] == [SequenceState.REPLIED]
    assert not any(isinstance(a, Due) for a in found.actions)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 60), st.integers(0, 23), st.integers(0, 20))
def test_a_broken_promise_is_never_followed_up_before_its_day_has_passed(
    days: int, hour: int, owed_in: int
) -> None:
    at = MONDAY + timedelta(days=days, hours=hour)
    ask = mail("<a@x>", ALICE, BOB, at - timedelta(hours=1))
    promise = mail("<p@x>", BOB, ALICE, at, "<a@x>")
    by = at.date() + timedelta(days=owed_in)
    facts = {"<p@x>": BodyFacts(promise=by.isoformat(), promise_quote="I'll send it.")}
    [thread] = build_threads([ask, promise])
    [begin, *_] = start(thread, [], ctx_at(at + timedelta(days=30), Gap(60, "d"), **facts)).actions
    assert isinstance(begin, Start)
    assert begin.next_due_at.date() > by and begin.next_due_at.weekday() < 5


def test_an_opt_out_before_anything_followed_ends_the_thread_and_blocks_the_next() -> None:
    stop = mail("<s@x>", BOB, ALICE, MONDAY + timedelta(hours=1), "<a@x>")
    facts = {"<s@x>": BodyFacts(opt_out="not interested")}
    [thread] = build_threads([ASK, stop])
    found = assess(thread, [], ctx_at(LATER, **facts))
    assert found.state == "opted_out" and "asked never to be followed up" in found.reason
    # once recorded (engine.bodies), a new question to them never starts
    new = mail("<n@x>", ALICE, BOB, LATER - timedelta(days=4))
    ctx = Context(
        USER,
        LATER,
        CADENCE,
        Gap(14, "d"),
        facts={"<n@x>": ASKED},
        opted_out=frozenset({BOB}),
    )
    again = assess(build_threads([new])[0], [], ctx)
    assert again.actions == () and again.state == "opted_out"


def test_bodies_needed_reads_bounces_first_and_what_people_answered_the_user() -> None:
    answers = [
        mail(f"<r{i}@x>", BOB, ALICE, MONDAY + timedelta(hours=i + 1), "<a@x>") for i in range(3)
    ]
    bounce = Header(
        "<dsn@x>",
        (),
        (),
        "Undelivered",
        "mailer-daemon@x",
        "",
        (ALICE,),
        (),
        (),
        MONDAY,
        "bounce",
        "",
    )
    stranger = mail("<z@x>", "carol@x", ALICE, MONDAY + timedelta(hours=9))  # not an answer
    threads = build_threads([ASK, *answers, bounce, stranger])
    # whole threads: the answers (three) wait for a reading with room for all of them
    wanted = bodies_needed(threads, [], ctx_at(LATER), limit=3)
    assert [h.message_id for h, _ in wanted] == ["<dsn@x>"]
    wanted = bodies_needed(threads, [], ctx_at(LATER), limit=4)
    assert [h.message_id for h, _ in wanted] == ["<dsn@x>", "<r0@x>", "<r1@x>", "<r2@x>"]
    every = {h.message_id for h, _ in bodies_needed(threads, [], ctx_at(LATER))}
    assert every == {"<dsn@x>", "<r0@x>", "<r1@x>", "<r2@x>"}


def test_an_answer_to_the_user_is_read_for_an_opt_out_or_a_promise() -> None:
    raw = (
        b"From: bob@example.test\r\nSubject: Re: Q3\r\nContent-Type: text/plain\r\n\r\n"
        b"Good question. Let me check and get back to you by Thursday.\r\n\r\n"
        b"On Mon, Alice wrote:\r\n> Can you sign it?\r\n"
    )
    facts = read(raw, "normal", MONDAY)
    assert facts.promise == "2026-11-05" and "get back to you" in facts.promise_quote
    stop = read(raw.replace(b"Good question.", b"Not interested, thanks."), "normal", MONDAY)
    assert stop.opt_out and not stop.promise  # an opt-out promises nothing
