"""`copies.identify`, the one decision on which message in Drafts is the nudge, on the in-memory
mailbox: every rule of the evidence table, one case each, and the pure recipient check as a
property. Real clients against Dovecot: tests/test_real_clients.py."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from inbox_agent import clock, config, paths
from inbox_agent.cadence import add_business_days
from inbox_agent.engine import Engine
from inbox_agent.engine.copies import Copy, changes, identify
from inbox_agent.store import DraftRow, Store
from inbox_agent.sync.memory import MemoryMailbox
from tests.test_engine_memory import ALICE, BOB, _mail


def _world(agent_home: Path, later: int = 4) -> tuple[Engine, MemoryMailbox, DraftRow]:
    """Alice's ask to Bob, and its nudge queued for approval `later` business days on."""
    mailbox = MemoryMailbox()
    mailbox.create_folder("Sent", "\\Sent")
    mailbox.create_folder("Drafts", "\\Drafts")
    path = paths.accounts_dir() / "main.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'email = "{ALICE}"\ndisplay_name = "Alice Example"\n\n'
        '[imap]\nhost = "127.0.0.1"\nsecurity = "none"\n\n'
        '[smtp]\nhost = "127.0.0.1"\nsecurity = "none"\n\n[autonomy]\ndefault = "copilot"\n'
    )
    settings = config.load_settings()
    engine = Engine(
        config.load_account(path, settings),
        settings,
        Store(paths.database_file()),
        opener=lambda _account: nullcontext(mailbox),
    )
    now = datetime.now(UTC).replace(microsecond=0)
    clock.set_now(now)
    engine.tick()
    mailbox.deliver("Sent", _mail("ask", ALICE, BOB, "Contract", now), ["\\Seen"], now)
    engine.tick()
    clock.set_now(add_business_days(now, later))
    engine.tick()
    [draft] = engine.queue()
    return engine, mailbox, draft


def _ours(mailbox: MemoryMailbox, draft: DraftRow) -> Message:
    assert draft.uid is not None
    found = mailbox.fetch_raw("Drafts", draft.uid)
    assert found is not None
    return message_from_bytes(found.data)


def _as_alpine(msg: Message, mid: str, extra: str = "") -> bytes:
    """What alpine postpones: a new Message-ID, none of our header, (no \\Draft flag)."""
    copy = message_from_bytes(msg.as_bytes())
    for name in ("Message-ID", "X-Inbox-Agent-Id"):
        del copy[name]
    copy["Message-ID"] = f"<{mid}@example.test>"
    body = copy.get_payload(decode=True)
    assert isinstance(body, bytes)
    copy.set_payload(body.decode() + extra)
    return copy.as_bytes()


def test_ours_then_deleted_then_replaced_then_unsure(agent_home: Path) -> None:
    engine, mailbox, draft = _world(agent_home)
    ctx, now = engine.ctx, clock.now()
    assert identify(ctx, mailbox, draft).state == "ours"
    original = _ours(mailbox, draft)
    assert draft.uid is not None
    mailbox.set_flags("Drafts", draft.uid, {"\\Draft", "\\Deleted"})
    deleted = identify(ctx, mailbox, draft)
    assert deleted.state == "deleted" and deleted.tidy == (draft.uid,)

    edit = mailbox.deliver("Drafts", _as_alpine(original, "edit", "\nBy me.\n"), [], now)
    found = identify(ctx, mailbox, draft)
    assert found.state == "edited" and found.copy is not None and found.copy.uid == edit
    assert set(found.tidy) == {draft.uid, edit}  # both leave Drafts after the send

    second = mailbox.deliver("Drafts", _as_alpine(original, "again", "\nOr me.\n"), [], now)
    unsure = identify(ctx, mailbox, draft)
    assert unsure.state == "unsure" and f"UID {edit}" in unsure.reason
    assert f"UID {second}" in unsure.reason


def test_a_reply_of_the_users_own_is_never_taken_for_the_nudge(agent_home: Path) -> None:
    engine, mailbox, draft = _world(agent_home)
    own = _mail(
        "own",
        ALICE,
        BOB,
        "Re: Contract",
        clock.now(),
        "In-Reply-To: <ask@example.test>\r\n",
    ).replace(b"Could you send me the signed contract?", b"Lunch on Thursday?")
    assert draft.uid is not None
    mailbox.expunge("Drafts", draft.uid)
    mailbox.deliver("Drafts", own.replace(b"Hi Bob", b"Yo"), ["\\Draft"], clock.now())
    found = identify(engine.ctx, mailbox, draft)
    assert (
        found.state == "unsure" and found.copy is None and "not this nudge's text" in found.reason
    )


def test_a_copy_that_predates_the_draft_or_is_another_drafts_is_not_it(agent_home: Path) -> None:
    engine, mailbox, draft = _world(agent_home)
    original = _ours(mailbox, draft)
    early = clock.now() - timedelta(days=2)
    assert draft.uid is not None
    mailbox.expunge("Drafts", draft.uid)
    mailbox.renumber("Drafts")  # a new UIDVALIDITY: only the arrival time can tell
    mailbox.deliver("Drafts", _as_alpine(original, "older", "\nOld.\n"), [], early)
    assert identify(engine.ctx, mailbox, draft).state == "open"


def test_a_missing_draft_is_open_for_a_day_then_gone(agent_home: Path) -> None:
    engine, mailbox, draft = _world(agent_home)
    assert draft.uid is not None
    mailbox.expunge("Drafts", draft.uid)
    first = identify(engine.ctx, mailbox, draft, record=True)
    assert first.state == "open" and "reject" in first.reason
    clock.advance(timedelta(hours=23))
    assert identify(engine.ctx, mailbox, draft, record=True).since == first.since
    clock.advance(timedelta(hours=2))
    assert identify(engine.ctx, mailbox, draft).state == "gone"


_ADDRESS = st.from_regex(r"[a-z]{1,8}@[a-z]{1,8}\.(net|org)", fullmatch=True)


@given(st.lists(_ADDRESS, min_size=1, max_size=4, unique=True), _ADDRESS)
def test_changes_names_exactly_an_added_recipient(ours: list[str], new: str) -> None:
    draft = DraftRow(
        1, "main", 1, 1, "<n@x>", "a", "Drafts", 1, 1, "Re: Contract", "", "", tuple(ours),
        "copilot", "offline", False, "queued", datetime.now(UTC), datetime.now(UTC),
    )  # fmt: skip
    same = f"To: {', '.join(ours)}\r\nSubject: RE:  contract\r\n\r\nx\r\n".encode()
    assert changes(Copy(1, same, ()), draft) == ""
    added = f"To: {', '.join(ours)}\r\nBcc: {new}\r\nSubject: Re: Contract\r\n\r\nx\r\n".encode()
    said = changes(Copy(2, added, ()), draft)
    assert (new in said and "(Bcc)" in said) == (new not in ours)
    assert (said == "") == (new in ours)
