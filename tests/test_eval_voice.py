"""scripts/eval_voice's detector of real hand follow-ups, on synthetic Enron-shaped mail: copies
count once, a follow-up that quotes the user's own message counts, an answer to someone else's
mail (the mailbox lost it) does not, and the metrics score a draft against the real text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from inbox_agent.drafter.writers import OfflineDrafter
from scripts._voice_corpus import followups, read_user
from scripts.eval_voice_impl import blocks, score, self_agreement

ALICE, BOB, CAROL = "alice@enron.test", "bob@enron.test", "carol@enron.test"
START = datetime(2001, 3, 5, 9, 0, tzinfo=UTC)


def _write(
    root: Path,
    folder: str,
    name: str,
    mid: str,
    to: str,
    subject: str,
    when: datetime,
    body: str,
    sender: str = ALICE,
    reply_to: str = "",
) -> None:
    path = root / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    extra = f"In-Reply-To: {reply_to}\nReferences: {reply_to}\n" if reply_to else ""
    path.write_text(
        f"Message-ID: {mid}\nDate: {format_datetime(when)}\nFrom: {sender}\nTo: {to}\n"
        f"Subject: {subject}\n{extra}X-From: Alice Example\nX-To: someone\n\n{body}\n"
    )


def test_followups_are_found_once_and_answers_to_others_are_not(tmp_path: Path) -> None:
    root = tmp_path / "alice-x"
    ask = "Bob,\n\nCan you send me the signed gas contract?\n\nAlice"
    _write(root, "sent", "1", "<o@x>", BOB, "Gas contract", START, ask)
    _write(root, "_sent_mail", "1", "<o-copy@x>", BOB, "Gas contract", START, ask)  # a copy
    _write(
        root,
        "sent",
        "2",
        "<f@x>",
        BOB,
        "RE: Gas contract",
        START + timedelta(days=3),
        "Bob, any news on the contract?\n\n -----Original Message-----\nFrom: Alice Example\n"
        f"Sent: Monday\nTo: {BOB}\nSubject: Gas contract\n\n{ask}",
        reply_to="<o@x>",
    )
    _write(root, "sent", "3", "<p@x>", CAROL, "Budget", START, "Carol, what is the budget?")
    _write(
        root,
        "sent",
        "4",
        "<q@x>",
        CAROL,
        "RE: Budget",
        START + timedelta(days=2),
        "Sounds good, go ahead.\n\n -----Original Message-----\nFrom: Carol Diaz\nSent: Tue\n"
        f"To: {ALICE}\nSubject: RE: Budget\n\nWe can do 10k.",
        reply_to="<p@x>",
    )
    _write(root, "sent", "5", "<r@x>", BOB, "Lunch", START, "Bob, lunch today?")
    _write(
        root,
        "sent",
        "6",
        "<s@x>",
        BOB,
        "RE: Lunch",
        START + timedelta(minutes=5),
        "Make that tomorrow?",
        reply_to="<r@x>",
    )  # a correction a minute later
    user = read_user(root)
    assert user.addresses == frozenset({ALICE})
    assert sum(1 for m in user.mails if m.header.subject == "Gas contract") == 1
    [(first, then)] = followups(user)
    assert first.header.message_id == "<o@x>" and then.header.message_id == "<f@x>"
    assert then.text.startswith("Bob, any news")
    # the user against themself: the follow-up greets Bob as the first did, and signs off
    # differently ("Alice" then nothing)
    assert self_agreement(user, ["Alice Example"]) == {
        "self_n": 1,
        "greeting_self": 1.0,
        "signoff_self": 0.0,
    }


def test_each_scored_message_is_drafted_from_the_mail_sent_before_it_only(tmp_path: Path) -> None:
    """Per recipient and with no leakage: the first short ask to Carol (who had no mail from
    the user before) cannot take its own "Dear Carol,"; the second takes it from the first."""
    root = tmp_path / "alice-x"
    for i in range(8):  # the older 80%: to Bob, no greeting
        when = START + timedelta(days=i)
        body = f"Can you send me the report on the pipeline item {i}?\n\nAlice"
        _write(root, "sent", str(i), f"<b{i}@x>", BOB, f"Report {i}", when, body)
    for i in (8, 9):  # the newest 20%: to Carol, "Dear Carol,"
        when = START + timedelta(days=i)
        body = f"Dear Carol,\n\nCould you send me the budget for region {i}?\n\nAlice"
        _write(root, "sent", str(i), f"<c{i}@x>", CAROL, f"Budget {i}", when, body)
    user = read_user(root)
    _, cases, reference, _ = blocks(user)
    assert [c.original.header.message_id for c in cases] == ["<c8@x>", "<c9@x>"]
    assert CAROL not in cases[0].profile.greetings  # its own greeting is not learned
    assert cases[1].profile.greetings[CAROL].value == "Dear Carol,"
    figures = score(OfflineDrafter(), cases, user, reference)
    assert figures["greeting"] == 0.5  # 1.0 if the scored message taught itself, 0.0 if stale


def test_copies_twelve_hours_apart_count_once_and_an_assistants_mail_is_not_the_owners(
    tmp_path: Path,
) -> None:
    root = tmp_path / "delainey-d"
    ask = "Bob,\n\nCan you send me the signed gas contract?\n\nDave"
    owner, kay = "david.delainey@enron.com", "kay.chapman@enron.com"
    noon = START.replace(hour=12, minute=36)
    _write(root, "sent", "1", "<o@x>", BOB, "Gas", noon, ask, sender=owner)
    _write(root, "all_documents", "1", "<o2@x>", BOB, "Gas", noon - timedelta(hours=12), ask, owner)
    for i in range(3):  # the assistant sends from the owner's mailbox
        when = START + timedelta(days=i + 1)
        _write(root, "sent", f"k{i}", f"<k{i}@x>", BOB, f"Meeting {i}", when, "Thanks, Kay", kay)
    user = read_user(root)
    assert sum(1 for m in user.mails if m.header.subject == "Gas") == 1
    assert user.addresses == frozenset({owner})
    assert all(m.header.from_addr == owner for m in user.own)
