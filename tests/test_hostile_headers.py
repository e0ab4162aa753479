"""Bad input costs that header, never the message (issue 13, bugs 1-5): the pure parts.

`headers.parse` never raises on bytes a mailbox can hold, and what it could not read it says
in `Header.trouble`; dates are in a sane range or the fallback; each header line is decoded on
its own; address lists keep every real address, in one normal form, through the store;
`compose.build` never raises on what came from the mailbox; a cadence gap never leaves the
calendar.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from email import message_from_bytes, policy

from hypothesis import given, settings
from hypothesis import strategies as st

from inbox_agent.cadence import Cadence, Gap
from inbox_agent.mail import compose, headers
from inbox_agent.mail.addresses import normal_address
from inbox_agent.store import Store

ARRIVED = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
_HOSTILE = st.sampled_from(["\r", "\n", "\x00", "\x80", "\x1f", "\t", "\r\n", "\x7f", "é", "€"])
_TEXT = st.lists(st.one_of(st.text(max_size=8), _HOSTILE), max_size=12).map("".join)
_BYTES_PIECE = st.one_of(
    st.binary(max_size=12),
    st.sampled_from([b"\r", b"\n", b"\x00", b"\xe9", b"\x80", b"=?utf-8?q?", b"?=", b"(", b")"]),
    st.sampled_from([b'"', b"<", b">", b"@", b",", b";", b":", b"\\", b"=?x-bogus?b?AA==?="]),
)
_VALUE = st.lists(_BYTES_PIECE, max_size=16).map(b"".join)
_NAMES = [f.title().encode() for f in headers.FIELDS]


def _block(pairs: list[tuple[bytes, bytes]]) -> bytes:
    lines = [b"Message-ID: <keep@example.test>", b"In-Reply-To: <anchor@example.test>"]
    lines += [name + b": " + value for name, value in pairs]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _sane(header: headers.Header) -> None:
    assert header.message_id == "<keep@example.test>"
    assert header.in_reply_to == ("<anchor@example.test>",)
    assert header.date is None or headers.EARLIEST <= header.date <= headers.LATEST
    for text in (header.subject, header.from_name, header.agent_id, *header.references):
        assert not re.search(r"[\x00-\x1f\x7f-\x9f]", text), text
    for address in (header.from_addr, *header.to, *header.cc, *header.reply_to):
        assert address == "" or normal_address(address) == address


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_NAMES), _VALUE), max_size=10))
def test_parse_never_raises_and_keeps_the_threading_headers(
    pairs: list[tuple[bytes, bytes]],
) -> None:
    _sane(headers.parse(_block(pairs), ARRIVED))


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(1900, 1, 1),
        max_value=datetime(9999, 12, 31),
        timezones=st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m))),
    )
)
def test_a_date_is_in_range_or_the_arrival_time(when: datetime) -> None:
    from email.utils import format_datetime

    header = headers.parse(_block([(b"Date", format_datetime(when).encode())]), ARRIVED)
    if headers.EARLIEST <= when <= headers.LATEST:
        assert header.date == when.replace(microsecond=0)
        assert header.trouble == ()
    else:
        assert header.date == ARRIVED
        assert header.trouble and header.trouble[0].startswith("Date: ")


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
    ),
    st.builds(Gap, st.integers(0, 400), st.sampled_from(["s", "m", "h", "d", "bd"])),
)
def test_a_gap_never_leaves_the_calendar(start: datetime, gap: Gap) -> None:
    end = gap.after(start)
    assert end >= start or end.year == 9999
    assert Cadence(2, (gap,)).due_after(5, start) == end


def test_a_message_dated_9999_is_given_its_arrival_time_and_said_so() -> None:
    header = headers.parse(_block([(b"Date", b"Fri, 31 Dec 9999 23:59:59 +0000")]), ARRIVED)
    assert header.date == ARRIVED
    assert header.trouble == (
        "Date: 9999-12-31T23:59:59+00:00 is out of range; using the arrival time",
    )
    assert Gap(14, "d").after(datetime(9999, 12, 24, tzinfo=UTC)).year == 9999


@settings(max_examples=200, deadline=None)
@given(
    mine=st.text(
        st.characters(min_codepoint=0x20, exclude_categories=("Cs",), exclude_characters="\x7f"),
        max_size=20,
    ),
    # a line end in another header could end the header block (a blank line): that is mail
    others=st.lists(_VALUE.map(lambda v: v.replace(b"\n", b" ")), max_size=4),
)
def test_a_utf8_header_reads_as_itself_whatever_the_others_hold(
    mine: str, others: list[bytes]
) -> None:
    block = _block([(b"X-Junk", v) for v in others] + [(b"Subject", mine.encode())])
    assert headers.parse(block).subject == headers.clean(mine).strip()


def test_one_latin1_header_leaves_the_utf8_subject_alone() -> None:
    block = _block([(b"Subject", "Grüße für dich".encode()), (b"X-Mailer", b"caf\xe9")])
    block += b"Cc: Ren\xe9 <rene@example.test>\r\n"
    header = headers.parse(block)
    assert header.subject == "Grüße für dich"
    header = headers.parse(
        _block([(b"Subject", b"caf\xe9 \x93ok\x94"), (b"From", b"Ren\xe9 <r@x.test>")])
    )
    assert header.subject == "café “ok”" and header.from_name == "René"
    assert header.trouble == (
        "Subject: not UTF-8; read as Windows-1252",
        "From: not UTF-8; read as Windows-1252",
    )


def test_nul_and_bare_cr_are_removed_and_said_once() -> None:
    header = headers.parse(_block([(b"Subject", b"a\x00b\rc\x80d")]))
    assert header.subject == "ab cd"
    assert len(header.trouble) == 2  # the stray 0x80 (Dovecot's NUL) and the NUL/CR


def test_one_bad_encoded_word_costs_only_itself() -> None:
    value = b"=?utf-8?q?caf=C3=A9?= =?x-nonesuch?q?zzz?= =?utf-8?q?_ok?="
    header = headers.parse(_block([(b"Subject", value)]))
    assert header.subject.startswith("café") and header.subject.endswith(" ok")
    assert "encoded words" in header.trouble[0]


def _nested(kind: str, depth: int) -> bytes:
    if kind == "comments":
        return b"(" * depth + b"x" + b")" * depth + b" bob@example.test"
    if kind == "groups":
        return b"g:" * depth + b"bob@example.test" + b";" * depth
    return b'"' + b"\\(" * depth + b'" <bob@example.test>'


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(["comments", "groups", "quoted"]), st.integers(1, 10_000))
def test_deep_address_nesting_costs_only_that_header(kind: str, depth: int) -> None:
    header = headers.parse(_block([(b"To", _nested(kind, depth)), (b"Subject", b"Re: hi")]))
    _sane(header)
    assert header.subject == "Re: hi"
    assert "bob@example.test" in header.to or header.trouble


def test_a_100kb_line_and_10000_references_are_read_in_bounded_form() -> None:
    refs = b" ".join(b"<r%d@example.test>" % i for i in range(10_000))
    block = _block(
        [(b"Subject", b"x" * 100_000), (b"References", refs), (b"To", b"a@b.test, " * 10_000)]
    )
    header = headers.parse(block)
    _sane(header)
    assert len(header.subject) == 2_000
    assert (
        header.references[0] == "<r0@example.test>"
        and header.references[-1] == "<r9999@example.test>"
    )
    assert len(header.references) == 500
    assert header.to == ("a@b.test",)


# -- addresses ---------------------------------------------------------------------------------
_LOCAL = st.one_of(
    st.from_regex(r"[a-z0-9!#$%&'*+/=?^_`{|}~-]{1,8}(\.[a-z0-9_-]{1,5}){0,2}", fullmatch=True),
    st.from_regex(r'"[a-z ,@<>()\[\]:;.]{1,10}"', fullmatch=True),
    st.from_regex(r"[a-zäöüß]{1,6}", fullmatch=True),
)
_DOMAIN = st.one_of(
    st.from_regex(r"[a-z0-9-]{1,8}\.(test|example|net)", fullmatch=True),
    st.sampled_from(["xn--mnchen-3ya.de", "münchen.test", "例子.测试", "[192.0.2.1]"]),
)
_ADDRESS = st.builds(lambda local, domain: f"{local}@{domain}", _LOCAL, _DOMAIN)


@settings(max_examples=200, deadline=None)
@given(st.lists(_ADDRESS, min_size=1, max_size=5, unique=True))
def test_address_lists_survive_parse_and_the_store(addresses: list[str]) -> None:
    value = ", ".join(f"Name {i} <{a}>" if i % 2 else a for i, a in enumerate(addresses))
    header = headers.parse(_block([(b"To", value.encode()), (b"Cc", value.encode())]))
    assert header.to == tuple(addresses) and header.cc == tuple(addresses)
    store = Store(":memory:")
    with store.tx():
        store.add_messages("main", "INBOX", 1, [(1, header, [], 0)])
    (stored,) = store.messages("main")
    assert stored.header.to == header.to and stored.header.cc == header.cc


def test_an_address_with_a_space_is_left_out_not_split() -> None:
    header = headers.parse(
        _block(
            [(b"To", b'<bob smith@example.net>, "carol x"@example.net, Dave <DAVE@Example.NET>')]
        )
    )
    assert header.to == ('"carol x"@example.net', "dave@example.net")
    assert header.trouble == ("To: 'bob smith@example.net' is not an address; left out",)


# -- compose -----------------------------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(subject=_TEXT, name=_TEXT, mid=_TEXT, to=st.lists(st.one_of(_ADDRESS, _TEXT), max_size=3))
def test_compose_never_raises_on_what_came_from_the_mailbox(
    subject: str, name: str, mid: str, to: list[str]
) -> None:
    anchor = headers.Header(
        "<anchor@example.test>", (), (f"<{mid}>", "<root@example.test>"), subject, "me@example.test",
        name, tuple(to), ("\rcc@exa\nmple.test",), (), ARRIVED, "normal", "",
    )  # fmt: skip
    msg = compose.build(
        anchor=anchor,
        user=frozenset({"me@example.test"}),
        from_addr="me@example.test",
        from_name=name,
        body="Any news?",
        when=ARRIVED,
        agent_id="abc",
    )
    back = message_from_bytes(msg.as_bytes(policy=policy.SMTP), policy=policy.compat32)
    assert back["In-Reply-To"] == "<anchor@example.test>"
    assert "<root@example.test>" in back["References"]
    assert str(back["Subject"]).startswith("Re:")
    written = re.sub(r"\r?\n[ \t]", " ", str(back.get("To", "")))
    for address in to:
        if (normal := normal_address(address)) is not None and normal.isascii():
            assert normal in written
