"""The engine on the in-memory mailbox: the spine (baseline, a quiet question, a threaded nudge in
Drafts, a reply that ends it and withdraws the draft) with no server at all, through the same
`Mailbox` interface the IMAP servers implement."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.utils import format_datetime
from pathlib import Path

import pytest

from inbox_agent import clock, config, paths
from inbox_agent.cadence import add_business_days
from inbox_agent.engine import Engine
from inbox_agent.store import SequenceState, Store
from inbox_agent.sync.memory import MemoryMailbox

ALICE, BOB = "alice@example.test", "bob@example.test"


def _mail(mid: str, sender: str, to: str, subject: str, when: datetime, extra: str = "") -> bytes:
    return (
        f"Message-ID: <{mid}@example.test>\r\nFrom: {sender}\r\nTo: {to}\r\n"
        f"Subject: {subject}\r\nDate: {format_datetime(when)}\r\n{extra}"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "Hi Bob,\r\n\r\nCould you send me the signed contract?\r\n\r\nThanks,\r\nAlice\r\n"
    ).encode()


def _engine(mailbox: MemoryMailbox) -> Engine:
    path = paths.accounts_dir() / "main.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'email = "{ALICE}"\ndisplay_name = "Alice Example"\n\n'
        '[imap]\nhost = "127.0.0.1"\nsecurity = "none"\n\n'
        '[smtp]\nhost = "127.0.0.1"\nsecurity = "none"\n\n[autonomy]\ndefault = "manual"\n'
    )
    settings = config.load_settings()
    return Engine(
        config.load_account(path, settings),
        settings,
        Store(paths.database_file()),
        opener=lambda _account: nullcontext(mailbox),
    )


@pytest.mark.parametrize("weekday", range(7))
def test_the_spine_runs_on_the_memory_mailbox(agent_home: Path, weekday: int) -> None:
    """On whichever day of the week the ask is sent (a test once failed only on Fridays)."""
    mailbox = MemoryMailbox()
    mailbox.create_folder("Sent", "\\Sent")
    mailbox.create_folder("Drafts", "\\Drafts")
    today = datetime.now(UTC).replace(microsecond=0)
    now = today - timedelta(days=(today.weekday() - weekday) % 7)
    old = now - timedelta(days=40)
    mailbox.deliver("Sent", _mail("old", ALICE, BOB, "Old question", old), ["\\Seen"], old)
    engine = _engine(mailbox)
    clock.set_now(now)
    first = engine.tick()  # the first run is a baseline: history is never nudged
    assert mailbox.uids("Drafts") == []
    # each step timed for the log line, which names only those of a second or more
    assert list(first.steps) == [
        "recovery",
        "sync",
        "threading and bodies",
        "planning and drafting",
        "sending",
    ]
    first.steps = {"sync": 2.5, "threading and bodies": 1.0, "sending": 0.1}
    assert first.timed() == " (sync 2.50 s, threading and bodies 1.00 s)"
    first.steps = {"sync": 0.2}
    assert first.timed() == ""

    mailbox.deliver("Sent", _mail("ask", ALICE, BOB, "Contract", now), ["\\Seen"], now)
    engine.tick()
    [seq] = [s for s in engine.sequences() if s.anchor_message_id == "<ask@example.test>"]
    assert seq.state == SequenceState.WAITING

    clock.set_now(add_business_days(now, 4))
    engine.tick()
    [draft_uid] = mailbox.uids("Drafts")
    draft = mailbox.fetch_raw("Drafts", draft_uid)
    assert draft is not None and "\\Draft" in draft.flags
    nudge = message_from_bytes(draft.data)
    assert nudge["In-Reply-To"] == "<ask@example.test>" and nudge["To"] == BOB

    reply_at = clock.now()
    mailbox.deliver(
        "INBOX",
        _mail("re", BOB, ALICE, "Re: Contract", reply_at, "In-Reply-To: <ask@example.test>\r\n"),
        when=reply_at,
    )
    engine.tick()
    assert engine.sequence_row(seq.id).state == SequenceState.REPLIED
    assert mailbox.uids("Drafts") == []  # our untouched draft is withdrawn


class _NoBodyFor(MemoryMailbox):
    """A server that keeps a message's header but never sends its body (a broken file)."""

    def __init__(self) -> None:
        super().__init__()
        self.broken: set[int] = set()
        self.asked: list[int] = []

    def fetch_bodies(
        self, folder: str, uids: Sequence[int], max_bytes: int = 262_144
    ) -> dict[int, bytes]:
        self.asked += uids
        found = super().fetch_bodies(folder, uids, max_bytes)
        return {uid: raw for uid, raw in found.items() if uid not in self.broken}


def test_a_body_the_server_never_sends_is_unreadable_not_waited_for_at_every_poll(
    agent_home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Until its body is read a thread starts nothing; one the server will not send is taken as
    unreadable, the user's to decide, once: not asked for again at every poll."""
    mailbox = _NoBodyFor()
    mailbox.create_folder("Sent", "\\Sent")
    mailbox.create_folder("Drafts", "\\Drafts")
    now = datetime.now(UTC).replace(microsecond=0)
    mailbox.deliver("Sent", _mail("ask", ALICE, BOB, "Contract", now), ["\\Seen"], now)
    mailbox.broken = set(mailbox.uids("Sent"))
    engine = _engine(mailbox)
    clock.set_now(now)
    try:
        first = engine.tick()
        assert first.counts["unread"] == 0 and mailbox.asked == sorted(mailbox.broken)
        assert "the server sent no body" in caplog.text
        [found] = [a for a in engine.assessments() if "<ask@example.test>" in a.thread.message_ids]
        assert found.state == "unsure" and found.unread == 0 and "yours to decide" in found.reason
        engine.tick()
        assert mailbox.asked == sorted(mailbox.broken)  # not asked for again
    finally:
        clock.set_now(None)
