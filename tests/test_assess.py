"""The one decision (`tracker.decision`): the disagreements it ended, and its promises as properties
over random mailboxes."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from inbox_agent.cadence import Cadence, Gap
from inbox_agent.cli.commands import listed, thread_rows
from inbox_agent.mail.classify import READ_BY, BodyFacts
from inbox_agent.mail.expects import JUDGED_BY
from inbox_agent.mail.headers import Header
from inbox_agent.store import SequenceRow, SequenceState
from inbox_agent.store.states import DRAFTED_SEQUENCES
from inbox_agent.tracker.decision import (
    Assessment,
    assess,
    assessments,
    bodies_needed,
    next_wakeup,
    plan,
)
from inbox_agent.tracker.replay import Event, as_of
from inbox_agent.tracker.sequence import (
    Action,
    Context,
    Due,
    End,
    Observe,
    Pause,
    Start,
    Touched,
)
from inbox_agent.tracker.start import judge
from inbox_agent.tracker.threads import Thread, build_threads
from tests.infra.rows import sequence
from tests.test_sequence import CADENCE, LOOKBACK, T0, USER, mail


def ctx(now: datetime, **kw: object) -> Context:
    return Context(USER, now, kw.pop("cadence", CADENCE), LOOKBACK, **kw)  # type: ignore[arg-type]


def one(
    messages: list[Header], sequences: list[SequenceRow], now: datetime, **kw: object
) -> Assessment:
    [thread] = build_threads(messages)
    return assess(thread, sequences, ctx(now, **kw))


ASKED = mail("<a@x>", "alice@example.test", "bob@example.test", T0)


# -- the disagreements that one decision ended -------------------------------------------------


def test_a_thread_whose_message_bounced_is_not_awaiting() -> None:
    bounce = mail("<b@x>", "mailer-daemon@x.test", "alice@example.test", T0 + timedelta(hours=1))
    bounce = replace(bounce, kind="bounce", in_reply_to=("<a@x>",))
    later = T0 + timedelta(days=5)
    [thread] = build_threads([ASKED, bounce])
    assert judge(thread, USER, later, CADENCE).awaiting  # the mailbox alone says "quiet"
    found = assess(thread, [], ctx(later))
    assert not found.awaiting and found.actions == () and found.due_at is None
    assert "bounced" in found.reason


def test_a_paused_thread_shows_its_pause_date() -> None:
    back = T0 + timedelta(days=12)
    ooo = mail("<o@x>", "bob@example.test", "alice@example.test", T0 + timedelta(hours=1), "<a@x>")
    ooo = replace(ooo, kind="auto_reply")
    facts = {"<o@x>": BodyFacts(out_of_office=True, return_at=back.isoformat())}
    found = one([ASKED, ooo], [], T0 + timedelta(days=5), facts=facts)
    assert found.due_at == back and not found.awaiting
    assert f"({back:%Y-%m-%d})" in found.reason
    # and a running sequence that an out-of-office answers
    seq = sequence(1, "<a@x>", "waiting", 0, T0, T0 + timedelta(days=3), frozenset({"<a@x>"}))
    found = one([ASKED, ooo], [seq], T0 + timedelta(days=2), facts=facts)
    assert [type(a) for a in found.actions] == [Pause] and found.due_at == back


def test_history_dismissed_opted_out_and_followed_messages_are_never_due() -> None:
    old = mail("<h@x>", "alice@example.test", "bob@example.test", T0 - timedelta(days=30))
    history = one([old], [], T0)
    assert not history.awaiting and history.due_at is None and "history" in history.reason
    later = T0 + timedelta(days=5)
    assert "tagged" in one([ASKED], [], later, dismissed=frozenset({"<a@x>"})).reason
    stopped = one([ASKED], [], later, opted_out=frozenset({"bob@example.test"}))
    assert not stopped.awaiting and "bob@example.test asked" in stopped.reason
    ended = sequence(4, "<a@x>", "dismissed", 0, T0, None, frozenset({"<a@x>"}), "by you")
    found = one([ASKED], [ended], later)
    assert not found.awaiting and found.sequence == ended and found.state == "dismissed"
    assert found.reason == "followed up already: it ended dismissed (by you)"


def test_the_wait_after_the_last_touch_is_the_same_after_a_send_and_a_touch_by_hand() -> None:
    cadence = Cadence(2, (Gap(1, "d"), Gap(2, "d"), Gap(9, "d")))  # more gaps than touches
    # the outbox's rule: after the last touch the sequence waits the last gap, then gives up
    assert cadence.due_after(2, T0) == T0 + timedelta(days=9)
    assert cadence.due_after(1, T0) == T0 + timedelta(days=2)
    assert cadence.due_after(0, T0) == T0 + timedelta(days=1)
    by_hand = mail(
        "<n@x>", "alice@example.test", "bob@example.test", T0 + timedelta(days=3), "<a@x>"
    )
    seq = sequence(1, "<a@x>", "waiting", 1, T0, T0 + timedelta(days=5), frozenset({"<a@x>"}))
    found = one([ASKED, by_hand], [seq], T0 + timedelta(days=4), cadence=cadence)
    [touched] = found.actions
    assert isinstance(touched, Touched)
    assert touched.next_due_at == cadence.due_after(2, by_hand.date)  # type: ignore[arg-type]
    assert found.due_at == touched.next_due_at


def test_a_bounce_is_hard_unless_its_status_says_it_may_pass() -> None:
    assert BodyFacts(bounce_status="5.1.1").hard_bounce
    assert BodyFacts(bounce_status="").hard_bounce  # not read (yet): nobody is nudged at it
    assert not BodyFacts(bounce_status="4.2.2").hard_bounce
    seq = sequence(1, "<a@x>", "waiting", 0, T0, T0 + timedelta(days=3), frozenset({"<a@x>"}))
    bounce = replace(
        mail("<b@x>", "mailer-daemon@x.test", "alice@example.test", T0 + timedelta(hours=1)),
        kind="bounce",
        in_reply_to=("<a@x>",),
    )
    soft = {"<b@x>": BodyFacts(bounce_status="4.2.2")}
    assert isinstance(
        one([ASKED, bounce], [seq], T0 + timedelta(days=1), facts=soft).actions[0], Pause
    )
    [end] = one([ASKED, bounce], [seq], T0 + timedelta(days=1)).actions
    assert isinstance(end, End) and end.state == "bounced"


def test_gap_spans_count_business_days_from_a_monday() -> None:
    assert Gap(90, "s").span() == timedelta(seconds=90)
    assert Gap(2, "bd").span() == timedelta(days=2)
    assert Gap(5, "bd").span() == timedelta(days=7)


def test_bodies_are_read_a_whole_thread_at_a_time_the_nudges_due_now_first() -> None:
    """A cycle reads a bounded number: what it reads should let it decide whole threads, and
    first those whose nudge could be due now (a first run's drafts), not merely the newest."""
    now = T0 + timedelta(days=6)
    old = mail("<old@x>", "alice@example.test", "bob@example.test", T0)  # quiet long enough
    ooo = mail("<o@x>", "bob@example.test", "alice@example.test", T0, "<old@x>", "auto_reply")
    new = mail("<new@x>", "alice@example.test", "carol@example.test", now - timedelta(hours=1))
    threads = build_threads([old, replace(ooo, date=T0 + timedelta(minutes=1)), new])
    wanted = [h.message_id for h, _ in bodies_needed(threads, [], ctx(now))]
    assert wanted == ["<old@x>", "<o@x>", "<new@x>"]
    # two bodies a cycle: the thread that could be due, whole; the newest waits
    two = [h.message_id for h, _ in bodies_needed(threads, [], ctx(now), limit=2)]
    assert two == ["<old@x>", "<o@x>"]
    # one: a thread is not split while another fits; one alone bigger than the limit is read
    assert [h.message_id for h, _ in bodies_needed(threads, [], ctx(now), limit=1)] == two


def test_a_thread_whose_mail_is_not_read_yet_starts_nothing_until_it_is() -> None:
    """The daemon reads 100 bodies a cycle: on a first run over a big mailbox, the threads
    whose bodies wait for a later cycle must wait too, not start from their headers alone."""
    later = T0 + timedelta(days=5)
    waiting = one([ASKED], [], later, reads_bodies=True)
    assert waiting.actions == () and not waiting.awaiting and waiting.unread == 1
    assert waiting.state == "untracked" and "not read yet" in waiting.reason
    asks = BodyFacts(expects="expects", expects_kind="ask", judged_by=JUDGED_BY)
    read = one([ASKED], [], later, reads_bodies=True, facts={"<a@x>": asks})
    assert read.unread == 0 and any(isinstance(a, Start) for a in read.actions)
    # an auto-reply after it holds it too: its return date decides when the first touch is due
    ooo = replace(
        mail("<o@x>", "bob@example.test", "alice@example.test", T0 + timedelta(hours=1), "<a@x>"),
        kind="auto_reply",
    )
    held = one([ASKED, ooo], [], later, reads_bodies=True, facts={"<a@x>": asks})
    assert held.actions == () and held.unread == 1
    # a stale verdict (older rules) is read again, but decides meanwhile
    stale = {"<a@x>": replace(asks, judged_by=JUDGED_BY - 1)}
    assert one([ASKED], [], later, reads_bodies=True, facts=stale).actions
    # history is never waited on: mail before the lookback decides nothing
    old = one([ASKED], [], T0 + timedelta(days=90), reads_bodies=True)
    assert old.unread == 0
    # a plan from headers alone (no reader of bodies) decides it as before
    assert one([ASKED], [], later).actions


def test_next_wakeup_names_what_is_due_and_when_the_next_thing_is() -> None:
    due = sequence(1, "<a@x>", "waiting", 0, T0, T0 - timedelta(minutes=1), frozenset())
    later = sequence(2, "<b@x>", "waiting", 0, T0, T0 + timedelta(days=1), frozenset())
    drafted = sequence(3, "<c@x>", "drafted", 0, T0, T0 - timedelta(days=1), frozenset())
    wake = next_wakeup([due, later, drafted], [(7, T0), (8, T0 + timedelta(hours=2))], T0)
    assert wake.reason == "1 nudges due, 1 sends due" and len(wake.due) == 2
    assert wake.at == T0 + timedelta(hours=2)
    assert next_wakeup([], [], T0).due == frozenset() and next_wakeup([], [], T0).at is None


def test_bodies_needed_are_what_the_decision_reads() -> None:
    ooo = replace(
        mail("<o@x>", "bob@example.test", "alice@example.test", T0 + timedelta(hours=1), "<a@x>"),
        kind="auto_reply",
    )
    lone_bounce = replace(
        mail("<b@x>", "mailer-daemon@x.test", "alice@example.test", T0), kind="bounce"
    )
    old = mail("<h@x>", "alice@example.test", "carol@example.test", T0 - timedelta(days=30))
    threads = build_threads([ASKED, ooo, lone_bounce, old])
    wanted = bodies_needed(threads, [], ctx(T0 + timedelta(days=1)))
    assert {(h.message_id, mine) for h, mine in wanted} == {
        ("<a@x>", True),  # does it expect an answer?
        ("<o@x>", False),  # when are they back?
        ("<b@x>", False),  # which message bounced?
    }
    judged = BodyFacts(expects="expects", expects_kind="ask", judged_by=JUDGED_BY)
    read = BodyFacts(read_by=READ_BY)
    known = {"<a@x>": judged, "<o@x>": read, "<b@x>": read}
    assert bodies_needed(threads, [], ctx(T0 + timedelta(days=1), facts=known)) == []
    # the user's words judged by older rules are judged again; inbound facts read by the
    # rules of now are kept
    stale = {**known, "<a@x>": replace(judged, judged_by=JUDGED_BY - 1)}
    again = bodies_needed(threads, [], ctx(T0 + timedelta(days=1), facts=stale))
    assert [(h.message_id, mine) for h, mine in again] == [("<a@x>", True)]
    # and theirs, read by older rules (an out-of-office, a promise, an opt-out), are read again
    older = {**known, "<o@x>": replace(read, read_by=READ_BY - 1)}
    again = bodies_needed(threads, [], ctx(T0 + timedelta(days=1), facts=older))
    assert [(h.message_id, mine) for h, mine in again] == [("<o@x>", False)]
    # a followed thread: every inbound message, and nothing of the user's
    seq = sequence(1, "<a@x>", "waiting", 0, T0, T0 + timedelta(days=3), frozenset({"<a@x>"}))
    followed = bodies_needed(build_threads([ASKED, ooo]), [seq], ctx(T0 + timedelta(days=1)))
    assert [(h.message_id, mine) for h, mine in followed] == [("<o@x>", False)]


def test_as_of_replays_sequences_from_the_audit_log() -> None:
    nudge = mail(
        "<n1@x>", "alice@example.test", "bob@example.test", T0 + timedelta(days=3), "<a@x>"
    )
    reply = mail(
        "<r@x>", "bob@example.test", "alice@example.test", T0 + timedelta(days=5), "<n1@x>"
    )
    stored = sequence(
        1,
        "<a@x>",
        "replied",
        1,
        nudge.date,
        None,
        frozenset({"<a@x>", "<n1@x>", "<r@x>"}),  # type: ignore[arg-type]
        "a reply from bob@example.test",
    )
    log = [
        Event(T0 + timedelta(hours=1), "track", 1, "<a@x>", "", "waiting", "no answer"),
        Event(T0 + timedelta(days=3), "draft", 1, "<n1@x>", "waiting", "scheduled", "touch 1 of 3"),
        Event(
            T0 + timedelta(days=3, minutes=10),
            "sent",
            1,
            "<n1@x>",
            "scheduled",
            "waiting",
            "touch 1 sent",
        ),
        Event(
            T0 + timedelta(days=5, hours=1),
            "end",
            1,
            "<r@x>",
            "waiting",
            "replied",
            "a reply from bob@example.test",
        ),
    ]
    mailbox = [ASKED, nudge, reply]

    def at(moment: datetime) -> tuple[list[SequenceRow], list[Assessment]]:
        threads = build_threads([m for m in mailbox if m.date and m.date <= moment])
        c = ctx(moment, our_ids=frozenset({"<n1@x>"}))
        seqs = as_of([stored], log, threads, c)
        return seqs, assessments(threads, seqs, c)

    assert at(T0 + timedelta(minutes=30)) == ([], at(T0 + timedelta(minutes=30))[1])  # not yet
    [seq], [found] = at(T0 + timedelta(days=1))
    assert (seq.state, seq.touches_sent, seq.next_due_at) == (
        "waiting",
        0,
        CADENCE.due_after(0, T0),
    )
    assert found.sequence == seq and not found.awaiting and found.due_at == seq.next_due_at
    [seq], [found] = at(T0 + timedelta(days=3, hours=1))  # the first nudge went
    assert (seq.state, seq.touches_sent) == ("waiting", 1)
    assert seq.next_due_at == CADENCE.due_after(1, T0 + timedelta(days=3, minutes=10))
    [seq], [found] = at(T0 + timedelta(days=5, minutes=30))  # bob answered; not yet seen
    assert seq.state == "waiting" and not found.awaiting
    assert [type(a) for a in found.actions] == [End] and "bob" in found.reason
    [seq], [found] = at(T0 + timedelta(days=9))  # as it is stored now
    assert seq == stored and found.state == "replied" and not found.awaiting


def test_as_of_follows_a_nudge_handed_back_to_the_queue_and_its_wait() -> None:
    """A scheduled send the user changed (a Cc added) goes back to the approval queue: as it
    stood then, the sequence waits for approval, its wait counted from that moment."""
    due = CADENCE.due_after(0, T0)
    stored = sequence(1, "<a@x>", "expired", 0, T0, None, frozenset({"<a@x>"}), "expired")
    handed = due + timedelta(days=6)
    log = [
        Event(T0 + timedelta(hours=1), "track", 1, "<a@x>", "", "waiting", "no answer"),
        Event(due, "draft", 1, "<n1@x>", "waiting", "scheduled", "touch 1 of 3"),
        Event(handed, "send_refused", 1, "<n1@x>", "scheduled", "awaiting_approval", "a new Cc"),
        Event(handed + timedelta(days=9), "end", 1, "<a@x>", "awaiting_approval", "expired", ""),
    ]
    [then] = as_of([stored], log, build_threads([ASKED]), ctx(handed + timedelta(hours=1)))
    assert then.state == SequenceState.AWAITING_APPROVAL and then.next_due_at == handed


def test_an_exhausted_sequence_does_not_start_again_on_its_own_last_nudge() -> None:
    nudge = mail(
        "<n3@x>", "alice@example.test", "bob@example.test", T0 + timedelta(days=9), "<a@x>"
    )
    ended = sequence(
        1, "<a@x>", "exhausted", 3, T0 + timedelta(days=9), None, frozenset({"<a@x>", "<n3@x>"})
    )
    found = one([ASKED, nudge], [ended], T0 + timedelta(days=20), our_ids=frozenset({"<n3@x>"}))
    assert found.actions == () and not found.awaiting and found.state == "exhausted"
    assert found.reason.startswith("followed up already: it ended exhausted")
    # the user asking again on the thread is a new question: that starts a new sequence
    again = mail(
        "<q@x>", "alice@example.test", "bob@example.test", T0 + timedelta(days=21), "<n3@x>"
    )
    fresh = one([ASKED, nudge, again], [ended], T0 + timedelta(days=22))
    assert [type(a) for a in fresh.actions] == [Start] and fresh.sequence is None


def test_soft_bounces_from_before_the_sequence_end_nothing_by_themselves() -> None:
    # two soft bounces, then the user wrote again (to a fixed address, say): that runs, and no
    # bounce it never had ends it (this planned an IndexError on every tick before)
    soft = [
        replace(
            mail(
                f"<b{i}@x>", "mailer-daemon@x.test", "alice@example.test", T0 - timedelta(hours=i)
            ),
            kind="bounce",
            in_reply_to=("<a0@x>",),
        )
        for i in (1, 2)
    ]
    first = mail("<a0@x>", "alice@example.test", "bob@example.test", T0 - timedelta(hours=3))
    again = mail("<a@x>", "alice@example.test", "bob@example.test", T0, "<a0@x>")
    everything = frozenset({"<a0@x>", "<b1@x>", "<b2@x>", "<a@x>"})
    seq = sequence(1, "<a@x>", "waiting", 0, T0, T0 + timedelta(days=3), everything)
    found = one([first, *soft, again], [seq], T0 + timedelta(days=1))
    assert found.actions == () and found.due_at == T0 + timedelta(days=3)


# -- properties over random mailboxes ----------------------------------------------------------

PEOPLE = ["alice@example.test", "bob@example.test", "carol@example.test", "no-reply@shop.test"]


World = tuple[list[Header], dict[str, BodyFacts], timedelta, Context]


@st.composite
def worlds(draw: st.DrawFn) -> World:
    """A random mailbox over three weeks, random body facts, when to look at it (`Context.now`)
    and how long before that the daemon last planned (mail may have arrived since)."""
    count = draw(st.integers(1, 10))
    out: list[Header] = []
    facts: dict[str, BodyFacts] = {}
    for i in range(count):
        parent = (
            draw(st.one_of(st.none(), st.sampled_from([m.message_id for m in out])))
            if out
            else None
        )
        sender = draw(st.sampled_from([PEOPLE[0], *PEOPLE[:3]]))  # the user writes half of it
        to = draw(st.sampled_from([p for p in PEOPLE if p != sender]))
        kind = draw(
            st.sampled_from(["normal", "normal", "auto_reply", "auto_reply", "bounce", "list"])
        )
        at = T0 + timedelta(hours=draw(st.integers(0, 21 * 24)))
        mid = f"<m{i}@x>"
        out.append(
            mail(mid, sender, to, at, parent, kind if sender != "alice@example.test" else "normal")
        )
        fact = draw(
            st.sampled_from(
                [
                    BodyFacts(),
                    BodyFacts(out_of_office=True, return_at=(at + timedelta(days=9)).isoformat()),
                    BodyFacts(opt_out="not interested"),
                    BodyFacts(bounce_status="4.2.2"),
                    BodyFacts(expects="no", expects_kind="thanks", expects_quote="Thanks!"),
                ]
            )
        )
        if draw(st.booleans()):
            facts[mid] = fact
    now = max(T0 + timedelta(hours=draw(st.integers(0, 40 * 24))), min(m.date for m in out))  # type: ignore[type-var]
    out = [m for m in out if m.date and m.date <= now]  # the mailbox as it stands at `now`
    dismissed = frozenset(draw(st.sets(st.sampled_from([m.message_id for m in out]), max_size=1)))
    opted = frozenset(draw(st.sets(st.sampled_from(PEOPLE[1:3]), max_size=1)))
    ago = timedelta(hours=draw(st.integers(0, 12 * 24)))
    return (
        out,
        facts,
        ago,
        Context(USER, now, CADENCE, LOOKBACK, frozenset(), facts, opted, dismissed),
    )


def fold(seqs: list[SequenceRow], actions: tuple[Action, ...] | list[Action]) -> list[SequenceRow]:
    """What the engine stores for each action (drafting aside: a Due changes no sequence)."""
    by_id = {s.id: s for s in seqs}
    for a in actions:
        if isinstance(a, Start):
            new = sequence(
                len(by_id) + 100,
                a.anchor_message_id,
                "waiting",
                0,
                a.last_touch_at,
                a.next_due_at,
                frozenset(a.thread.message_ids),
                a.reason,
            )
            by_id[new.id] = new
        elif isinstance(a, End):
            by_id[a.sequence_id] = replace(by_id[a.sequence_id], state=a.state, next_due_at=None)
        elif isinstance(a, Pause):
            s = by_id[a.sequence_id]
            by_id[s.id] = replace(s, next_due_at=a.until, seen_ids=s.seen_ids | {a.message_id})
        elif isinstance(a, Touched):
            s = by_id[a.sequence_id]
            by_id[s.id] = replace(
                s,
                touches_sent=s.touches_sent + 1,
                last_touch_at=a.at,
                next_due_at=a.next_due_at,
                seen_ids=s.seen_ids | {a.message_id},
            )
        elif isinstance(a, Observe):
            by_id[a.sequence_id] = replace(by_id[a.sequence_id], seen_ids=a.seen_ids)
    return list(by_id.values())


def started(messages: list[Header], c: Context, ago: timedelta) -> list[SequenceRow]:
    """Sequences as the daemon would have them after planning `ago` before `c.now`."""
    earlier = replace(c, now=c.now - ago)
    visible = [m for m in messages if m.date and m.date <= earlier.now]
    return fold([], plan_actions(build_threads(visible), [], earlier))


def plan_actions(threads: list[Thread], seqs: list[SequenceRow], c: Context) -> list[Action]:
    return plan(
        threads,
        seqs,
        user=c.user,
        now=c.now,
        cadence=c.cadence,
        lookback=c.lookback,
        our_ids=c.our_ids,
        facts=c.facts,
        opted_out=c.opted_out,
        dismissed=c.dismissed,
    )


def drafted_threads(threads: list[Thread], seqs: list[SequenceRow], c: Context) -> set[str]:
    """The threads plan() drafts now (a Due), or whose nudge is drafted and still stands."""
    actions = plan_actions(threads, seqs, c)
    due = {a.anchor_message_id for a in actions if isinstance(a, Due)}
    stopped = {a.sequence_id for a in actions if isinstance(a, End | Pause | Touched)}
    pending = {
        s.anchor_message_id for s in seqs if s.state in DRAFTED_SEQUENCES and s.id not in stopped
    }
    return {t.key for t in threads if (due | pending) & set(t.message_ids)}


@settings(max_examples=300, deadline=None)
@given(worlds(), st.booleans())
def test_threads_awaiting_lists_exactly_what_plan_drafts(world: World, draft_some: bool) -> None:
    messages, _facts, ago, c = world
    threads = build_threads(messages)
    seqs = started(messages, c, ago)
    if draft_some and seqs:
        seqs[0] = replace(seqs[0], state=SequenceState.AWAITING_APPROVAL)
    # what `inbox-agent threads --awaiting` prints, by the functions it prints with
    rows = thread_rows(assessments(threads, seqs, c), "main", USER)
    shown = listed(rows, awaiting=True, everything=False)
    assert {r["thread_id"] for r in shown} == drafted_threads(threads, seqs, c)


def settled(
    thread: Thread, seqs: list[SequenceRow], c: Context
) -> tuple[Assessment, list[SequenceRow]]:
    """The thread's assessment once the daemon has caught up with its mail: a cycle takes one
    new message per sequence into account (a reply, a bounce, an auto-reply, a touch by hand),
    and a thread whose sequence ended is assessed afresh at the next (the user may have written
    since)."""
    found = assess(thread, seqs, c)
    for _ in range(len(thread.messages) + 2):
        if not any(isinstance(a, End | Pause | Touched | Observe) for a in found.actions):
            break
        seqs = fold(seqs, found.actions)
        found = assess(thread, seqs, c)
    return found, seqs


@settings(max_examples=300, deadline=None)
@given(worlds())
def test_a_due_time_shown_is_when_plan_drafts_and_no_due_time_means_never(world: World) -> None:
    messages, _facts, ago, c = world
    seqs = started(messages, c, ago)
    for thread in build_threads(messages):
        found, known = settled(thread, seqs, c)
        if found.awaiting:
            continue
        after = fold(known, found.actions)  # a Start, when it starts one
        if found.due_at is None:
            for later in (c.now + timedelta(days=30), c.now + timedelta(days=400)):
                again = assess(thread, after, replace(c, now=later))
                assert not any(isinstance(a, Due) for a in again.actions)
            continue
        moment = max(found.due_at, c.now)
        then = assess(thread, after, replace(c, now=moment))
        assert then.awaiting or End in [type(a) for a in then.actions]  # drafts, or gives up
        if found.due_at > c.now:
            early = assess(thread, after, replace(c, now=found.due_at - timedelta(seconds=1)))
            assert not early.awaiting


@settings(max_examples=300, deadline=None)
@given(worlds())
def test_an_inbound_message_after_the_last_outbound_is_never_due(world: World) -> None:
    messages, _facts, ago, c = world
    threads = build_threads(messages)
    for found in assessments(threads, started(messages, c, ago), c):
        people = [m for m in found.thread.messages if m.kind in ("normal", "list")]
        if people and people[-1].from_addr not in USER:
            assert not found.awaiting
            assert not any(isinstance(a, Due) for a in found.actions)
        after_ours = found.thread.messages[-1]
        if after_ours.kind == "bounce" and found.sequence is None:
            assert not found.awaiting  # a message that bounced: nobody to nudge


@settings(max_examples=300, deadline=None)
@given(worlds())
def test_with_bodies_read_by_the_caller_nothing_starts_before_its_mail_is_read(
    world: World,
) -> None:
    """Whatever the mailbox and whichever bodies were read: a thread no sequence follows starts
    one only once every body its decision reads is read; and once they all are, it decides
    what a plan from those facts decides."""
    messages, _facts, _ago, c = world
    reading = replace(c, reads_bodies=True)
    for found in assessments(build_threads(messages), [], reading):
        wanted = bodies_needed([found.thread], [], reading, limit=1000)
        unread = [h for h, _mine in wanted if h.message_id not in c.facts]
        assert found.unread == len(unread)
        if unread:
            assert found.actions == () and not found.awaiting
        else:
            assert found == assess(found.thread, [], c)
