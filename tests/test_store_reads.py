"""The store's narrow reads that stand in for a walk of every row: the newest messages the user
sent (dates stored as written, each in its own offset) and the display names people use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from inbox_agent.mail.headers import Header
from inbox_agent.store import Store

T0 = datetime(2026, 3, 1, tzinfo=UTC)
ME, ALIAS, OTHER = "me@x", "me.too@x", "bob@x"


def _header(i: int, sender: str, when: datetime | None, name: str = "") -> Header:
    return Header(
        f"<m{i}@x>", (), (), "Subject", sender, name, ("z@x",), (), (), when, "normal", ""
    )


@st.composite
def sent_rows(draw: st.DrawFn) -> list[tuple[str, Header, list[str]]]:
    rows = []
    for i in range(draw(st.integers(0, 40))):
        # local times an hour to a few days apart, in offsets from -23:59 to +23:59: the text
        # of the dates is out of time order wherever offsets differ
        when = T0 + timedelta(minutes=draw(st.integers(0, 6 * 24 * 60)))
        offset = timedelta(minutes=draw(st.integers(-(24 * 60 - 1), 24 * 60 - 1)))
        dated = when.astimezone(timezone(offset)) if draw(st.integers(0, 9)) else None
        sender = draw(st.sampled_from([ME, ME, ALIAS, OTHER]))
        folder = draw(st.sampled_from(["Sent", "Sent", "Sent", "INBOX"]))
        flags = ["\\Draft"] if draw(st.integers(0, 7)) == 0 else []
        rows.append((folder, _header(i, sender, dated), flags))
    return rows


@settings(max_examples=150, deadline=None)
@given(rows=sent_rows(), limit=st.integers(1, 45))
def test_newest_sent_is_the_newest_in_time_whatever_the_offsets(
    rows: list[tuple[str, Header, list[str]]], limit: int
) -> None:
    store = Store(":memory:")
    with store.tx():
        for uid, (folder, header, flags) in enumerate(rows, 1):
            store.add_messages("main", folder, 1, [(uid, header, flags, 1)])
    ours = [
        (uid, h)
        for uid, (folder, h, flags) in enumerate(rows, 1)
        if folder == "Sent" and h.from_addr in (ME, ALIAS) and not flags
    ]
    oldest = datetime.min.replace(tzinfo=UTC)
    # rows were stored in uid order: a later row wins a tie, as the store's row id does
    expected = sorted(ours, key=lambda u: (u[1].date or oldest, u[0]), reverse=True)[:limit]
    found = store.newest_sent("main", "Sent", {ME, ALIAS}, limit)
    assert [m.header.message_id for m in found] == [h.message_id for _u, h in expected]


def test_the_newest_display_name_wins_and_a_message_without_one_keeps_it() -> None:
    store = Store(":memory:")
    day = timedelta(days=1)
    with store.tx():
        store.add_messages(
            "main",
            "INBOX",
            1,
            [
                (1, _header(1, OTHER, T0, "Robert Jones"), [], 1),
                (2, _header(2, OTHER, T0 + 2 * day, "Bob Jones"), [], 1),
                (3, _header(3, OTHER, T0 + 3 * day, ""), [], 1),
                (4, _header(4, "carol@x", T0, ""), [], 1),
            ],
        )
    assert store.display_names("main", [OTHER, "carol@x", "nobody@x"]) == {OTHER: "Bob Jones"}
    assert store.display_name("main", "BOB@x") == "Bob Jones"
    assert store.display_name("main", "carol@x") == ""
