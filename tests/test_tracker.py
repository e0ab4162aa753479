"""Threading and the awaiting-a-reply judgement: examples and the promises as properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from inbox_agent.cadence import Cadence, Gap
from inbox_agent.mail.headers import Header, parse
from inbox_agent.tracker.start import judge
from inbox_agent.tracker.threads import build_threads

USER = frozenset({"alice@example.test"})
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
GAP = Cadence(3, (Gap(3, "bd"),))  # the first gap is what judge reads


def mail(
    mid: str,
    sender: str,
    to: str,
    at: datetime,
    parent: str | None = None,
    kind: str = "normal",
    subject: str = "Q3 contract",
) -> Header:
    refs = (parent,) if parent else ()
    return Header(mid, refs, refs, subject, sender, "", (to,), (), (), at, kind, "")


def test_reply_chain_is_one_thread_and_order_does_not_matter() -> None:
    a = mail("<a@x>", "alice@example.test", "bob@example.test", T0)
    b = mail("<b@x>", "bob@example.test", "alice@example.test", T0 + timedelta(hours=1), "<a@x>")
    c = mail("<c@x>", "alice@example.test", "bob@example.test", T0 + timedelta(hours=2), "<b@x>")
    for order in ([a, b, c], [c, b, a], [b, c, a]):
        threads = build_threads(order)
        assert len(threads) == 1
        assert threads[0].message_ids == ("<a@x>", "<b@x>", "<c@x>")
        assert threads[0].key == "<a@x>"


def test_missing_parent_still_joins_siblings() -> None:
    # both replies name a parent we never saw: they belong together
    b = mail("<b@x>", "bob@example.test", "alice@example.test", T0, "<lost@x>")
    c = mail("<c@x>", "carol@example.test", "alice@example.test", T0, "<lost@x>")
    assert len(build_threads([b, c])) == 1


def test_awaiting_only_after_the_first_gap() -> None:
    thread = build_threads([mail("<a@x>", "alice@example.test", "bob@example.test", T0)])[0]
    assert not judge(thread, USER, T0 + timedelta(days=2), GAP).awaiting
    verdict = judge(
        thread, USER, T0 + timedelta(days=3), GAP
    )  # Thursday: three business days later
    assert verdict.awaiting and "bob@example.test" in verdict.reason


def test_weekend_does_not_count() -> None:
    friday = datetime(2026, 11, 6, 17, 0, tzinfo=UTC)
    thread = build_threads([mail("<a@x>", "alice@example.test", "bob@example.test", friday)])[0]
    assert not judge(thread, USER, friday + timedelta(days=3), GAP).awaiting  # Monday
    assert judge(thread, USER, friday + timedelta(days=5), GAP).awaiting  # Wednesday


def test_auto_reply_is_not_the_last_word_but_a_reply_is() -> None:
    a = mail("<a@x>", "alice@example.test", "bob@example.test", T0)
    ooo = mail(
        "<o@x>",
        "bob@example.test",
        "alice@example.test",
        T0 + timedelta(minutes=1),
        "<a@x>",
        kind="auto_reply",
    )
    later = T0 + timedelta(days=10)
    assert judge(build_threads([a, ooo])[0], USER, later, GAP).awaiting
    reply = mail("<r@x>", "bob@example.test", "alice@example.test", T0 + timedelta(days=1), "<a@x>")
    assert not judge(build_threads([a, ooo, reply])[0], USER, later, GAP).awaiting


def test_mail_to_yourself_and_to_noreply_is_not_awaiting() -> None:
    later = T0 + timedelta(days=10)
    own = build_threads([mail("<a@x>", "alice@example.test", "alice@example.test", T0)])[0]
    assert not judge(own, USER, later, GAP).candidate
    noreply = build_threads([mail("<b@x>", "alice@example.test", "no-reply@shop.test", T0)])[0]
    assert not judge(noreply, USER, later, GAP).candidate


def test_header_parsing_survives_junk() -> None:
    header = parse(
        b"From: =?utf-8?q?broken\r\nSubject: \xff\xfe odd\r\nReferences: <a@x> junk <b@x>\r\n\r\n"
    )
    assert header.message_id.startswith("<synthetic-")
    assert header.references == ("<a@x>", "<b@x>")
    assert header.date is None


def test_header_parsing_reads_the_fields_we_use() -> None:
    raw = (
        b'Message-ID: <m1@example.test>\r\nFrom: "Stone, Bob" <Bob@Example.test>\r\n'
        b"To: alice@example.test\r\nCc: Carol <carol@example.test>\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n"
        b"Date: Mon, 02 Nov 2026 09:00:00 +0100\r\nAuto-Submitted: auto-replied\r\n\r\n"
    )
    h = parse(raw)
    assert (h.message_id, h.from_addr, h.from_name) == (
        "<m1@example.test>",
        "bob@example.test",
        "Stone, Bob",
    )
    assert h.cc == ("carol@example.test",) and h.subject == "Grüße" and h.kind == "auto_reply"
    assert h.date == datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


# -- properties ------------------------------------------------------------------------------------

PEOPLE = ["alice@example.test", "bob@example.test", "carol@example.test"]


@st.composite
def mailboxes(draw: st.DrawFn) -> list[Header]:
    count = draw(st.integers(1, 12))
    out: list[Header] = []
    for i in range(count):
        parent = (
            draw(st.one_of(st.none(), st.sampled_from([m.message_id for m in out])))
            if out
            else None
        )
        sender = draw(st.sampled_from(PEOPLE))
        to = draw(st.sampled_from([p for p in PEOPLE if p != sender]))
        kind = draw(st.sampled_from(["normal", "normal", "normal", "auto_reply"]))
        out.append(mail(f"<m{i}@x>", sender, to, T0 + timedelta(hours=i), parent, kind))
    return out


@settings(max_examples=200, deadline=None)
@given(mailboxes(), st.randoms())
def test_sync_order_never_changes_threads(messages: list[Header], rnd: object) -> None:
    shuffled = list(messages)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert {t.message_ids for t in build_threads(messages)} == {
        t.message_ids for t in build_threads(shuffled)
    }


@settings(max_examples=200, deadline=None)
@given(mailboxes(), st.integers(0, 30))
def test_an_inbound_reply_after_the_last_outbound_ends_waiting(
    messages: list[Header], days: int
) -> None:
    now = T0 + timedelta(days=days)
    for thread in build_threads(messages):
        humans = [m for m in thread.messages if m.kind == "normal"]
        if humans and humans[-1].from_addr not in USER:
            assert not judge(thread, USER, now, GAP).awaiting


@settings(max_examples=200, deadline=None)
@given(mailboxes())
def test_every_message_lands_in_exactly_one_thread(messages: list[Header]) -> None:
    ids = [mid for t in build_threads(messages) for mid in t.message_ids]
    assert sorted(ids) == sorted({m.message_id for m in messages})
