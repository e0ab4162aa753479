"""scripts/eval_voice's detector of real hand follow-ups, on synthetic Enron-shaped mail: copies
count once, a follow-up that quotes the user's own message counts, an answer to someone else's
mail (the mailbox lost it) does not, and the metrics score a draft against the real text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from scripts._voice_corpus import followups, read_user

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
