"""Whether a thread that no sequence is running on starts one, and the reason a person can check.

Pure. `judge` reads the mailbox alone: is the last word the user's, to a person, and quiet for
the first gap. `start` adds what the daemon knows besides: the lookback (history is never
nudged), sequences that already followed the message (or sent it: an exhausted sequence's last
nudge is not a new question), `$NoFollowUp`, recipients who opted out, a bounce after the
message, auto-replies that push the first touch back and a deadline the user set. When the last
word is someone else's, a promise they made the user (`owed_promise`) starts a sequence of its
own, anchored on their message, due once the promised day has passed in silence.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from inbox_agent.cadence import Cadence, add_business_days
from inbox_agent.mail.expects import Outcome, Verdict
from inbox_agent.mail.headers import Header, is_noreply
from inbox_agent.store import SequenceRow, SequenceState
from inbox_agent.tracker.habits import first_gap
from inbox_agent.tracker.sequence import (
    DISMISS_KEYWORD,
    FOLLOWUP_KEYWORD,
    Action,
    Context,
    Due,
    Start,
    is_auto_reply,
    pause_until,
)
from inbox_agent.tracker.threads import Thread, last_human

ANNOUNCEMENT = 25  # recipients: mail to this many people is an announcement, never nudged


@dataclass(frozen=True, slots=True)
class Judgement:
    """Whether a thread awaits a reply by the mailbox alone, and the reason a person can check."""

    awaiting: bool
    candidate: bool  # the last word is the user's, to a person: a sequence may start
    last_from_user: bool
    reason: str
    due_at: datetime | None
    unsure: bool = False  # the user's words left it open: theirs to decide, not drafted


def judge(
    thread: Thread,
    user: frozenset[str],
    now: datetime,
    cadence: Cadence,
    verdict: Verdict | None = None,
    unsure_drafts: bool = False,
) -> Judgement:
    """Does this thread await a reply at `now`? Decided from mailbox facts alone.

    `verdict` is what the body of the user's last message said about itself
    (`mail.expects`: it asks, it is a thank-you, an FYI …), when it has been read; an unsure
    one is a candidate only when `unsure_drafts` (`[tracking] unsure = "draft"`)."""
    last = last_human(thread)
    if last is None:
        return Judgement(False, False, False, "no message written by a person", None)
    from_user = last.from_addr in user
    if not from_user:
        return Judgement(
            False, False, False, f"the last word is {last.from_addr or 'unknown'}'s", None
        )
    if verdict is not None and verdict.outcome == Outcome.NO:
        return Judgement(False, False, True, f"needs no answer: {verdict.reason}", None)
    if verdict is not None and verdict.outcome == Outcome.UNSURE and not unsure_drafts:
        return Judgement(
            False,
            False,
            True,
            f"unsure: {verdict.reason}; yours to decide (tag it {FOLLOWUP_KEYWORD} to follow up, "
            f'or set [tracking] unsure = "draft")',
            None,
            unsure=True,
        )
    asks = f"; {verdict.reason}" if verdict is not None else ""
    if any(m.kind == "list" for m in thread.messages):
        return Judgement(False, False, True, "mailing-list thread", None)
    recipients = [a for a in (*last.to, *last.cc) if a not in user]
    if not recipients:
        return Judgement(False, False, True, "sent only to your own addresses", None)
    if all(is_noreply(a) for a in recipients):
        return Judgement(False, False, True, "sent to a no-reply address", None)
    if len(set(recipients)) >= ANNOUNCEMENT:
        return Judgement(
            False, False, True, f"sent to {len(set(recipients))} people: an announcement", None
        )
    if last.date is None:
        return Judgement(False, False, True, "your last message has no date", None)
    due = cadence.due_after(0, last.date)
    if now < due:
        return Judgement(
            False,
            True,
            True,
            f"sent {last.date:%Y-%m-%d}; quiet is not yet long enough (due {due:%Y-%m-%d}){asks}",
            due,
        )
    return Judgement(
        True,
        True,
        True,
        f"no answer since {last.date:%Y-%m-%d %H:%M} to {', '.join(recipients)}{asks}",
        due,
    )


@dataclass(frozen=True)
class Opening:
    """What `start` decided: the actions (a Start, and a Due when it is due at once), the reason
    and when the first touch is due (None: never)."""

    actions: tuple[Action, ...]
    reason: str
    due_at: datetime | None
    unsure: bool = False  # left to the user: their words did not say whether they asked
    verdict: Verdict | None = None  # what the user's last message said about itself, if read
    ended: SequenceState | None = None  # it ended before anything followed it (a bounce, an
    #                                     opt-out): shown as that state
    judged: bool = False  # their words alone (no, unsure) kept a recent message from a sequence


def later_than(thread: Thread, message: Header) -> tuple[Header, ...]:
    """The thread's messages after `message`: what answered it, or bounced it."""
    return thread.messages[thread.messages.index(message) + 1 :]


def start(thread: Thread, known: Iterable[SequenceRow], ctx: Context) -> Opening:
    """Does the thread start a sequence? `known` are the sequences, ended ones too, that know a
    message of the thread."""
    last = last_human(thread)
    said = ctx.fact(last.message_id).verdict if last else None
    if last is not None and last.message_id in ctx.followup:
        said = Verdict(Outcome.EXPECTS, "followup")  # the user's say beats the judgement
    return replace(_opening(thread, known, ctx, said), verdict=said)


def _opening(
    thread: Thread, known: Iterable[SequenceRow], ctx: Context, said: Verdict | None
) -> Opening:
    last = last_human(thread)
    verdict = judge(thread, ctx.user, ctx.now, ctx.cadence, said, ctx.unsure_drafts)
    owed = None
    if not verdict.candidate or last is None or last.date is None:
        owed = owed_promise(thread, ctx)
        if owed is None:
            # an unsure message is the user's to decide while it could still be nudged, not after
            fresh = last is not None and last.date is not None and not _history(last.date, ctx)
            if verdict.unsure and any(mid in ctx.dismissed for mid in thread.message_ids):
                return Opening((), f"you said never ({DISMISS_KEYWORD}): no follow-up, ever", None)
            stop = ctx.fact(last.message_id).opt_out if last is not None else ""
            if stop and last is not None and last.from_addr not in ctx.user:
                why = f'{last.from_addr} asked never to be followed up again ("{stop}")'
                return Opening((), why, None, ended=SequenceState.OPTED_OUT)
            judged = fresh and said is not None and said.outcome != Outcome.EXPECTS
            return Opening((), verdict.reason, None, verdict.unsure and fresh, judged=judged)
    anchor = owed.message if owed else last
    assert anchor is not None and anchor.date is not None
    # a message an earlier sequence already followed (its anchor, or a touch it made: the last
    # nudge of an exhausted one) is not followed up again; a new question of the user's is. A
    # promise is followed by a sequence of its own, even when it ended one on the user's ask
    earlier = next(
        (
            s
            for s in known
            if anchor.message_id == s.anchor_message_id
            or (owed is None and anchor.message_id in s.seen_ids)
        ),
        None,
    )
    if earlier is not None:
        why = f" ({earlier.reason})" if earlier.reason else ""
        return Opening((), f"followed up already: it ended {earlier.state}{why}", None)
    if _history(anchor.date, ctx):
        # the baseline never nudges about messages older than the lookback
        said_then = owed.reason if owed else verdict.reason
        return Opening(
            (),
            f"{said_then}; history (older than lookback {ctx.lookback}), never nudged",
            None,
        )
    if any(mid in ctx.dismissed for mid in thread.message_ids):
        return Opening((), f"you tagged it {DISMISS_KEYWORD}: no follow-up, ever", None)
    people = {anchor.from_addr, *anchor.to, *anchor.cc} - ctx.user
    never = ctx.never_for(people)
    if never:
        return Opening((), f"you never follow up with {', '.join(never)} ([tracking] never)", None)
    stopped = sorted(ctx.opted_out & people)
    if stopped:
        return Opening(
            (),
            f"{', '.join(stopped)} asked never to be followed up again",
            None,
            ended=SequenceState.OPTED_OUT,
        )
    later = later_than(thread, anchor)
    bounce = next((m for m in later if m.kind == "bounce"), None)
    if bounce is not None:
        status = ctx.fact(bounce.message_id).bounce_status or "no status"
        return Opening(
            (),
            f"your message bounced ({status}): there is nobody to nudge",
            None,
            ended=SequenceState.BOUNCED,
        )
    due, why = first_due(anchor, later, ctx)
    reason = owed.reason if owed else verdict.reason
    paused = owed is None and any(is_auto_reply(m, ctx) for m in later)
    if paused:
        reason = why  # what the auto-reply said is the news
    elif why:
        reason = f"{reason}; {why}"
    actions: list[Action] = [
        Start(thread, anchor.message_id, anchor.date, due, reason, bool(paused))
    ]
    if due <= ctx.now:
        actions.append(Due(anchor.message_id, 1, thread))
    return Opening(tuple(actions), reason, due)


@dataclass(frozen=True)
class Owed:
    """A promise someone made the user on a thread, still owed: their message, the day, the
    reason a person can check."""

    message: Header
    by: date
    quote: str

    @property
    def reason(self) -> str:
        return (
            f'{self.message.from_addr} promised: "{self.quote}" (owed by {self.by:%Y-%m-%d}); '
            "followed up when that passes in silence"
        )


def owed_promise(thread: Thread, ctx: Context) -> Owed | None:
    """The promise still owed on the thread: the last message of anyone but the user carries one
    (`mail.promise`, read into its facts), it answered a message of the user's, and nothing came
    from them since. Messages of the user's after it that ask nothing leave it owed; one that asks
    is followed up as itself."""
    if any(m.kind == "list" for m in thread.messages):
        return None
    people = [m for m in thread.messages if m.kind == "normal"]
    theirs = [m for m in people if m.from_addr not in ctx.user]
    if not theirs:
        return None
    last = theirs[-1]
    fact = ctx.fact(last.message_id)
    if not fact.promise or last.date is None or is_noreply(last.from_addr):
        return None
    if not any(m.from_addr in ctx.user for m in people[: people.index(last)]):
        return None  # a promise to the user is an answer to them
    return Owed(last, date.fromisoformat(fact.promise), fact.promise_quote)


def after_deadline(day: date, sent: datetime) -> datetime:
    """The first business day after `day`, at the hour the message was sent."""
    moment = datetime.combine(day, sent.timetz())
    return add_business_days(moment + timedelta(days=1), 0)


def _history(sent: datetime, ctx: Context) -> bool:
    """Older than the lookback: the baseline never nudges it."""
    return ctx.lookback.after(sent) < ctx.now


def first_due(anchor: Header, later: Iterable[Header], ctx: Context) -> tuple[datetime, str]:
    """When the first touch on `anchor` is due, given the messages after it, and what moved it
    from the first gap ("" when nothing did). A promise on their message is owed by its day.
    On the user's own: the first gap, or the recipients' usual delay when longer (never past
    the last gap, `habits.first_gap`); an auto-reply's pause; and a deadline the user set, after
    which the first business day comes."""
    assert anchor.date is not None
    fact = ctx.fact(anchor.message_id)
    if anchor.from_addr not in ctx.user and fact.promise:
        return after_deadline(date.fromisoformat(fact.promise), anchor.date), ""
    to = {*anchor.to, *anchor.cc} - ctx.user
    due, habit = first_gap(anchor.date, ctx.cadence, ctx.habits, to)
    why = [habit] if habit else []
    for auto in later:
        if is_auto_reply(auto, ctx):
            until, paused = pause_until(ctx, 0, auto)
            due, why = max(due, until), [paused]
    if fact.deadline:
        after = after_deadline(date.fromisoformat(fact.deadline), anchor.date)
        if after > due:
            due = after
            why.append(f"not before your deadline {fact.deadline} has passed")
    return due, "; ".join(why)
