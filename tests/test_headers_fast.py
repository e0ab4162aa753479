"""The header reader's fast paths make what its general ones make: a header block in the common
form (UTF-8, no NUL, no bare CR) read by one pattern gives the fields the line-by-line reader
gives, and a Date in the usual form read without the standard library's parser is the datetime
that parser makes of it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from inbox_agent.mail import headers
from inbox_agent.mail.headers import Fields

NAMES = st.sampled_from(
    ["Subject", "From", "to", "CC", "Message-ID", "X-Odd", " Lead", "Two Words", "", "Date "]
)
VALUES = st.text(st.sampled_from("ab :\t<>@.,=?\r\n\x00é"), max_size=12)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(NAMES, st.sampled_from([":", ": ", ""]), VALUES), max_size=8))
def test_one_pattern_reads_a_block_as_the_lines_do(lines: list[tuple[str, str, str]]) -> None:
    block = "".join(f"{name}{sep}{value}\r\n" for name, sep, value in lines).encode()
    fast, slow = Fields(block), Fields(block, by_lines=True)
    assert fast._data == slow._data
    assert fast.trouble == slow.trouble


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(datetime(1971, 1, 1), datetime(8999, 1, 1)),
    st.integers(-14 * 60, 14 * 60),
    st.booleans(),
)
def test_a_usual_date_is_read_as_the_standard_library_reads_it(
    when: datetime, minutes: int, weekday: bool
) -> None:
    zone = timezone(timedelta(minutes=minutes))
    text = format_datetime(when.replace(microsecond=0, tzinfo=zone))
    if not weekday:
        text = text.split(", ", 1)[1]
    got = headers._date(text, [])
    assert got == parsedate_to_datetime(text)
    assert got is not None and got.utcoffset() == parsedate_to_datetime(text).utcoffset()


def test_the_forms_it_does_not_read_go_to_the_standard_library() -> None:
    for text in (
        "Tue, 1 Apr 2025 19:15:33 -0000",
        "1 Apr 25 19:15 GMT",
        "31 Feb 2025 10:00:00 +0000",
    ):
        assert headers._usual_date(text) is None
    assert headers._date("Tue, 1 Apr 2025 19:15:33 -0000", []) == datetime(
        2025, 4, 1, 19, 15, 33, tzinfo=UTC
    )
