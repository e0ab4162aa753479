"""The user's own mail client between a nudge and its send: mutt and alpine in tmux, driven by
keystrokes against a real server (recall, edit, postpone, delete with and without purge, add a
Cc, approve while the draft is open), and what arrived checked on the server. The draft the user
saw is what is sent, exactly once, to the thread's people; every copy of it leaves Drafts after,
and no other draft does.

mutt runs on Dovecot and on Cyrus (separator `.`, flags in lower case: how a recalled draft leaves
Drafts and how a deleted one is marked is the server's part of the story); alpine on Dovecot (it
passes on Cyrus too, but its waits cost 20 s more there, and mutt already shows Cyrus's part)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest

from inbox_agent import clock
from inbox_agent.engine import Engine
from inbox_agent.errors import SafetyStop
from inbox_agent.store.records import DraftRow
from inbox_agent.store.states import DraftState, OutboxState
from tests.infra.mail import MailUser
from tests.infra.mail import wait_for as mail_wait_for
from tests.infra.terminal_client import (
    Editor,
    Screen,
    Terminal,
    alpine_argv,
    available,
    mutt_argv,
)
from tests.test_outbox import make_engine, nudges_to
from tests.test_story import run

ON_BOTH = pytest.mark.parametrize("world", ["dovecot", "cyrus"], indirect=True)


@pytest.fixture(scope="session")
def terminal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Terminal]:
    """One tmux server for every client of the session."""
    term = Terminal(tmp_path_factory.mktemp("tmux"))
    yield term
    term.close()


@pytest.fixture
def editor(tmp_path: Path) -> Editor:
    return Editor(tmp_path / "edit.json")


def drafts_in(world: Any, user: MailUser) -> dict[int, tuple[bytes, tuple[bytes, ...]]]:
    with world.imap_client(user) as client:
        if not client.folder_exists("Drafts"):
            return {}
        client.select_folder("Drafts", readonly=True)
        uids = client.search(["ALL"])
        fetched = client.fetch(uids, ["BODY.PEEK[]", "FLAGS"]) if uids else {}
        return {u: (bytes(d[b"BODY[]"]), tuple(d[b"FLAGS"])) for u, d in fetched.items()}


def queued(world: Any, alice: MailUser, bob: MailUser) -> tuple[Engine, DraftRow]:
    """A nudge waiting for approval in alice's Drafts, on a question sent a week ago (the clock
    is not moved: the mail clients and Dovecot stamp real times)."""
    engine = make_engine(alice, world)
    engine.tick()  # the baseline, of an empty mailbox
    asked = datetime.now(UTC) - timedelta(days=8)
    world.send(alice, [bob.address], "Contract", "Can you sign the contract?", date=asked)
    engine.tick()
    [draft] = engine.queue()
    return engine, draft


def start_mutt(term: Terminal, tmp: Path, world: Any, user: MailUser, editor: Editor) -> Screen:
    argv = mutt_argv(tmp / "mutt-home", user, world.imap_port, world.smtp_port, editor)
    mutt = term.start("mutt", argv, tmp / "mutt-home")
    mutt.wait_for("Post:1")
    return mutt


def recall(mutt: Screen) -> None:
    mutt.keys("m")  # recall=yes: the one postponed message comes back at once
    mutt.wait_for("Mutt: Compose")


def edit_in(mutt: Screen, editor: Editor) -> None:
    """`e` in mutt's compose menu, until the editor has run (a key that lands while mutt is
    still redrawing after a new-mail check is lost, as a person would see and press it again)."""
    before = len(editor.seen())
    for _ in range(3):  # bounded: three presses, five seconds each
        mutt.keys("e")
        if mail_wait_for(lambda: len(editor.seen()) > before, 5):
            break
    assert len(editor.seen()) > before, "mutt never ran the editor"
    mutt.wait_for("Mutt: Compose")


@pytest.fixture
def mutt_ok() -> None:
    why = available("mutt")
    if why:
        pytest.skip(why)


@ON_BOTH
def test_mutt_a_draft_open_in_the_client_is_waited_for_then_its_edit_is_sent_once(
    world: Any,
    agent_home: Path,
    terminal: Terminal,
    editor: Editor,
    tmp_path: Path,
    mutt_ok: None,
) -> None:
    alice, bob = world.new_user("alice"), world.new_user("bob")
    engine, draft = queued(world, alice, bob)
    mutt = start_mutt(terminal, tmp_path, world, alice, editor)
    try:
        recall(mutt)
        assert drafts_in(world, alice) == {}  # mutt took it out of Drafts
        # the user's own reply-in-progress to the same message, saved meanwhile (bug 9)
        theirs = (
            f"From: {alice.address}\r\nTo: {bob.address}\r\nSubject: Re: Contract\r\n"
            f"Message-ID: <own-reply@example.test>\r\nIn-Reply-To: {engine.sequence_row(draft.sequence_id).anchor_message_id}\r\n"
            "\r\nBob, separately: lunch on Thursday at the usual place?\r\n"
        ).encode()
        with world.imap_client(alice) as client:
            client.append("Drafts", theirs, flags=[b"\\Draft"])
        with pytest.raises(SafetyStop, match="Drafts"):
            engine.approve(draft.id)  # open in mutt: waited for, not skipped
        assert nudges_to(world, bob) == []
        assert engine.store.draft(draft.id).state == DraftState.QUEUED  # type: ignore[union-attr]
        assert engine.sequence_row(draft.sequence_id).touches_sent == 0

        editor.edit(append="Written in mutt, by me.")
        edit_in(mutt, editor)
        mutt.keys("P")
        mutt.wait_for("Message postponed", "Post:2")  # theirs is postponed too: not "Post:1"
        engine.approve(draft.id)
    finally:
        mutt.close()
    [arrived] = nudges_to(world, bob)
    assert b"Written in mutt, by me." in arrived
    assert engine.sequence_row(draft.sequence_id).touches_sent == 1
    left = drafts_in(world, alice)
    assert [raw for raw, _ in left.values()] == [theirs]  # theirs untouched, ours all gone
    assert [r.action for r in engine.store.audit_rows("main")].count("sent") == 1


@pytest.mark.parametrize("purge", [False, True])
@ON_BOTH
def test_mutt_a_deleted_draft_is_never_sent(
    world: Any,
    agent_home: Path,
    terminal: Terminal,
    editor: Editor,
    tmp_path: Path,
    mutt_ok: None,
    purge: bool,
) -> None:
    alice, bob = world.new_user("alice"), world.new_user("bob")
    engine, draft = queued(world, alice, bob)
    mutt = start_mutt(terminal, tmp_path, world, alice, editor)
    try:
        mutt.keys("c")
        mutt.type("=Drafts")
        mutt.keys("Enter")
        mutt.wait_for("Mutt: =Drafts")
        mutt.keys("d")
        mutt.keys("q")
        mutt.wait_for("Purge 1 deleted message?")
        mutt.keys("y" if purge else "n")
        mutt.wait_gone()
    finally:
        mutt.close()
    left = drafts_in(world, alice)
    if purge:  # gone without a trace: it may be open in a client; waited for, then skipped
        assert left == {}
        with pytest.raises(SafetyStop, match="reject"):
            engine.approve(draft.id)
        assert engine.sequence_row(draft.sequence_id).touches_sent == 0
        clock.set_now(datetime.now(UTC) + timedelta(hours=25))
    else:
        [(_, flags)] = left.values()
        assert b"\\Deleted" in flags
    with pytest.raises(SafetyStop, match="skipped"):
        engine.approve(draft.id)
    assert nudges_to(world, bob) == []
    assert engine.store.draft(draft.id).state == DraftState.GONE  # type: ignore[union-attr]
    assert engine.sequence_row(draft.sequence_id).touches_sent == 1  # the touch is skipped
    assert len(drafts_in(world, alice)) == (0 if purge else 1)  # nothing of theirs removed


@ON_BOTH
def test_mutt_a_cc_added_in_the_client_refuses_the_send_and_says_so(
    world: Any,
    agent_home: Path,
    terminal: Terminal,
    editor: Editor,
    tmp_path: Path,
    mutt_ok: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    alice, bob, dave = (world.new_user(n) for n in ("alice", "bob", "dave"))
    engine, draft = queued(world, alice, bob)
    mutt = start_mutt(terminal, tmp_path, world, alice, editor)
    try:
        recall(mutt)
        editor.edit(replace=(("\nCc: ", f"\nCc: {dave.address}"),))
        mutt.keys("e")
        mutt.wait_for(f"Cc: {dave.address}")
        mutt.keys("P")
        mutt.wait_for("Message postponed", "Post:1")
    finally:
        mutt.close()
    code, _out, err = run(capsys, "approve", str(draft.id))
    assert code == SafetyStop.exit_code
    assert f"you added {dave.address} (Cc)" in err and "send it yourself" in err
    assert nudges_to(world, bob) == [] and nudges_to(world, dave) == []
    [(raw, _)] = drafts_in(world, alice).values()
    assert dave.address.encode() in raw  # the user's draft stays, Cc and all
    [refused] = [r for r in engine.store.audit_rows("main") if r.action == "send_refused"]
    assert dave.address in refused.reason


# alpine's password prompt by its footer: while it opens INBOX, its status line ('[Opening
# "INBOX"]') can be drawn over the prompt's own words
PROMPT_FOOTER = "Ret Accept"


def log_in(alpine: Screen, user: MailUser, prompt: str) -> None:
    """Answer alpine's greeting (E) or its password prompt, as the user would."""
    if prompt == "GREETING TEXT":
        alpine.keys("E")
    else:
        alpine.type(user.password)
        alpine.keys("Enter")
    alpine.wait_without(prompt)


def test_alpine_an_edit_saved_under_a_new_message_id_is_sent_once_and_tidied(
    mail_world: Any, agent_home: Path, terminal: Terminal, editor: Editor, tmp_path: Path
) -> None:
    why = available("alpine")
    if why:
        pytest.skip(why)
    alice, bob = mail_world.new_user("alice"), mail_world.new_user("bob")
    engine, draft = queued(mail_world, alice, bob)
    home = tmp_path / "alpine-home"
    argv = alpine_argv(home, alice, mail_world.imap_port, mail_world.smtp_port, editor)
    alpine = terminal.start("alpine", argv, home)
    try:
        for _ in range(6):  # the greeting, then the password prompt; bounded
            seen = alpine.wait_for(
                "GREETING TEXT", "ENTER PASSWORD", "Folder: INBOX", PROMPT_FOOTER, timeout=15
            )
            if seen == "Folder: INBOX":  # the title bar, once signed in
                break
            log_in(alpine, alice, seen)
        alpine.keys("c")
        asked = alpine.wait_for("Continue postponed", "ENTER PASSWORD", PROMPT_FOOTER)
        if asked != "Continue postponed":
            log_in(alpine, alice, asked)  # Drafts on a second connection
            alpine.wait_for("Continue postponed")
        alpine.keys("y")
        alpine.wait_for("COMPOSE MESSAGE")
        with pytest.raises(SafetyStop, match="open in your mail client"):
            engine.approve(draft.id)  # alpine took it out of Drafts: waited for, not skipped
        editor.edit(append="Written in alpine, by me.")
        for _ in range(8):  # down to the body: alpine runs the editor there by itself
            alpine.keys("Down")
        alpine.wait_for("Alternate editor done")
        alpine.keys("C-o")
        # alpine says one or the other, depending on how long writing it took
        alpine.wait_for("Composition postponed", "Writing postponed message")
        assert mail_wait_for(lambda: len(drafts_in(mail_world, alice)) == 1, 15)
        [(saved, flags)] = drafts_in(mail_world, alice).values()
        saved_msg = message_from_bytes(saved)
        assert saved_msg["Message-ID"] != draft.message_id and b"\\Draft" not in flags
        assert saved_msg["X-Inbox-Agent-Id"] is None  # bug 6: nothing of ours left on it
        engine.approve(draft.id)
    finally:
        alpine.close()
    [arrived] = nudges_to(mail_world, bob)
    assert b"Written in alpine, by me." in arrived
    assert drafts_in(mail_world, alice) == {}  # bug 7: the sent edit does not stay behind
    assert [r.state for r in engine.store.outbox("main")] == [OutboxState.SENT]
