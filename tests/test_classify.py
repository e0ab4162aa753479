"""Reading inbound bodies: out-of-office return dates, opt-outs, bounces, no-answer-expected;
and the parsers never raise on real or mangled mail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from inbox_agent.mail import expects, headers, subject
from inbox_agent.mail.classify import READ_BY, BodyFacts, read
from inbox_agent.mail.compose import reply_subject
from inbox_agent.tracker.threads import build_threads, normalize_subject

SENT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)  # a Friday
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "enron"


def msg(body: str, subject: str = "Re: Q3", extra: str = "") -> bytes:
    return f"From: bob@x.test\r\nSubject: {subject}\r\n{extra}Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n".encode()


@pytest.mark.parametrize(
    ("body", "day"),
    [
        ("I am out of the office until Monday, November 30, with limited access to email.", 30),
        ("I'm on vacation and will be back on December 2nd.", 2),
        ("Ich bin bis zum 3. Dezember nicht im Büro.", 3),
        ("Je suis absent du bureau jusqu'au 1 décembre 2026.", 1),
        ("Estoy fuera de la oficina hasta el 27 de noviembre.", 27),
    ],
)
def test_out_of_office_return_dates(body: str, day: int) -> None:
    facts = read(
        msg(body, "Automatic reply: Q3", "Auto-Submitted: auto-replied\r\n"), "auto_reply", SENT
    )
    assert facts.out_of_office and facts.return_at is not None
    assert datetime.fromisoformat(facts.return_at).day == day


def test_an_out_of_office_return_date_is_the_writers_own_day() -> None:
    """Back "Monday, November 30" from California is their Monday: midnight there, 08:00 UTC."""
    pacific = timezone(timedelta(hours=-8))
    sent = datetime(2026, 11, 27, 17, 0, tzinfo=pacific)
    body = "I am out of the office until Monday, November 30, with limited access to email."
    facts = read(
        msg(body, "Automatic reply: Q3", "Auto-Submitted: auto-replied\r\n"), "auto_reply", sent
    )
    assert facts.return_at is not None
    assert datetime.fromisoformat(facts.return_at) == datetime(2026, 11, 30, tzinfo=pacific)


def test_out_of_office_without_a_date_or_too_far_out() -> None:
    assert (
        read(
            msg("I am out of the office with limited access to email."), "auto_reply", SENT
        ).return_at
        is None
    )
    far = read(msg("I am on parental leave until June 2027."), "auto_reply", SENT)
    assert (
        far.out_of_office and far.return_at is None
    )  # more than 30 days: one cadence step instead


def test_out_of_office_text_without_headers_is_still_an_auto_reply() -> None:
    assert read(
        msg("Thank you for your message. I am out of the office until Monday."), "normal", SENT
    ).out_of_office


@pytest.mark.parametrize(
    "body",
    [
        "Not interested, thanks.",
        "Please stop emailing me.",
        "Kein Interesse.",
        "Merci, pas intéressé.",
        "Please remove me from this list",
    ],
)
def test_opt_outs(body: str) -> None:
    assert read(msg(body), "normal", SENT).opt_out


def test_a_normal_answer_is_no_opt_out() -> None:
    assert (
        read(msg("Sounds good, I am interested. Let's talk Monday."), "normal", SENT).opt_out == ""
    )


def test_quoted_opt_out_text_does_not_count() -> None:
    body = "Sure, Thursday works.\r\n\r\nOn Mon, Alice wrote:\r\n> If you are not interested, just say so."
    assert read(msg(body), "normal", SENT).opt_out == ""


DSN = (
    "From: Mail Delivery System <MAILER-DAEMON@mx.x.test>\r\nSubject: Undelivered Mail Returned to Sender\r\n"
    'MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
    "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
    "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.x.test\r\n\r\n"
    "Final-Recipient: rfc822; nobody@x.test\r\nAction: failed\r\nStatus: {status}\r\n"
    "--B\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: alice@example.test\r\nMessage-ID: <orig@example.test>\r\n"
    "Subject: Q3\r\n--B--\r\n"
)


def test_hard_and_soft_bounces_name_the_message_that_bounced() -> None:
    raw = DSN.format(status="5.1.1").encode()
    assert headers.parse(raw).kind == "bounce"
    hard = read(raw, "bounce", SENT)
    assert (
        hard.hard_bounce
        and hard.bounce_status == "5.1.1"
        and hard.bounced_message_id == "<orig@example.test>"
    )
    soft = read(DSN.format(status="4.2.2").encode(), "bounce", SENT)
    assert soft.bounce_status == "4.2.2" and not soft.hard_bounce


@pytest.mark.parametrize(
    ("subject", "body", "outcome", "reason"),
    [
        ("Re: Q3", "Thanks!", "no", 'thanks: "Thanks!"'),
        ("Accepted: Weekly sync", "", "no", "a calendar response"),
        ("Fwd: the report", "See below.", "no", 'a forward, no ask in your note: "See below."'),
        ("RV: el informe", "Abajo.", "no", 'a forward, no ask in your note: "Abajo."'),
        ("FYI: new policy", "Just so you know.", "no", 'an FYI: "Just so you know."'),
        ("Re: Q3", "Thanks! Can you also send the numbers?", "expects", 'asks: "Can you also'),
        ("Q3", "Hi Ann,\n\nPlease send me the Q3 numbers.\n\nThanks,\nBob", "expects", "asks"),
    ],
)
def test_what_the_users_own_message_expects(
    subject: str, body: str, outcome: str, reason: str
) -> None:
    facts = read(msg(body, subject), "normal", SENT, subject, from_user=True)
    assert facts.verdict is not None and facts.judged_by == expects.JUDGED_BY
    assert facts.expects == outcome and facts.verdict.reason.startswith(reason)


def test_facts_of_the_first_version_read_as_a_verdict_to_judge_again() -> None:
    old = BodyFacts.from_json({"no_answer_expected": "a thank-you"})
    assert old.verdict is not None and old.verdict.outcome == expects.Outcome.NO
    assert old.judged_by < expects.JUDGED_BY


def test_their_facts_carry_the_version_of_the_rules_that_read_them() -> None:
    """A person's message to the user is read again when the rules that read it change (an
    opt-out or a promise the old rules missed); facts stored before versions read as oldest."""
    for body in ("Not interested, thanks.", "Sounds good.", "Let me check and get back to you"):
        assert read(msg(body), "normal", SENT).read_by == READ_BY
    assert read(msg("x"), "bounce", SENT).read_by == READ_BY
    assert read(msg("Thanks"), "normal", SENT, from_user=True).read_by == 0
    assert BodyFacts.from_json({"opt_out": "not interested"}).read_by < READ_BY


def test_subject_normalisation() -> None:
    assert (
        normalize_subject("RE: Fwd: AW: [2] Budget") == "[2] budget"
        or normalize_subject("RE: Fwd: AW: Budget") == "budget"
    )
    assert normalize_subject("Re[2]: Budget") == "budget"
    assert normalize_subject("回复: 预算") == "预算"
    assert normalize_subject("SV: Antw: WG: Budget  plan") == "budget plan"


REPLY_WORDS = ["Re", "RE", "AW", "SV", "Vs", "Antw", "Antwort", "R", "Ref", "回复", "答复"]
FORWARD_WORDS = ["Fwd", "FW", "WG", "TR", "RV", "转发"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(REPLY_WORDS + FORWARD_WORDS),
            st.sampled_from(["", "[2]", "(3)"]),
            st.sampled_from([":", "：", " :"]),
        ),
        min_size=1,
        max_size=3,
    ),
    st.text(st.characters(codec="utf-8", exclude_categories=["C"]), min_size=1, max_size=30),
)
def test_one_prefix_rule_for_threading_replies_and_forwards(
    prefixes: list[tuple[str, str, str]], base: str
) -> None:
    assume(base.strip() and not subject.has_prefix(base))
    chain = "".join(f"{word}{count}{colon} " for word, count, colon in prefixes)
    assert subject.has_prefix(chain + base)
    assert normalize_subject(chain + base) == normalize_subject(base)
    assert reply_subject(chain + base) == f"Re: {base.strip()}"  # what the thread index strips
    assert subject.is_forward(chain + base) == (prefixes[0][0] in FORWARD_WORDS)


def h(
    mid: str, sender: str, to: str, subject: str, days: float, refs: tuple[str, ...] = ()
) -> headers.Header:
    return headers.Header(
        mid,
        refs,
        refs,
        subject,
        sender,
        "",
        (to,),
        (),
        (),
        SENT + timedelta(days=days),
        "normal",
        "",
    )


def test_headerless_replies_join_by_subject_people_and_time() -> None:
    a = h("<a@x>", "alice@x.test", "bob@x.test", "Budget", 0)
    b = h("<b@x>", "bob@x.test", "alice@x.test", "RE: Budget", 1)
    assert len(build_threads([a, b])) == 1
    stranger = h("<c@x>", "carol@x.test", "dave@x.test", "RE: Budget", 1)
    late = h("<d@x>", "bob@x.test", "alice@x.test", "RE: Budget", 90)
    assert len(build_threads([a, stranger, late])) == 3


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["alice", "bob", "carol", "dave"]),
            st.sampled_from(["alice", "bob", "carol", "dave"]),
            st.sampled_from(["Hello", "Re: Hello", "Question", "RE: Question"]),
            st.integers(0, 60),
        ),
        min_size=1,
        max_size=10,
    ),
    st.randoms(),
)
def test_generic_subjects_never_merge_strangers_and_order_does_not_matter(
    rows: list[tuple[str, str, str, int]], rnd: object
) -> None:
    msgs = [
        h(f"<m{i}@x>", f"{a}@x.test", f"{b}@x.test", s, d) for i, (a, b, s, d) in enumerate(rows)
    ]
    threads = build_threads(msgs)
    for thread in threads:
        if len(thread.messages) > 1:
            assert len({normalize_subject(m.subject) for m in thread.messages}) == 1
            for m in thread.messages[
                1:
            ]:  # every later member shares a person with some earlier one
                others = {p for o in thread.messages if o is not m for p in (o.from_addr, *o.to)}
                assert {m.from_addr, *m.to} & others
    shuffled = list(msgs)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert {t.message_ids for t in build_threads(shuffled)} == {t.message_ids for t in threads}


# -- parsers never raise ---------------------------------------------------------------------------


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared/corpus is not beside the repository")
def test_every_enron_message_parses() -> None:
    count = 0
    for path in CORPUS.rglob("*"):
        if path.is_file():
            raw = path.read_bytes()
            header = headers.parse(raw)
            assert header.message_id
            # bodies go through the slower full parser: a tenth keeps the suite fast
            if count % 10 == 0:
                read(
                    raw, header.kind, header.date or SENT, header.subject, from_user=count % 20 == 0
                )
            count += 1
    assert count > 10000


junk = st.binary(min_size=0, max_size=200)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "Message-ID",
                "From",
                "To",
                "Cc",
                "Subject",
                "Date",
                "References",
                "In-Reply-To",
                "Content-Type",
                "Auto-Submitted",
            ]
        ),
        max_size=12,
    ),
    st.lists(junk, max_size=12),
    st.booleans(),
)
def test_mangled_headers_cost_at_most_that_message(
    names: list[str], values: list[bytes], huge: bool
) -> None:
    lines = b"".join(
        n.encode() + b": " + v.replace(b"\r", b"").replace(b"\n", b" ") + b"\r\n"
        for n, v in zip(names, values, strict=False)
    )
    if huge:
        lines += b"X-Filler: " + b"a" * 1_000_000 + b"\r\n"
    header = headers.parse(lines + b"\r\nbody")
    assert header.message_id.startswith("<")
    read(lines + b"\r\nbody", header.kind, SENT)
