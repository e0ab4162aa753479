"""Links that real mail needs (`tracker.threads`): Notes- and phone-style chat on an empty or bare
"RE:" subject between the same two people, and one sender's messages in a row on one subject,
with no threading headers. Strangers who share a subject like "Hello", and group mail with an
empty subject, never merge; and the threads never depend on the order mail arrives in.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from inbox_agent.mail.headers import Header
from inbox_agent.tracker.threads import build_threads, normalize_subject

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ANN, BOB, CAROL, DAN = "ann@x.test", "bob@x.test", "carol@x.test", "dan@x.test"


def mail(
    mid: str, sender: str, to: tuple[str, ...], hours: float, subject: str, cc: tuple[str, ...] = ()
) -> Header:
    at = T0 + timedelta(hours=hours)
    return Header(mid, (), (), subject, sender, "", to, cc, (), at, "normal", "")


def threads_of(*messages: Header) -> set[tuple[str, ...]]:
    return {t.message_ids for t in build_threads(messages)}


def test_chat_on_a_bare_re_subject_between_two_people_is_one_thread() -> None:
    a = mail("<a@x>", ANN, (BOB,), 0, "")
    b = mail("<b@x>", BOB, (ANN,), 2, "RE:")
    c = mail("<c@x>", ANN, (BOB,), 30, "Re:")
    assert threads_of(a, b, c) == {("<a@x>", "<b@x>", "<c@x>")}


def test_a_bare_subject_never_links_three_people_or_other_pairs_or_a_week_apart() -> None:
    group = mail("<g@x>", ANN, (BOB, CAROL), 0, "")
    other = mail("<o@x>", CAROL, (ANN,), 1, "RE:")
    late = mail("<l@x>", BOB, (ANN,), 24 * 8, "RE:")
    first = mail("<f@x>", ANN, (BOB,), 0, "")
    assert len(threads_of(group, other, late, first)) == 4


def test_the_users_messages_in_a_row_on_one_subject_are_one_thread() -> None:
    a = mail("<a@x>", ANN, (BOB,), 0, "Q3 contract")
    b = mail("<b@x>", ANN, (BOB,), 26, "Q3 contract", cc=(CAROL,))
    assert threads_of(a, b) == {("<a@x>", "<b@x>")}


def test_strangers_who_share_a_subject_never_merge() -> None:
    a = mail("<a@x>", ANN, (BOB,), 0, "Hello")
    b = mail("<b@x>", ANN, (BOB,), 5, "Hello")  # too common to tell apart, even from one sender
    c = mail("<c@x>", CAROL, (DAN,), 1, "Q3 contract")
    d = mail("<d@x>", ANN, (DAN,), 2, "Q3 contract")  # other people, same subject
    assert len(threads_of(a, b, c, d)) == 4


@st.composite
def headerless_mail(draw: st.DrawFn) -> list[Header]:
    out = []
    for i in range(draw(st.integers(1, 10))):
        sender = draw(st.sampled_from([ANN, BOB, CAROL]))
        to = tuple(draw(st.sets(st.sampled_from([ANN, BOB, CAROL, DAN]), min_size=1, max_size=2)))
        subject = draw(
            st.sampled_from(["", "RE:", "Re: ", "Hello", "Q3 contract", "RE: Q3 contract"])
        )
        out.append(mail(f"<m{i}@x>", sender, to, draw(st.integers(0, 24 * 10)), subject))
    return out


@settings(max_examples=100, deadline=None)
@given(headerless_mail(), st.randoms())
def test_the_order_mail_arrives_in_never_changes_the_threads(
    messages: list[Header], rnd: object
) -> None:
    shuffled = list(messages)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert threads_of(*messages) == threads_of(*shuffled)
    # and an empty subject never joins mail among three people or more
    for thread in build_threads(messages):
        bare = [m for m in thread.messages if not normalize_subject(m.subject)]
        if len(thread.messages) > 1 and len(bare) == len(thread.messages):
            assert all(len({m.from_addr, *m.to} - {""}) == 2 for m in bare)


def test_an_exchange_address_with_repeated_dots_is_still_an_address() -> None:
    """Exchange wrote "m..presto@enron.com" for "Presto, Kevin M."; such a sender is a person."""
    from inbox_agent.mail import headers
    from inbox_agent.mail.addresses import normal_address

    assert normal_address("M..Presto@Enron.com") == "m..presto@enron.com"
    raw = b"Message-ID: <p@x>\r\nFrom: m..presto@enron.com\r\nTo: bob@x.test\r\nSubject: Q\r\n\r\nIs it done?\r\n"
    assert headers.parse(raw).from_addr == "m..presto@enron.com"
