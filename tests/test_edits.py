"""Learning from the user's edits of our nudges: what one edit says, what the next nudge takes
(per recipient and overall), what `inbox-agent voice` shows, and that nothing is learned from a
draft the user did not touch or when learning is off."""

from __future__ import annotations

import json
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from inbox_agent import clock, config, paths
from inbox_agent.cadence import add_business_days
from inbox_agent.drafter import OfflineDrafter, prepare
from inbox_agent.drafter.request import Quoted
from inbox_agent.engine import Engine
from inbox_agent.mail.quote import split_reply
from inbox_agent.store import Store
from inbox_agent.sync.memory import MemoryMailbox
from inbox_agent.voice.edits import Edit, diff, habits
from inbox_agent.voice.style import brief
from tests.test_outbox import make_engine, nudges_to
from tests.test_voice import _cli

BOB, CAROL = "bob@example.test", "carol@example.test"
NAMES = ("Alice Example",)
DRAFT = 'Hi Bob,\n\nAny news on "Q3 contract"?\n\nBest,\nAlice'


def _edit(
    n: int, to: str, written: str, subject: str = "Q3 contract", drafted: str = DRAFT
) -> Edit:
    return Edit(f"<e{n}@x>", f"2026-11-2{n}T10:00:00", "edited", (to,), subject, drafted, written)


def test_one_edit_says_what_changed() -> None:
    change = diff(
        _edit(1, BOB, "Any news on the Q3 contract? Happy to jump on a call.\n\nCheers,\nAlice"),
        NAMES,
    )
    assert change.greeting == "" and change.signoff == "Cheers,\nAlice"
    assert change.added == ("Happy to jump on a call.",)
    assert diff(_edit(2, BOB, DRAFT), NAMES) == diff(_edit(2, BOB, DRAFT), NAMES)
    untouched = diff(_edit(3, BOB, DRAFT), NAMES)
    assert untouched.greeting is None and untouched.signoff is None and untouched.added == ()


def test_a_removed_greeting_counts_for_that_recipient_only() -> None:
    learned = habits([_edit(1, BOB, 'Any news on "Q3 contract"?\n\nBest,\nAlice')], NAMES)
    to_bob = brief(None, [BOB], "Bob", "Alice Example", edits=learned)
    to_carol = brief(None, [CAROL], "Carol", "Alice Example", edits=learned)
    assert to_bob.greeting == "" and "as you edited it for bob@example.test" in to_bob.basis
    assert to_carol.greeting == "Hi Carol,"
    [row] = [r for r in learned.learned if r.trait == f"greeting to {BOB}"]
    assert row.value == "(none)" and row.messages == ("<e1@x>",)


def test_a_sign_off_changed_twice_is_used_for_everyone_and_length_follows() -> None:
    edits = [
        _edit(1, BOB, "Hi Bob,\n\nAny news?\n\nCheers,\nAlice"),
        _edit(2, CAROL, "Hi Carol,\n\nAny news on it?\n\nCheers,\nAlice", subject="Venue"),
    ]
    learned = habits(edits, NAMES)
    someone = brief(None, ["dan@example.test"], "Dan", "Alice Example", edits=learned)
    assert someone.signoff == "Cheers,\nAlice" and someone.greeting == "Hi Dan,"
    assert someone.target == 2 or someone.target == 3  # the median of what they cut it to
    request = prepare(
        touch=1,
        touches=3,
        kind="bump",
        subject="Budget",
        user_name="Alice Example",
        to=["dan@example.test"],
        recipient_name="Dan",
        thread=(Quoted("Alice", True, "", "Budget", "Can you send the budget?"),),
        profile=None,
        edits=learned,
    )
    body = OfflineDrafter().draft(request).body
    assert body.startswith("Hi Dan,") and body.rstrip().endswith("Cheers,\nAlice")


def test_a_phrase_added_on_two_threads_is_added_to_the_next_nudge() -> None:
    extra = "Happy to jump on a call."
    edits = [
        _edit(1, BOB, f'Hi Bob,\n\nAny news on "Q3 contract"? {extra}\n\nBest,\nAlice'),
        _edit(
            2,
            CAROL,
            f'Hi Carol,\n\nAny news on "Venue"? {extra}\n\nBest,\nAlice',
            "Venue",
            DRAFT.replace("Bob", "Carol").replace("Q3 contract", "Venue"),
        ),
    ]
    learned = habits(edits, NAMES)
    assert learned.phrases == (extra,)
    request = prepare(
        touch=1,
        touches=3,
        kind="bump",
        subject="Budget",
        user_name="Alice Example",
        to=[BOB],
        recipient_name="Bob",
        thread=(Quoted("Alice", True, "", "Budget", "Can you send the budget?"),),
        profile=None,
        edits=learned,
    )
    assert extra in OfflineDrafter().core(request)
    assert habits(edits[:1], NAMES).phrases == ()  # once is not a habit


def _edit_in_client(world: Any, user: Any, change: Any) -> None:
    """What a mail client does on save: a new copy of the draft with the user's text, the old gone."""
    with world.imap_client(user) as client:
        client.select_folder("Drafts")
        [uid] = client.search(["ALL"])
        raw = bytes(client.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"])
        msg = message_from_bytes(raw, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        part = msg.get_body(preferencelist=("plain",))
        assert part is not None
        own, quote = split_reply(str(part.get_content()))
        edited = EmailMessage()
        # as mutt does: our Message-ID and our header kept, the text the user's
        for key in (
            "From",
            "To",
            "Subject",
            "In-Reply-To",
            "References",
            "Message-ID",
            "X-Inbox-Agent-Id",
        ):
            edited[key] = str(msg[key])
        edited.set_content(change(own) + ("\n\n" + quote.plain() if quote else "") + "\n")
        client.append("Drafts", edited.as_bytes(), flags=[b"\\Draft"])
        client.delete_messages([uid])
        client.expunge()


def test_edits_before_approval_shape_the_next_nudge_and_voice_shows_them(
    mail_world: Any, agent_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alice, bob = mail_world.new_user("alice"), mail_world.new_user("bob")
    engine = make_engine(alice, mail_world)
    now = datetime.now(UTC)
    mail_world.send(
        alice, [bob.address], "Q3 contract", "Hi Bob,\n\nCan you sign?\n\nBest,\nAlice", date=now
    )
    clock.set_now(add_business_days(now, 4))
    engine.tick()
    [first] = engine.queue()
    engine.approve(first.id)  # untouched: nothing learned
    assert engine.store.edits("main") == []

    mail_world.send(
        alice, [bob.address], "Venue", "Hi Bob,\n\nWhich venue?\n\nBest,\nAlice", date=clock.now()
    )
    clock.set_now(add_business_days(clock.now(), 4))
    engine.tick()
    [second] = [d for d in engine.queue() if "Venue" in d.subject]

    def change(own: str) -> str:  # no greeting, another sign-off
        return own.replace(own.split("\n")[0] + "\n\n", "").replace("Best,", "Cheers,")

    _edit_in_client(mail_world, alice, change)
    engine.approve(second.id)
    [row] = engine.store.edits("main")
    assert row["kind"] == "edited" and row["recipients"] == (bob.address,)
    assert [raw for raw in nudges_to(mail_world, bob) if b"Cheers," in raw]

    mail_world.send(
        alice, [bob.address], "Budget", "Hi Bob,\n\nNumbers?\n\nBest,\nAlice", date=clock.now()
    )
    clock.set_now(add_business_days(clock.now(), 4))
    engine.tick()
    [third] = [d for d in engine.queue() if "Budget" in d.subject]
    assert not third.body.startswith("Hi") and "Cheers," in third.body

    code, out, _ = _cli(capsys, "voice", "--json")
    shown = json.loads(out)
    rows = {r["trait"]: r for r in shown["edits"]}
    assert code == 0 and rows[f"greeting to {bob.address}"]["value"] == "(none)"
    assert rows[f"greeting to {bob.address}"]["messages"] == [second.message_id]
    code, out, _ = _cli(capsys, "voice")
    assert "learned from your edits" in out and second.message_id in out
    clock.set_now(None)


def _memory(extra: str) -> tuple[Engine, MemoryMailbox]:
    mailbox = MemoryMailbox()
    mailbox.create_folder("Sent", "\\Sent")
    mailbox.create_folder("Drafts", "\\Drafts")
    path = paths.accounts_dir() / "main.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        'email = "alice@example.test"\ndisplay_name = "Alice Example"\n\n'
        '[imap]\nhost = "127.0.0.1"\nsecurity = "none"\n\n'
        '[smtp]\nhost = "127.0.0.1"\nsecurity = "none"\n\n[autonomy]\ndefault = "manual"\n' + extra
    )
    settings = config.load_settings()
    engine = Engine(
        config.load_account(path, settings),
        settings,
        Store(paths.database_file()),
        opener=lambda _account: nullcontext(mailbox),
    )
    return engine, mailbox


def _message(mid: str, when: datetime, body: str, reply_to: str = "") -> bytes:
    extra = f"In-Reply-To: {reply_to}\r\nReferences: {reply_to}\r\n" if reply_to else ""
    return (
        f"Message-ID: {mid}\r\nFrom: Alice Example <alice@example.test>\r\nTo: {BOB}\r\n"
        f"Subject: {'Re: ' if reply_to else ''}Contract\r\nDate: {format_datetime(when)}\r\n{extra}"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


@pytest.mark.parametrize("learn", [True, False])
def test_a_hand_follow_up_instead_of_our_draft_is_learned_unless_off(
    agent_home: Path, learn: bool
) -> None:
    engine, mailbox = _memory("" if learn else "\n[voice]\nlearn_from_edits = false\n")
    now = datetime.now(UTC).replace(microsecond=0)
    clock.set_now(now)
    engine.tick()
    mailbox.deliver(
        "Sent",
        _message("<ask@example.test>", now, "Bob, can you sign the contract?"),
        ["\\Seen"],
        now,
    )
    engine.tick()
    clock.set_now(add_business_days(now, 4))
    engine.tick()
    assert mailbox.uids("Drafts")  # our draft waits
    later = clock.now() + timedelta(hours=1)
    mailbox.deliver(
        "Sent",
        _message(
            "<mine@example.test>",
            later,
            "Bob - still need your signature on this one. Alice",
            "<ask@example.test>",
        ),
        ["\\Seen"],
        later,
    )
    clock.set_now(later + timedelta(minutes=5))
    engine.tick()
    rows = engine.store.edits("main")
    if learn:
        [row] = rows
        assert row["kind"] == "replaced" and row["message_id"] == "<mine@example.test>"
        assert "still need your signature" in row["written"]
    else:
        assert rows == []
    clock.set_now(None)
