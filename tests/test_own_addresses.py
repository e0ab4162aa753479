"""Which From addresses of the Sent folder are the user's, on Dovecot.

The daemon takes the addresses a user sends from (an alias, an assistant with send-as) from the
Sent folder. One stray message there (dragged in, a delegate's copy) does not make its sender
the user: alice's question to bob is still nudged, and bob's answers would still be answers.
An address she sends from regularly is hers: a note sent only to it is not followed up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from inbox_agent.engine.context import OWN_SENDER_MIN
from tests.infra.mail import build_message
from tests.test_story import drafts_of, later, run, write_account

__all__ = ["later"]


def file_in_sent(world: Any, owner: Any, sender: Any, to: list[str], subject: str) -> str:
    """A message from `sender` put straight into `owner`'s Sent folder, as a client drags it."""
    msg = build_message(sender, to, subject, "Notes for the file.")
    with world.imap_client(owner) as client:
        client.append("Sent", msg.as_bytes(), flags=[b"\\Seen"])
    return str(msg["Message-ID"])


def test_a_stray_message_in_sent_does_not_make_its_sender_the_user(
    mail_world: Any, agent_home: Path, capsys: pytest.CaptureFixture[str], later: None
) -> None:
    world = mail_world
    alice, bob, alias = world.new_user("alice"), world.new_user("bob"), world.new_user("alicealt")
    write_account(alice, world.imap_port, world.smtp_port)
    file_in_sent(world, alice, bob, [alice.address], "Minutes")  # bob's, dragged into Sent
    for n in range(OWN_SENDER_MIN):  # alice sends from her second address now and then
        file_in_sent(world, alice, alias, [f"client{n}@example.org"], f"Offer {n}")
    to_self = world.send(alice, [alias.address], "Reminder", "Can you check the lease tonight?")
    question = world.send(
        alice, [bob.address], "Q3 contract", "Could you sign it and send it back?"
    )

    code, out, err = run(capsys, "run", "--once")
    assert code == 0, err
    [(raw, _flags)] = drafts_of(world, alice)
    assert question.encode() in raw  # bob is not alice: her question to him waits
    code, out, err = run(capsys, "threads", "--all")
    assert code == 0, err
    assert "sent only to your own addresses" in out and to_self not in raw.decode()
