"""Does the user's own message expect an answer (`mail.expects`): the kinds the issue names, made
up in the shapes real mail has (Notes and Outlook forwards, "Thanks, Mike" sign-offs), and the
properties that hold for any text: a sign-off or a quoted block never changes the outcome, an ask
is never "no", words that only thank, confirm, deliver or inform are never "expects", and an
answer to the other person's question never expects one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inbox_agent.cadence import Cadence, Gap
from inbox_agent.mail.body import split_new
from inbox_agent.mail.classify import BodyFacts
from inbox_agent.mail.expects import JUDGED_BY, Outcome, judge_text, sentences
from inbox_agent.mail.headers import Header
from inbox_agent.tracker.sequence import Context, Start
from inbox_agent.tracker.start import start
from inbox_agent.tracker.threads import build_threads

NOTES_FORWARD = (
    "---------------------- Forwarded by Ann Lee/HOU/ECT on 10/24/2000 08:12 AM "
    "---------------------------\n\nBob Jones\n10/23/2000 05:01 PM\nTo: Ann Lee/HOU/ECT@ECT\n"
    "Subject: New generation\n\nThe report for this week is attached. Can you check it?\n"
)
OUTLOOK_ORIGINAL = (
    "-----Original Message-----\nFrom: Bob Jones\nSent: Tuesday, May 1, 2001 9:12 AM\n"
    "To: Ann Lee\nSubject: RE: lease\n\nWhat is the address of the new office?\n"
)


def verdict(text: str, subject: str = "Re: lease") -> tuple[Outcome, str]:
    own, quoted = split_new(text)
    said = judge_text(own, subject, forward_marker=bool(quoted))
    return said.outcome, said.reason


@pytest.mark.parametrize(
    ("text", "subject", "outcome", "reason"),
    [
        # the kinds the issue names that need no answer
        (NOTES_FORWARD, "New generation", Outcome.NO, "a forward with no note of yours"),
        (OUTLOOK_ORIGINAL, "lease", Outcome.NO, "a forward with no note of yours"),
        ("FYI, the new rates are on the site.", "rates", Outcome.NO, 'an FYI: "FYI, the new'),
        ("For your information.\n\nAnn", "rates", Outcome.NO, "an FYI"),
        ("Good luck tomorrow.", "Re: talk", Outcome.NO, 'a closing: "Good luck tomorrow."'),
        ("Great job, thanks everyone.", "Re: launch", Outcome.NO, "thanks"),
        ("The address is 12 Elm Street.\n\n" + OUTLOOK_ORIGINAL, "Re: lease", Outcome.NO, ""),
        ("Yes, she starts Monday.", "Re: hire", Outcome.NO, 'an answer: "Yes, she starts'),
        ("Thanks, that's perfect. I'll call her tomorrow.", "Re: x", Outcome.NO, "thanks"),
        ("I'll be there.", "Re: Tuesday", Outcome.NO, 'a confirmation: "I\'ll be there."'),
        ("Can't make it this week, sorry.", "Re: lunch", Outcome.NO, "a confirmation"),
        ("Attached is the summary we discussed.", "summary", Outcome.NO, "a delivery"),
        ("pls print.  thanks df", "Memo", Outcome.NO, "a chore, nothing comes back"),
        ("Let me know if you need anything else.\n\nRegards\nAnn", "x", Outcome.NO, "an offer"),
        ("Thanks- if I can help let me know.", "Re: x", Outcome.NO, "an offer"),
        ("Please call me directly if I can do anything else to help.", "x", Outcome.NO, "an offer"),
        ("Looks good. I will call with any comments.", "Re: memo", Outcome.NO, "an answer"),
        # chores and delegations: what they ask for goes to someone else, or is only done
        ("Please follow-up.\n\n" + NOTES_FORWARD, "suppliers", Outcome.NO, "a chore"),
        ("Please put on calender", "FW: meeting", Outcome.NO, "a chore"),
        ("Karen- please set up a meeting with Bill next week.", "x", Outcome.NO, "a chore"),
        ("Please respond to request below.", "FW: data", Outcome.NO, "a chore"),
        (
            "Maria, pls take a look and get back to Bill.",
            "x",
            Outcome.NO,
            'a request whose result goes to someone else: "Maria, pls take a look',
        ),
        ("Can you help Ron sort through these issues.", "x", Outcome.NO, "a request whose"),
        ("Please let Brian know if there is a problem.", "x", Outcome.NO, "a request whose"),
        ("Gib ihm Bescheid, bitte.", "Termin", Outcome.NO, "a request whose"),
        ("Please join me in congratulating Ken.", "Ken", Outcome.NO, "a closing"),
        ("http://example.test/report?id=12", "report", Outcome.NO, "a statement"),
        # the ones that do
        ("Please send me a summary.\nThanks.", "Q3", Outcome.EXPECTS, 'asks: "Please send me'),
        (
            "Hi Bob,\n\nCould you sign it and send it back by Friday?\n\nThanks,\nAnn",
            "contract",
            Outcome.EXPECTS,
            'asks: "Could you sign it and send it back by Friday?"',
        ),
        ("Is the deal done.", "Re: deal", Outcome.EXPECTS, 'asks: "Is the deal done."'),
        ("fyi-comments? rick", "New Power", Outcome.EXPECTS, 'asks: "fyi-comments?"'),
        ("Please review resume.\n\n" + NOTES_FORWARD, "FW: resume", Outcome.EXPECTS, "asks"),
        ("Does Thursday at 2 work for you?", "meeting", Outcome.EXPECTS, "asks"),
        ("Please confirm receipt.\n\nPhillip", "docs", Outcome.EXPECTS, "asks"),
        ("Please forward me the login and password again.", "x", Outcome.EXPECTS, "asks"),
        ("Can you please add Greg to the distribution.", "x", Outcome.EXPECTS, "asks"),
        ("I have not received the card yet.", "Re: order", Outcome.EXPECTS, "asks"),
        # reported speech is not an ask; the same words said to the reader are
        ("Bob called to let me know that ENA is interested.", "ENA", Outcome.NO, ""),
        ("He let me know that he would contact you.", "Re: x", Outcome.NO, ""),
        ("Please remember to let me know by Friday.", "x", Outcome.EXPECTS, "asks"),
        ("Could you let me know when it ships?", "x", Outcome.EXPECTS, "asks"),
        ("Please contact me anytime I can assist you.", "Re: x", Outcome.NO, "an offer"),
        ("Please fell free to contact him.", "Re: x", Outcome.NO, "an offer"),
        # a delegation that also names the user comes back to the user
        ("Please get back to Britt or me by Friday.", "x", Outcome.EXPECTS, "asks"),
        ("Please let Britt or me know by Friday.", "x", Outcome.EXPECTS, "asks"),
        ("Please get back to Britt on this.", "x", Outcome.NO, ""),
        ("What ever you think is appropriate.", "Re: x", Outcome.NO, ""),
        ("Kannst du mir die Zahlen schicken?", "Zahlen", Outcome.EXPECTS, "asks"),
        ("Pouvez-vous me renvoyer le contrat signé ?", "contrat", Outcome.EXPECTS, "asks"),
        ("¿Puedes enviarme el informe por favor?", "informe", Outcome.EXPECTS, "asks"),
        ("Vielen Dank, das passt.", "Re: Termin", Outcome.NO, "thanks"),
        ("Merci beaucoup !", "Re: contrat", Outcome.NO, "thanks"),
        # standing instructions, fallbacks and remarks on their ideas ask nothing back
        ("Tammy, please ensure that budgets are set up ASAP.", "x", Outcome.NO, "a statement"),
        ("Please begin your focus on EOL liquidity.", "x", Outcome.NO, "a statement"),
        ("Your ideas about the kitchen would still be possible.", "Re: x", Outcome.NO, ""),
        ("Dan will follow up. If not please give me a call.", "Re: x", Outcome.NO, "an offer"),
        # proposals of a time, a request beside a chore, a number in the ask
        ("I can meet at around 5:00.\n\nSound OK.", "Re: today", Outcome.EXPECTS, 'asks: "Sound'),
        ("We should meet today to get a start on this.", "Re: x", Outcome.EXPECTS, "asks"),
        ("We should get together soon.", "Re: x", Outcome.NO, ""),
        (
            "Janet, need the deal list before Friday - please follow up.",
            "",
            Outcome.EXPECTS,
            "asks",
        ),
        (
            "Can you call me at 713-853-1234 to go over it?\n\nAnn",
            "draft",
            Outcome.EXPECTS,
            'asks: "Can you call me at 713-853-1234',
        ),
        # read on aside2 once its figure was taken (2026-12-03)
        ("None had any comments.", "Re: memo", Outcome.NO, ""),
        ("When you come to the stop sign, take a right on Elm.", "Directions", Outcome.NO, ""),
        ("Let me know if you guys have any questions.", "x", Outcome.NO, "an offer"),
        (
            "If you have any questions do not hesitate to give me a call.",
            "x",
            Outcome.NO,
            "an offer",
        ),
        ("Please give me a call if you want to discuss these.", "x", Outcome.NO, "an offer"),
        ("Please keep an eye on this for me.", "x", Outcome.NO, "a chore"),
        ("Pls get me scheduled on the 13th.", "x", Outcome.NO, "a chore"),
        (
            "Will you please get together with Jason on the report.",
            "x",
            Outcome.NO,
            "a request whose",
        ),
        ("Please confirm with Wes.", "x", Outcome.NO, "a request whose"),
        ("Please check with Bob and let me know.", "x", Outcome.EXPECTS, "asks"),
        ("Please grant full access to Dale Furrow.", "x", Outcome.NO, ""),
        ("This report will give us a complete analysis.", "Report", Outcome.NO, ""),
        ("Lets set a date and get after it.", "Re: x", Outcome.EXPECTS, "asks"),
        ("These attachments do not work.", "Re: deck", Outcome.EXPECTS, "asks"),
        # read on aside3 once its held-out figure was taken (2026-12-03)
        ("5:00 pm is fine tomorrow.  Please confirm with TJ.", "Re: x", Outcome.NO, ""),
        ("Please tell Randy.", "x", Outcome.NO, "a request whose"),
        ("Please ask Bob to send me the file.", "x", Outcome.EXPECTS, "asks"),
        ("I will call Bruce this morning.", "Re: x", Outcome.NO, "your own next step"),
        ("Please work directly with Harry and Dana.", "x", Outcome.NO, "a request whose"),
        ("Please let Jacoby's group handle.", "x", Outcome.NO, "a request whose"),
        ("Please remove from email.", "list", Outcome.NO, "a chore"),
        ("Please mark on your calendars to attend.", "x", Outcome.NO, "a chore"),
        ("Could you please enter these reps into my address book", "x", Outcome.NO, "a chore"),
        ("yes--lets talk at 9:30 to prep for the 10:00.", "Re: x", Outcome.NO, ""),
        ("Lets talk at 9 about the filing.", "Re: x", Outcome.EXPECTS, "asks"),
        ("I have been seeing your comments on this process.", "Re: x", Outcome.NO, ""),
        ("They retained Holland to give us another set of eyes.", "Re: x", Outcome.NO, ""),
        ("Please remember to send me the deck.", "x", Outcome.EXPECTS, "asks"),
        (
            "I will work on it Wednesday and ask that each of you review yours.",
            "x",
            Outcome.EXPECTS,
            "",
        ),
        ("We plan to counter.  Let me know if you disagree.", "Re: x", Outcome.NO, ""),
        ("The laptop is here, so if they need it, etc., please let me know.", "x", Outcome.NO, ""),
        ("I tried to run the model and it did not work", "Re: model", Outcome.EXPECTS, "asks"),
        # read on the busiest weeks' nudges (weekly2) once labelled
        ("Please include Bill Bradford if possible.", "x", Outcome.NO, ""),
        ("Please include me on the next draft.", "x", Outcome.EXPECTS, "asks"),
        ("Please include the numbers in your reply.", "x", Outcome.EXPECTS, "asks"),
        ("Please update the doc and send it back.", "x", Outcome.EXPECTS, "asks"),
        ("Please forward to your organization as appropriate.", "x", Outcome.NO, ""),
        ("Please forward this to all ETS lawyers.", "x", Outcome.NO, ""),
        ("Please put in contact book.", "x", Outcome.NO, "a chore"),
        ("Could one of you get me rsvp'd for this", "x", Outcome.NO, "a chore"),
        ("Please also change the March vacation to March 9-13.", "x", Outcome.UNSURE, "a request"),
        ("Please settle with the customer.", "x", Outcome.NO, ""),
        ("Please trade smaller in the future.", "x", Outcome.NO, ""),
        ("Why not use the actual correlations we have seen.", "Re: x", Outcome.NO, ""),
        (
            "Maybe have her contact Ted since he is in London.",
            "Re: x",
            Outcome.NO,
            "a request whose",
        ),
        ("I'd love to see us keep the upside above the rate.", "Re: x", Outcome.NO, ""),
        ("Let me know if I am incorrect.", "Re: x", Outcome.NO, "an offer"),
        ("Rob can you give Om a call.", "x", Outcome.NO, "a request whose"),
        ("All: Please take a look at this article.", "FW: x", Outcome.NO, "an FYI"),
        ("Did you all see the blurb in Sep. 29 Gas Daily?", "x", Outcome.NO, ""),
        ("Please give me or Susan a call with any questions.", "draft", Outcome.NO, "an offer"),
        # read on aside4 once its held-out figure was taken (2026-12-03)
        ("pls give that copy of the filing to maria.", "x", Outcome.NO, ""),
        ("They will not tell us for how long.", "Re: x", Outcome.NO, ""),
        ("Let's go ahead and send our usual format.", "x", Outcome.NO, ""),
        ("Please advise Kimat it is no longer necessary.", "x", Outcome.NO, "a request whose"),
        ("Please ring Draper at AEP.", "x", Outcome.NO, "a request whose"),
        ("David- can you get w/ Sharon Sullo and provide this.", "x", Outcome.NO, "a request"),
        ("Vicki please add some texture if required.", "Re: x", Outcome.NO, "an offer"),
        ("Can you find a date that works for everyone.", "x", Outcome.NO, "a chore"),
        ("Please take the lead on the product list.", "x", Outcome.NO, "a chore"),
        ("Lets discuss this.", "FW: council", Outcome.EXPECTS, "asks"),
        ("Let's discuss this in our Monday meeting.", "Re: x", Outcome.NO, ""),
        ("If your schedule permits, 4pm today would work for us.", "Re: x", Outcome.EXPECTS, ""),
        ("Barry need your accomplishments before Friday.", "x", Outcome.EXPECTS, "asks"),
        ("Thank you.  I just need the transport report.", "Re: x", Outcome.EXPECTS, "asks"),
        ("Greg here are my questions on the deal.", "deal", Outcome.EXPECTS, "asks"),
        ("Thank you in advance for your prompt attention.", "parking", Outcome.EXPECTS, "asks"),
        # read on aside5 once its held-out figure was taken (2026-12-03): a "please" whose
        # result is not said to come back is left to the user; the rest are kinds, not phrases
        ("Please activate product number 45313.", "x", Outcome.UNSURE, "a request"),
        ("Please schedule an afternoon appt.  Thanks", "Re: x", Outcome.UNSURE, "a request"),
        ("Please draft up some language for the policy.", "x", Outcome.EXPECTS, "asks"),
        ("Please sign.", "Contract", Outcome.EXPECTS, "asks"),
        ("pls talk to Norma and find out what we need to do.", "x", Outcome.EXPECTS, "asks"),
        ("Please call or email with an update on the permits.", "x", Outcome.EXPECTS, "asks"),
        ("Let me know if you have an opinion about either.", "x", Outcome.EXPECTS, "asks"),
        ("Let me know if you have any questions.", "x", Outcome.NO, "an offer"),
        ("Rob, lets discuss.", "Re: x", Outcome.EXPECTS, "asks"),
        ("Lets discuss when you have a minute.", "x", Outcome.EXPECTS, "asks"),
        ("Once you get the demand lets discuss before deployment.", "x", Outcome.EXPECTS, ""),
        ("Let's discuss the following.", "x", Outcome.NO, ""),
        ("Please put me down for one large crock pot of chili.", "x", Outcome.NO, "a chore"),
        ("Will you please have me added to the site access?", "x", Outcome.NO, "a chore"),
        ("Will you schedule him for an hour with Phillip and I.", "x", Outcome.NO, "a chore"),
        ("Also, please put a reminder to call Fred.", "x", Outcome.NO, "a chore"),
        # read on aside6 once its held-out figure was taken
        ("The Maritimes case does give us a small foothold.", "Re: x", Outcome.NO, ""),
        ("Don - can you have someone follow-up.   thanks.", "x", Outcome.NO, "a request whose"),
        # no words to go by and no forward: the user decides
        ("", "report.pdf", Outcome.UNSURE, "nothing written of yours"),
    ],
)
def test_the_kinds_of_message(text: str, subject: str, outcome: Outcome, reason: str) -> None:
    got, why = verdict(text, subject)
    assert got == outcome, why
    assert why.startswith(reason), why


ASKS = [
    "Could you sign it and send it back by Friday?",
    "Can you send me the Q3 numbers.",
    "Please send the revised agreements when you get a chance.",
    "What is the status?",
    "Any thoughts?",
    "Let me know when you can send those down to me.",
    "I need a summary on this issue.",
    "Please call to discuss at your convenience.",
]
NO_WORDS = [
    "Thanks for your help.",
    "Thank you!",
    "FYI.",
    "I'll be there.",
    "Attached is the file.",
    "Here is the latest version.",
    "Sounds good.",
    "Approved.",
    "Good luck tomorrow.",
    "Have a good weekend.",
    "Congrats on the new job.",
    "Let me know if you have any questions.",
    "I'll call you tomorrow.",
    "Looks fine to me.",
]
SIGN_OFFS = [
    "",
    "\n\nThanks,\nMike",
    "\n\nRegards\nDelainey",
    "\n\n-- \nAnn Lee\n+1 555 0100",
    "  DF",
]
GREETINGS = ["", "Hi Bob,\n\n", "Jeff,\n\n", "Dear Ms. Lee,\n\n"]


@given(
    st.lists(st.sampled_from(NO_WORDS), min_size=0, max_size=3),
    st.sampled_from(ASKS),
    st.lists(st.sampled_from(NO_WORDS), min_size=0, max_size=3),
    st.sampled_from(GREETINGS),
    st.sampled_from(SIGN_OFFS),
)
def test_a_message_with_an_ask_expects_an_answer(
    before: list[str], ask: str, after: list[str], greeting: str, sign_off: str
) -> None:
    text = greeting + "  ".join([*before, ask, *after]) + sign_off
    got, why = verdict(text, "Q3")
    assert got == Outcome.EXPECTS, (text, why)
    assert ask[:20] in why  # the reason quotes the words that decided it


@given(
    st.lists(st.sampled_from(NO_WORDS), min_size=1, max_size=4),
    st.sampled_from(GREETINGS),
    st.sampled_from(SIGN_OFFS),
    st.sampled_from(["", "\n\n" + OUTLOOK_ORIGINAL, "\n\n" + NOTES_FORWARD]),
)
def test_words_that_only_thank_confirm_deliver_or_inform_never_expect(
    words: list[str], greeting: str, sign_off: str, quoted: str
) -> None:
    text = greeting + "\n".join(words) + sign_off + quoted
    got, why = verdict(text)
    assert got == Outcome.NO, (text, why)


@given(
    st.sampled_from(ASKS + NO_WORDS),
    st.sampled_from(SIGN_OFFS),
    st.sampled_from(["", OUTLOOK_ORIGINAL, NOTES_FORWARD, "> Can you call me?\n> Bob\n"]),
)
def test_a_sign_off_or_a_quoted_block_never_changes_the_outcome(
    words: str, sign_off: str, quoted: str
) -> None:
    plain, _ = verdict(words)
    assert verdict(words + sign_off + ("\n\n" + quoted if quoted else ""))[0] == plain


T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
USER = frozenset({"ann@example.test"})
ANSWERS = [
    "The address is 12 Elm Street.",
    "I haven't seen a contract yet, but Susan thought the deal was done.",
    "We met on Monday. The numbers were fine. Bob agreed. Legal has the draft. It goes out Friday.",
    "Yes, she starts Monday.",
    "Sounds good, thanks.",
    "No, the deal closed last week.",
    "It is on the shared drive.",
    "I think we should go with the second option.",
    "Approved.",
]
QUESTIONS = [
    "What is the address of the new office?",
    "Can you tell me when she starts?",
    "Did the deal close?",
    "Where is the file?",
]


@given(
    st.sampled_from(QUESTIONS),
    st.lists(st.sampled_from(ANSWERS), min_size=1, max_size=3),
    st.sampled_from(SIGN_OFFS),
    st.integers(3, 20),
)
def test_an_answer_to_the_other_persons_question_never_expects_one(
    question: str, answer: list[str], sign_off: str, days: int
) -> None:
    asked = Header(
        "<q@x>",
        (),
        (),
        "lease",
        "bob@example.test",
        "Bob",
        ("ann@example.test",),
        (),
        (),
        T0,
        "normal",
        "",
    )
    reply_text = "\n".join(answer) + sign_off + "\n\n-----Original Message-----\n" + question
    own, quoted = split_new(reply_text)
    said = judge_text(own, "RE: lease", forward_marker=bool(quoted), quoted=quoted)
    reply = Header(
        "<r@x>",
        ("<q@x>",),
        ("<q@x>",),
        "RE: lease",
        "ann@example.test",
        "Ann",
        ("bob@example.test",),
        (),
        (),
        T0 + timedelta(hours=2),
        "normal",
        "",
    )
    facts = {
        "<r@x>": BodyFacts(
            expects=said.outcome,
            expects_kind=said.kind,
            expects_quote=said.quote,
            judged_by=JUDGED_BY,
        )
    }
    ctx = Context(
        USER,
        T0 + timedelta(days=days),
        Cadence(3, (Gap(3, "bd"),)),
        Gap(60, "d"),
        facts=facts,
        unsure_drafts=True,
    )
    opening = start(build_threads([asked, reply])[0], [], ctx)
    assert not opening.actions, opening.reason


# -- the decision: the user's say, unsure, never ----------------------------------------------------
SENT_AT = T0
QUESTION = Header(
    "<u@x>",
    (),
    (),
    "Q3",
    "ann@example.test",
    "Ann",
    ("bob@example.org",),
    (),
    (),
    SENT_AT,
    "normal",
    "",
)


def decide(outcome: Outcome, **kw: object) -> tuple[bool, str, bool]:
    facts = {"<u@x>": BodyFacts(expects=outcome, expects_kind="statement", judged_by=JUDGED_BY)}
    ctx = Context(
        USER,
        SENT_AT + timedelta(days=7),
        Cadence(3, (Gap(3, "bd"),)),
        Gap(30, "d"),
        facts=facts,
        **kw,  # type: ignore[arg-type]
    )
    opening = start(build_threads([QUESTION])[0], [], ctx)
    return bool(opening.actions), opening.reason, opening.unsure


@given(st.sampled_from(list(Outcome)), st.booleans())
def test_followup_always_tracks(outcome: Outcome, unsure_drafts: bool) -> None:
    started, reason, _ = decide(outcome, followup=frozenset({"<u@x>"}), unsure_drafts=unsure_drafts)
    assert started and "$FollowUp" in reason


@given(
    st.one_of(
        st.none(),
        st.text(max_size=300),
        st.sampled_from(ASKS + NO_WORDS + ANSWERS + [NOTES_FORWARD, OUTLOOK_ORIGINAL]),
    ),
    st.booleans(),
    st.integers(3, 13),
)
def test_followup_tracks_whatever_the_words(
    text: str | None, unsure_drafts: bool, days: int
) -> None:
    """Any body, judged by the real rules, or not read at all: $FollowUp starts a sequence."""
    facts = {}
    if text is not None:
        own, quoted = split_new(text)
        said = judge_text(own, "Q3", forward_marker=bool(quoted), quoted=quoted)
        facts["<u@x>"] = BodyFacts(
            expects=said.outcome,
            expects_kind=said.kind,
            expects_quote=said.quote,
            judged_by=JUDGED_BY,
        )
    ctx = Context(
        USER,
        SENT_AT + timedelta(days=days),
        Cadence(3, (Gap(3, "bd"),)),
        Gap(14, "d"),
        facts=facts,
        followup=frozenset({"<u@x>"}),
        unsure_drafts=unsure_drafts,
    )
    opening = start(build_threads([QUESTION])[0], [], ctx)
    assert any(isinstance(a, Start) for a in opening.actions), opening.reason
    assert "$FollowUp" in opening.reason and not opening.judged


@pytest.mark.parametrize(
    ("outcome", "days", "judged"),
    [
        (Outcome.NO, 7, True),
        (Outcome.UNSURE, 7, True),
        (Outcome.EXPECTS, 7, False),  # its `track` row says so
        (Outcome.NO, 40, False),  # history: the first run records nothing about it
    ],
)
def test_a_verdict_that_keeps_a_recent_message_from_a_sequence_is_marked_for_the_audit(
    outcome: Outcome, days: int, judged: bool
) -> None:
    facts = {"<u@x>": BodyFacts(expects=outcome, expects_kind="statement", judged_by=JUDGED_BY)}
    ctx = Context(
        USER, SENT_AT + timedelta(days=days), Cadence(3, (Gap(3, "bd"),)), Gap(14, "d"), facts=facts
    )
    assert start(build_threads([QUESTION])[0], [], ctx).judged == judged


def test_unsure_is_listed_under_skip_and_followed_under_draft() -> None:
    started, reason, unsure = decide(Outcome.UNSURE)
    assert not started and unsure and "yours to decide" in reason
    assert decide(Outcome.UNSURE, unsure_drafts=True)[0]
    assert not decide(Outcome.NO, unsure_drafts=True)[0]
    assert decide(Outcome.EXPECTS)[0]


@pytest.mark.parametrize("never", ["bob@example.org", "@example.org"])
def test_never_per_contact_or_domain_never_starts(never: str) -> None:
    started, reason, _ = decide(Outcome.EXPECTS, never=frozenset({never}))
    assert not started and "never follow up with bob@example.org" in reason


def test_an_unsure_message_older_than_the_lookback_is_history_not_a_question() -> None:
    facts = {
        "<u@x>": BodyFacts(expects=Outcome.UNSURE, expects_kind="statement", judged_by=JUDGED_BY)
    }
    ctx = Context(
        USER, SENT_AT + timedelta(days=40), Cadence(3, (Gap(3, "bd"),)), Gap(14, "d"), facts=facts
    )
    opening = start(build_threads([QUESTION])[0], [], ctx)
    assert not opening.actions and not opening.unsure


def test_the_tray_lists_threads_to_decide_with_follow_up_and_never() -> None:
    from inbox_agent.desktop.menu import MenuActions, menu_model
    from inbox_agent.desktop.status import Snapshot
    from inbox_agent.engine import Undecided

    class Recorder:
        def __init__(self) -> None:
            self.calls: list[tuple[str, tuple[object, ...]]] = []

        def __getattr__(self, name: str) -> object:
            return lambda *args: self.calls.append((name, args))

    why = 'unsure: no ask found in a long message: "The board met."; yours to decide'
    snap = Snapshot(undecided=(Undecided("main", "<n@x>", "Board news", "bob@x.test", why),))
    d = Recorder()
    rows = {r.text: r for r in menu_model(snap, MenuActions(d, d.draft, d.path), T0)}  # type: ignore[arg-type]
    assert "Needs your decision (1)" in rows
    entry = rows["Board news → bob@x.test"]
    assert entry.submenu[0].text.startswith("unsure: no ask found")
    for row in entry.submenu[1:]:
        assert row.action is not None
        row.action()
    assert d.calls == [("decide", ("main", "<n@x>", True)), ("decide", ("main", "<n@x>", False))]


# -- timing: a deadline the user set -------------------------------------------------------------
DEADLINES = [
    "by Friday",
    "before the 15th",
    "by end of next week",
    "by tomorrow",
    "by EOD",
    "by next week",
    "by Monday",
    "bis Freitag",
    "d'ici vendredi",
    "antes del viernes",
]


PACIFIC, TOKYO = timezone(timedelta(hours=-8)), timezone(timedelta(hours=9))


@pytest.mark.parametrize(
    ("sent", "friday", "tomorrow"),
    [
        # Thursday evening in California is Friday in UTC: "by Friday" is the next day
        (datetime(2026, 12, 3, 18, 0, tzinfo=PACIFIC), date(2026, 12, 4), date(2026, 12, 4)),
        # Friday morning in Tokyo is Thursday in UTC: on a Friday, "by Friday" is the next one
        (datetime(2026, 12, 4, 8, 0, tzinfo=TOKYO), date(2026, 12, 11), date(2026, 12, 5)),
        (datetime(2026, 12, 3, 18, 0, tzinfo=UTC), date(2026, 12, 4), date(2026, 12, 4)),
    ],
)
def test_a_deadline_is_read_in_the_writers_own_time(
    sent: datetime, friday: date, tomorrow: date
) -> None:
    """The day a phrase names is counted from the writer's own date (their Date header's
    offset), not from the date in UTC."""
    from inbox_agent.mail.when import deadline

    assert deadline("Could you send it by Friday?", sent) == friday
    assert deadline("Could you send it by tomorrow?", sent) == tomorrow
    assert deadline("Could you send it by EOD?", sent) == sent.date()


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(DEADLINES), st.integers(0, 400), st.integers(0, 23))
def test_a_nudge_never_comes_before_a_deadline_the_user_set(
    phrase: str, day: int, hour: int
) -> None:
    from inbox_agent.mail.when import deadline

    sent = datetime(2026, 1, 1, hour, 7, tzinfo=UTC) + timedelta(days=day)
    text = f"Could you send me the signed copy {phrase}?"
    set_by = deadline(text, sent)
    assert set_by is not None and sent.date() <= set_by, phrase
    asked = Header(
        "<d@x>",
        (),
        (),
        "Q3",
        "ann@example.test",
        "Ann",
        ("bob@example.org",),
        (),
        (),
        sent,
        "normal",
        "",
    )
    fact = BodyFacts(
        expects=Outcome.EXPECTS, expects_kind="ask", judged_by=JUDGED_BY, deadline=str(set_by)
    )
    ctx = Context(
        USER,
        sent + timedelta(days=90),
        Cadence(3, (Gap(1, "bd"),)),
        Gap(120, "d"),
        facts={"<d@x>": fact},
    )
    [begin, *_] = start(build_threads([asked])[0], [], ctx).actions
    assert isinstance(begin, Start)
    assert begin.next_due_at.date() > set_by and begin.next_due_at.weekday() < 5
    assert begin.next_due_at >= Gap(1, "bd").after(sent)  # never sooner than the cadence either


def test_status_shows_the_threads_the_daemon_left_to_decide(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`status` prints what the running daemon's last cycle decided, the tray's list."""
    from inbox_agent.cli import render
    from inbox_agent.desktop.status import AccountView, Snapshot, state_of
    from inbox_agent.engine import Undecided

    why = 'unsure: no ask found in a long message: "The board met."; yours to decide'
    snap = Snapshot(
        accounts=(AccountView("main", "ann@example.test", "copilot", "", "idle"),),
        undecided=(Undecided("main", "<n@x>", "Board news", "bob@x.test", why),),
    )
    state = state_of(snap, 1, "", {})
    [listed] = state["accounts"]["main"]["undecided"]
    assert listed == {
        "thread_id": "<n@x>",
        "subject": "Board news",
        "to": "bob@x.test",
        "reason": why,
    }
    row = {
        "name": "main",
        "email": "ann@example.test",
        "autonomy": "copilot",
        "last_sync": "",
        "watch": "idle",
        "pending_approvals": 0,
        "next_nudge_at": None,
        "scheduled_sends": [],
        "problems": [],
        "undecided": [listed],
        "last_error": None,
    }
    info = {"running": True, "pid": 1, "started_at": "", "paused": False, "accounts": [row]}
    render.status({**info, "log_file": "x.log"}, any_account=True)
    assert "waiting for your decision: 1 (inbox-agent threads --unsure)" in capsys.readouterr().out


# the shapes of today's mail, beside the Enron years the labelled sets come from
TODAYS_ASKS = [
    "LMK.",
    "pls lmk by friday",
    "Looking forward to hearing from you.",
    "Just checking in on the invoice.",
    "Would Tuesday at 10 work",
    "I'd appreciate it if you could send the figures.",
    "Any chance you could cover for me on Monday.",
    "I'd love to get your take on this.",
    "Happy to hop on a call this week - what times work?",
    "Just wanted to confirm that you received the contract.",
    "I hope this meets with your approval.",
    "Please take a look at the draft and mark it up.",
    "What's up with the invoice?",
    "I didn't receive the invoice.",
    "Would like to talk to you about the lease.",
    "Give me a call next week if you can.",
    "Let's talk Monday about the budget.",
    "I need the signed forms ASAP.",
]
TODAYS_NO = [
    "lmk if you need anything",
    # read on aside7 (2026-12-04): errands, delegations, small talk, objection-only asks
    "Can you get me a flight and a hotel for the 12th?",
    "Please add me to the distribution list.",
    "Could you send him the deck before Monday?",
    "Can you talk to Priya about the budget?",
    "Please let the schedulers know that Sam is out.",
    "Please forward the minutes to jane doe.",
    "How was your weekend?",
    "How is it going?",
    "Let me know if you really need her on Saturdays.",
    "Let me know what else I can do to help.",
    "Let me know if anyone has concerns with this plan.",
    "Can you please try to organize a lunch with the team?",
    "We need more time to finish the audit.",
    # read on aside8: reported speech, what someone else was asked, a talk at a meeting set
    "She also let me know that the board approved it.",
    "I have asked Tom to go ahead and set up the account.",
    "Let's discuss this at our 3:00 pm meeting today.",
    "How about them Yankees.",
    "Looking forward to seeing you Tuesday.",
    "Your take on it was spot on.",
    "If you could not attend, no problem.",
    "Happy to chat anytime.",
    "Let me know otherwise.",
    "I'll assume that's fine unless I hear from you.",
]


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        ("It is 12 Elm Street. I would like to see it before we sign.", Outcome.NO),
        ("It is 12 Elm Street. We need a new lease anyway.", Outcome.NO),
        ("It is 12 Elm Street. I need to know by Friday if you want it.", Outcome.EXPECTS),
        ("It is 12 Elm Street. I'd like you to sign it by Friday.", Outcome.EXPECTS),
        ("It is 12 Elm Street. Can you make Tuesday?", Outcome.EXPECTS),
    ],
)
def test_an_answer_with_a_wish_of_the_users_own_is_an_answer(answer: str, outcome: Outcome) -> None:
    """Their message asked; the user's wish ("I would like to see it") does not make the answer
    a question, what is put to them ("I need to know …", "Can you …") does."""
    own, quoted = split_new(answer + "\n\n" + OUTLOOK_ORIGINAL)
    assert judge_text(own, "Re: lease", forward_marker=True, quoted=quoted).outcome == outcome


@pytest.mark.parametrize("text", TODAYS_ASKS)
def test_todays_shapes_of_an_ask_expect_an_answer(text: str) -> None:
    assert verdict(text, "Re: project")[0] == Outcome.EXPECTS


@pytest.mark.parametrize("text", TODAYS_NO)
def test_todays_offers_closings_and_fallbacks_expect_none(text: str) -> None:
    assert verdict(text, "Re: project")[0] == Outcome.NO


def test_an_abbreviation_does_not_end_a_sentence() -> None:
    text = "Did you see Sep. 29 Gas Daily on it? Call Mr. Lee today. It was 5 vs. 3."
    assert sentences(text) == [
        "Did you see Sep. 29 Gas Daily on it?",
        "Call Mr. Lee today.",
        "It was 5 vs. 3.",
    ]
