"""Cyrus IMAP 3.6, the server Fastmail runs (issue 13, bug 12): its special-use flags come in
lower case (`\\sent`, `\\drafts`), and a user's client may have renamed the flagged folders and
left unflagged ones with the English names behind. The folders inbox-agent uses are the
flagged ones, `check` says which and why, and the story (a nudge in Drafts, approved, sent,
filed in Sent) happens in the folders the user's client looks at.
"""

from __future__ import annotations

import json
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from imapclient import IMAPClient

from tests.infra.cyrus import CyrusServer
from tests.infra.mail import MailUser, build_message, imap_client, submit
from tests.infra.smtp_relay import SubmissionServer
from tests.test_story import later, run, write_account

__all__ = ["later"]  # the fixture, used here by name


def _folder(cyrus: CyrusServer, user: MailUser, folder: str) -> list[bytes]:
    with imap_client(cyrus.imap_port, user) as client:
        client.select_folder(folder, readonly=True)
        uids = client.search(["ALL"])
        data = client.fetch(uids, ["BODY.PEEK[]"]) if uids else {}
    return [bytes(d[b"BODY[]"]) for d in data.values()]


def _listing(cyrus: CyrusServer, user: MailUser) -> dict[str, tuple[bytes, ...]]:
    with IMAPClient("127.0.0.1", port=cyrus.imap_port, ssl=False, timeout=10) as client:
        client.login(user.login, user.password)
        return {name: tuple(flags) for flags, _sep, name in client.list_folders()}


@pytest.mark.parametrize("layout", ["fastmail", "renamed"])
def test_the_flagged_folders_are_used_and_check_says_why(
    cyrus: CyrusServer,
    cyrus_smtp: SubmissionServer,
    cyrus_user: Any,
    agent_home: Path,
    capsys: pytest.CaptureFixture[str],
    layout: str,
) -> None:
    alice = cyrus_user("alice")
    listing = _listing(cyrus, alice)  # the first login makes the special folders
    assert b"\\sent" in listing["Sent"] and b"\\drafts" in listing["Drafts"]  # lower case
    if layout == "renamed":
        cyrus.rename_special(alice.login)
        assert _listing(cyrus, alice)["Drafts"] == (b"\\HasNoChildren",)
    write_account(alice, cyrus.imap_port, cyrus_smtp.port)
    code, out, err = run(capsys, "check")
    assert code == 0, out + err
    if layout == "fastmail":
        assert "sent: Sent (flagged \\Sent)" in out and "drafts: Drafts (flagged \\Drafts)" in out
    else:
        assert "drafts=Brouillons" in out and "sent=Sent Items" in out
        assert "drafts: Brouillons (flagged \\Drafts; Drafts is not flagged, so not used)" in out
        assert "sent: Sent Items (flagged \\Sent; Sent is not flagged, so not used)" in out


def test_the_story_happens_in_the_flagged_folders(
    cyrus: CyrusServer,
    cyrus_smtp: SubmissionServer,
    cyrus_user: Any,
    agent_home: Path,
    capsys: pytest.CaptureFixture[str],
    later: None,
) -> None:
    alice, bob = cyrus_user("alice"), cyrus_user("bob")
    _listing(cyrus, alice)
    cyrus.rename_special(alice.login)
    write_account(alice, cyrus.imap_port, cyrus_smtp.port)
    original = build_message(alice, [bob.address], "Q3 contract", "Hi Bob,\n\nSigned yet?\n\nAlice")
    submit(cyrus_smtp.port, alice, original)
    with imap_client(cyrus.imap_port, alice) as client:  # her client files it where it looks
        client.append("Sent Items", original.as_bytes(), flags=[b"\\Seen"])

    code, out, err = run(capsys, "run", "--once")
    assert code == 0, err
    assert "1 nudges saved to Drafts" in out, out
    assert _folder(cyrus, alice, "Drafts") == []  # the unflagged one is not where mutt looks
    [raw] = _folder(cyrus, alice, "Brouillons")
    draft = message_from_bytes(raw)
    assert draft["In-Reply-To"] == original["Message-ID"] and draft["To"] == bob.address

    code, out, _ = run(capsys, "queue", "--json")
    [queued] = json.loads(out)
    code, out, err = run(capsys, "approve", str(queued["id"]))
    assert code == 0, err
    delivered = [message_from_bytes(m) for m in _folder(cyrus, bob, "INBOX")]
    assert [m["Message-ID"] for m in delivered if m["In-Reply-To"]] == [draft["Message-ID"]]
    assert _folder(cyrus, alice, "Brouillons") == []
    filed = [message_from_bytes(m)["Message-ID"] for m in _folder(cyrus, alice, "Sent Items")]
    assert draft["Message-ID"] in filed
    assert _folder(cyrus, alice, "Sent") == []
