"""Only what waited for an answer is nudged, on each server with the CLI as a user runs it.

alice sends five messages and four business days pass: a Lotus Notes forward with no note of
hers, an FYI, a thank-you with a clause, a long message that asks nothing, and a real question.
Only the question is drafted; `threads` and the audit say why each one is or is not, quoting her
words (a `judged` row per decision, not per poll); the long one is listed for her to decide,
and once she tags it `$FollowUp` in her own mail client, the next cycle drafts it too; another
one she answers `never` from the command line.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from inbox_agent import config, paths
from inbox_agent.engine import Engine, cycle
from inbox_agent.store import Store
from tests.test_story import drafts_of, later, run, write_account

__all__ = ["later"]  # the fixture: four business days pass after the mail is sent

NOTES_FORWARD = (
    "---------------------- Forwarded by Alice Example/HOU/ECT on 10/24/2000 08:12 AM "
    "---------------------------\n\nJohn Smith\n10/23/2000 05:01 PM\nTo: Alice Example/HOU/ECT\n"
    "Subject: Weekly generation report\n\nThe report for this week is attached. Can you check it?\n"
)
LONG_NEWS = (
    "Bob,\n\nThe board met this morning. The budget passed as drafted. Two of the new hires "
    "start in March. The Denver office moves in April. The auditors finish next week.\n\nAlice"
)


def test_forwards_and_fyis_are_not_nudged_while_a_real_question_is(
    world: Any, agent_home: Path, capsys: pytest.CaptureFixture[str], later: None
) -> None:
    alice, bob = world.new_user("alice"), world.new_user("bob")
    write_account(alice, world.imap_port, world.smtp_port)
    forward = world.send(alice, [bob.address], "Weekly generation report", NOTES_FORWARD)
    fyi = world.send(alice, [bob.address], "New rates", "FYI, the new rates are on the site.")
    thanks = world.send(
        alice, [bob.address], "Re: Elm Street", "Thanks, that's perfect. I'll call her tomorrow."
    )
    news = world.send(alice, [bob.address], "Board news", LONG_NEWS)
    carol = world.new_user("carol")
    news2 = world.send(alice, [carol.address], "Office news", LONG_NEWS)
    question = world.send(
        alice,
        [bob.address],
        "Q3 contract",
        "Hi Bob,\n\nCould you sign it and send it back to me?\n\nThanks,\nAlice",
    )

    code, out, err = run(capsys, "run", "--once")
    assert code == 0, err
    assert "1 nudges saved to Drafts" in out
    [(raw, _flags)] = drafts_of(world, alice)
    assert question.encode() in raw  # the draft answers the question's thread

    rows = {
        r["message_ids"][0]: r for r in json.loads(run(capsys, "threads", "--json", "--all")[1])
    }
    assert "a forward with no note of yours" in rows[forward]["reason"]
    assert 'an FYI: "FYI, the new rates are on the site."' in rows[fyi]["reason"]
    assert "thanks" in rows[thanks]["reason"] and not rows[thanks]["awaiting"]
    assert rows[news]["state"] == "unsure" and rows[news]["expects"]["outcome"] == "unsure"
    asks = 'asks: "Could you sign it and send it back to me?"'
    assert rows[question]["expects"]["reason"] == asks
    # the unsure one is listed by default and on its own, for alice to decide
    listed = json.loads(run(capsys, "threads", "--json", "--unsure")[1])
    assert sorted(r["message_ids"][0] for r in listed) == sorted([news, news2])
    # `never` from the command line takes one off the list for good
    code, out, err = run(capsys, "never", news2)
    assert code == 0 and news2 in out, err
    listed = json.loads(run(capsys, "threads", "--json", "--unsure")[1])
    assert [r["message_ids"] for r in listed] == [[news]]
    assert run(capsys, "follow-up", "<nobody@x>")[0] == 2  # not a thread: says what to do
    assert news in {r["message_ids"][0] for r in json.loads(run(capsys, "threads", "--json")[1])}
    code, text, _ = run(capsys, "threads")
    assert "unsure" in text and "yours to decide" in text
    audit = json.loads(run(capsys, "audit", "--json")[1])
    assert any(asks in r["reason"] for r in audit if r["action"] == "track")
    assert any(r["action"] == "never_follow_up" and r["message_id"] == news2 for r in audit)
    # each verdict that kept a message from a sequence is in the audit once, quoting her words
    judged = {r["message_id"]: r for r in audit if r["action"] == "judged"}
    assert set(judged) == {forward, fyi, thanks, news, news2}, judged
    assert (
        judged[thanks]["state_after"] == "no"
        and "Thanks, that's perfect." in (judged[thanks]["reason"])
    )
    assert judged[news]["state_after"] == "unsure" and "yours to decide" in judged[news]["reason"]

    # her own mail client's tag is the last say: the next cycle follows it up
    with world.imap_client(alice) as client:
        client.select_folder("Sent")
        client.add_flags(world.find(alice, "Sent", news), ["$FollowUp"])
    code, out, err = run(capsys, "run", "--once")
    assert code == 0, err
    assert "1 nudges saved to Drafts" in out
    assert len(drafts_of(world, alice)) == 2
    again = {r["message_ids"][0]: r for r in json.loads(run(capsys, "threads", "--json")[1])}
    assert again[news]["awaiting"] and again[news]["state"] != "unsure"
    # one row per decision, not per poll: the second cycle judged nothing anew
    audit = json.loads(run(capsys, "audit", "--json")[1])
    assert [r["message_id"] for r in audit if r["action"] == "judged"].count(thanks) == 1
    assert any(r["action"] == "track" and r["message_id"] == news for r in audit)


def test_a_first_run_with_more_mail_than_a_cycle_reads_never_nudges_unread_mail(
    world: Any,
    agent_home: Path,
    capsys: pytest.CaptureFixture[str],
    later: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A first run reads the bodies a cycle at a time: the threads whose mail waits for a later
    cycle wait too, instead of being followed up on their headers alone (an FYI nudged)."""
    monkeypatch.setattr(cycle, "BODIES_PER_CYCLE", 2)
    alice = world.new_user("alice")
    write_account(alice, world.imap_port, world.smtp_port)
    people = [world.new_user(name) for name in ("bob", "carol", "dave", "erin")]
    sent = datetime.now(UTC) - timedelta(hours=3)  # all of them quiet long enough (`later`)
    question = world.send(
        alice,
        [people[0].address],
        "Q3 contract",
        "Bob, could you sign it and send it back?",
        date=sent,
    )
    fyis = [
        world.send(
            alice,
            [p.address],
            f"Rates {i}",
            "FYI, the new rates are on the site.",
            date=sent + timedelta(minutes=10 * (i + 1)),
        )
        for i, p in enumerate(people[1:])
    ]
    settings = config.load_settings()
    account = config.load_account(paths.accounts_dir() / "main.toml", settings)
    first = Engine(account, settings, Store(paths.database_file())).tick()
    # the first cycle read the two newest, FYIs judged "no"; the question waits, undrafted
    assert first.bodies_read == 2 and first.counts["unread"] == 2
    assert drafts_of(world, alice) == [] and first.again() == "mail left to read"
    listed = json.loads(run(capsys, "threads", "--json", "--all")[1])
    rows = {r["message_ids"][0]: r for r in listed}
    assert not rows[question]["awaiting"] and "not read yet" in rows[question]["reason"]
    assert rows[question]["unread"] == 1 and rows[fyis[2]]["unread"] == 0
    code, out, err = run(capsys, "run", "--once")  # the rest read, at once, and the question
    assert code == 0, err
    assert "1 nudges saved to Drafts" in out and "until their mail is read" not in out
    [(raw, _flags)] = drafts_of(world, alice)
    assert question.encode() in raw
    audit = json.loads(run(capsys, "audit", "--json")[1])
    assert {r["message_id"] for r in audit if r["action"] == "judged"} == set(fyis)
    # tracked once its words were judged: the track row quotes the ask
    [track] = [r for r in audit if r["action"] == "track"]
    assert track["message_id"] == question and 'asks: "Bob, could you sign' in track["reason"]


def test_the_other_kinds_that_need_no_answer_and_the_links_real_mail_needs(
    mail_world: Any, agent_home: Path, capsys: pytest.CaptureFixture[str], later: None
) -> None:
    """On Dovecot: a closing, her answer to bob's question, a confirmation and a delivery are
    not nudged; a request that ends in a bare "Thanks" is. A reply with no threading headers on a
    bare "RE:" between the same two people joins her question (carol answered it), and her
    second message on one subject joins her first (she took the question back)."""
    world = mail_world
    alice, bob = world.new_user("alice"), world.new_user("bob")
    carol, dave = world.new_user("carol"), world.new_user("dave")
    write_account(alice, world.imap_port, world.smtp_port)
    start = datetime.now(UTC) - timedelta(hours=2)
    at = iter(start + timedelta(minutes=n) for n in range(20))  # a person's pace, a minute apart
    closing = world.send(alice, [bob.address], "Re: talk", "Good luck tomorrow.", date=next(at))
    asked = world.send(
        bob, [alice.address], "Office", "What is the address of the new office?", date=next(at)
    )
    answer = world.reply(
        alice, to_message_id=asked, body="The address is 12 Elm Street.", date=next(at)
    )
    confirmed = world.send(alice, [bob.address], "Re: Tuesday", "I'll be there.", date=next(at))
    delivery = world.send(
        alice, [bob.address], "Summary", "Attached is the summary we discussed.", date=next(at)
    )
    request = world.send(
        alice,
        [bob.address],
        "Q3 numbers",
        "Could you send me the Q3 numbers?\n\nThanks",
        date=next(at),
    )
    chat = world.send(alice, [carol.address], "RE:", "Can you make the 3pm call?", date=next(at))
    # carol's answer has no In-Reply-To, as chat-like clients send it
    world.send(carol, [alice.address], "RE:", "Yes, see you then.", date=next(at))
    lease = world.send(
        alice, [dave.address], "Lease", "Can you review the lease tonight?", date=next(at)
    )
    world.send(alice, [dave.address], "Lease", "Never mind, Jim has done it.", date=next(at))

    code, _out, err = run(capsys, "run", "--once")
    assert code == 0, err
    drafts = drafts_of(world, alice)
    assert len(drafts) == 1, run(capsys, "threads", "--all")[1]
    [(raw, _flags)] = drafts
    assert request.encode() in raw  # "Thanks" after a request does not make it a thank-you
    rows = {
        mid: r
        for r in json.loads(run(capsys, "threads", "--json", "--all")[1])
        for mid in r["message_ids"]
    }
    for mid in (closing, answer, confirmed, delivery):
        assert not rows[mid]["awaiting"], rows[mid]
    assert rows[answer]["message_ids"] == [asked, answer]
    assert "a closing" in rows[closing]["reason"] and "a delivery" in rows[delivery]["reason"]
    assert "a confirmation" in rows[confirmed]["reason"]
    assert len(rows[chat]["message_ids"]) == 2 and not rows[chat]["awaiting"]
    assert len(rows[lease]["message_ids"]) == 2 and not rows[lease]["awaiting"]
