"""Grounded offline text: every line of every touch and language names the topic or the ask,
states no fact the thread does not hold, and says "below" only when the quote is there."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from inbox_agent.drafter import OfflineDrafter, prepare
from inbox_agent.drafter.grounding import (
    ask_about,
    ask_for,
    first_ask,
    invented,
    key_words,
    topic,
)
from inbox_agent.drafter.lines import INFORMAL
from inbox_agent.drafter.offline import BELOW, LINES
from inbox_agent.drafter.prompt import build_prompt
from inbox_agent.drafter.request import DraftRequest, Quoted
from inbox_agent.mail import language
from inbox_agent.mail.expects import judge_text
from inbox_agent.mail.letter import register
from inbox_agent.voice.style import plain_brief

_WORD = st.text(st.sampled_from("abcdefghijklmnoprstuvwz"), min_size=3, max_size=9)
_SUBJECT = st.lists(_WORD, min_size=1, max_size=5).map(" ".join)
_ASK = st.lists(_WORD, min_size=3, max_size=10).map(lambda ws: "Could you " + " ".join(ws) + "?")
_ASK_ABOUT = st.tuples(  # the shapes a first nudge asks after in the user's words
    st.sampled_from(["Could you confirm whether", "Can you send me the", "Let me know if"]),
    st.lists(_WORD, min_size=2, max_size=8).map(" ".join),
).map(lambda t: f"{t[0]} {t[1]}?")


def _request(
    lang: str, kind: str, subject: str, ask: str, quoted: bool, target: int, touch: int = 1
) -> DraftRequest:
    brief = plain_brief("Alice Example", "Bob")
    brief = type(brief)(**{**brief.__dict__, "target": target})
    return DraftRequest(
        touch=touch,
        touches=3,
        kind=kind,
        subject=subject,
        user_name="Alice Example",
        recipient_name="Bob",
        thread=(Quoted("Alice <alice@example.test>", True, "", subject, f"Hi Bob,\n\n{ask}"),),
        voice=brief,
        language=lang,
        ask=ask,
        quoted=quoted,
    )


@settings(max_examples=150)
@example(  # the ask's object has one content word: "Any news on the contract?" is grounded
    lang="en",
    kind="bump",
    subject="",
    ask="Can you send me the aaa aaa?",
    quoted=False,
    target=10,
    touch=1,
    address="",
)
@given(
    lang=st.sampled_from(sorted(LINES)),
    kind=st.sampled_from(["bump", "context", "close"]),
    subject=_SUBJECT | st.just("") | st.just("Re: hi"),
    ask=_ASK | _ASK_ABOUT | st.just(""),
    quoted=st.booleans(),
    target=st.integers(3, 60),
    touch=st.integers(1, 4),
    address=st.sampled_from(["", "formal", "informal"]),
)
def test_every_line_is_grounded_and_invents_nothing(
    lang: str,
    kind: str,
    subject: str,
    ask: str,
    quoted: bool,
    target: int,
    touch: int,
    address: str,
) -> None:
    request = replace(_request(lang, kind, subject, ask, quoted, target, touch), register=address)
    core = OfflineDrafter().core(request)
    assert core and "{" not in core
    assert invented(core, request.known_text, lang) == []
    if not quoted:
        assert not BELOW.search(core), core
    named = topic(subject)
    if named or ask:
        grounded = key_words(named) <= key_words(core) if named else False
        grounded = grounded or len(key_words(ask) & key_words(core)) >= min(2, len(key_words(ask)))
        about = ask_about(ask)  # "Any news on the contract?": what the ask waits for, its words
        grounded = grounded or bool(about and about in core)
        assert grounded, (core, subject, ask)


@pytest.mark.parametrize("lang", sorted(LINES))
def test_every_language_has_every_kind_in_its_own_words(lang: str) -> None:
    for kind in ("bump", "context", "close"):
        with_topic, with_ask, quoted, unquoted = LINES[lang][kind]
        assert with_topic and with_ask and quoted and unquoted
        for line in (*with_topic, with_ask, quoted, unquoted):
            filled = line.format(t="x", a="")
            assert language.detect(filled) in ("", lang), (lang, line)
        assert not BELOW.search(unquoted) and not any(BELOW.search(v) for v in with_topic)


def test_the_first_nudge_names_the_contract_and_the_ask() -> None:
    thread = (
        Quoted(
            "Alice <alice@example.test>",
            True,
            "",
            "Signed Q3 contract",
            "Hi Bob,\n\nHope all is well. Could you send me the signed Q3 contract by Friday?\n\n"
            "Thanks,\nAlice",
        ),
    )
    request = prepare(
        touch=1,
        touches=3,
        kind="bump",
        subject="Signed Q3 contract",
        user_name="Alice Example",
        to=["bob@example.test"],
        recipient_name="Bob",
        thread=thread,
        profile=None,
        quoted=True,
    )
    assert request.ask == "Could you send me the signed Q3 contract?"  # the passed deadline cut
    body = OfflineDrafter().draft(request).body
    assert "Any news on the signed Q3 contract?" in body  # what the ask waits for, its words
    second = OfflineDrafter().core(
        _request("en", "context", "Signed Q3 contract", request.ask, True, 20)
    )
    assert "Could you send me the signed Q3 contract?" in second
    last = OfflineDrafter().core(_request("en", "close", "Signed Q3 contract", "", False, 20))
    assert "Signed Q3 contract" in last and "list" in last


@pytest.mark.parametrize(
    ("text", "ask"),
    [
        (
            "Please send me the final numbers when you can.\n\nThanks,\nMike",
            "Please send me the final numbers when you can.",
        ),
        (
            "Sally,\n\nThe deal closed. What is the status of the gas contract?\n\nJohn",
            "What is the status of the gas contract?",
        ),
        (
            "Kannst du den Vertrag bitte unterschreiben?",
            "Kannst du den Vertrag bitte unterschreiben?",
        ),
        ("Pourriez-vous m'envoyer le devis ?", "Pourriez-vous m'envoyer le devis ?"),
        ("Thanks, Mike", ""),
        ("Attached is the report.\n\nRegards,\nMike", ""),
    ],
)
def test_first_ask_finds_the_ask(text: str, ask: str) -> None:
    assert first_ask(text) == ask


@given(
    st.lists(_WORD, min_size=3, max_size=12),
    st.sampled_from(["by Friday", "by end of day", "today", "by tomorrow", "before Monday", ""]),
)
def test_ask_for_only_cuts(words: list[str], deadline: str) -> None:
    ask = "Could you " + " ".join(words) + (f" {deadline}" if deadline else "") + "?"
    got = ask_for("", ask)
    assert set(re.findall(r"\w+", got.lower())) <= set(re.findall(r"\w+", ask.lower()))
    assert deadline == "" or deadline.split()[-1] not in got.lower().split()[-1]


def test_ask_for_prefers_the_given_ask_and_topic_skips_generic_subjects() -> None:
    assert ask_for("Can you confirm the venue?", "What time works?") == "Can you confirm the venue?"
    assert topic("Re: Quick question") == "" and topic("FW: Q3 budget") == "Q3 budget"


def test_invented_finds_what_the_thread_does_not_hold() -> None:
    known = "Could you send the Q3 contract to Bob by March 3?"
    assert invented("Any news on the Q3 contract, Bob?", known) == []
    assert invented("Any news? I can pay $400 by Monday, ask Jim.", known) == [
        "$400",
        "Monday",
        "Jim",
    ]


def test_the_ask_is_the_sentence_the_judgement_quotes_even_when_it_clipped_it() -> None:
    ask = (
        "Could you send me the countersigned transportation agreements for the Gallup "
        "expansion, the Red Rock filing and the Kern River amendment?"
    )
    text = f"Sally,\n\nThe deal closed last week. {ask}\n\nThanks,\nMike"
    verdict = judge_text(text)
    assert verdict.quote.endswith("…") and ask.startswith(verdict.quote[:-1])
    assert first_ask(text) == verdict.quote and ask_for(verdict.quote, text) == ask


@pytest.mark.parametrize(
    ("ask", "line"),
    [
        (
            "Could you confirm by Friday whether legal is fine with clause 7?",
            "Any news on whether legal is fine with clause 7?",
        ),
        ("Can you send me the March budget numbers?", "Any news on the March budget numbers?"),
        ("Let me know if the venue is free.", "Any news on whether the venue is free?"),
        ("Could you please review the draft lease?", "Any news on the draft lease?"),
        ("Can you approve this invoice?", "Any news on this invoice?"),
        ("Can you forward this attachment to the same list?", ""),  # a chore, said whole
        ("Can you check this file every day?", ""),
        # not one of those shapes, or more than one thing: the subject names it
        ("Which one should I book for the team offsite?", ""),
        ("Please send the file so I can review it.", ""),
        ("Let me know if you disagree.", ""),  # a reaction, not something that waits
        ("Let me know when you get this.", ""),
    ],
)
def test_the_first_nudge_asks_after_what_the_ask_waits_for(ask: str, line: str) -> None:
    text = f"Hi Bob,\n\nAttached are our redlines. {ask}\n\nThanks,\nAlice"
    request = _request("en", "bump", "Q3 contract: redlines", ask_for("", text), True, 6)
    core = OfflineDrafter().core(request)
    assert core == line if line else '"Q3 contract: redlines"' in core
    assert invented(core, request.known_text, "en") == []


@pytest.mark.parametrize(
    ("lang", "ask", "formal", "informal"),
    [
        (
            "de",
            "Können Sie mir bis Freitag bestätigen, ob die Rechtsabteilung mit Klausel 7 "
            "einverstanden ist?",
            "Wissen Sie schon, ob die Rechtsabteilung mit Klausel 7 einverstanden ist?",
            "Weißt du schon, ob die Rechtsabteilung mit Klausel 7 einverstanden ist?",
        ),
        (
            "fr",
            "Pourriez-vous me confirmer si le service juridique est d'accord avec la clause 7 ?",
            "Savez-vous déjà si le service juridique est d'accord avec la clause 7 ?",
            "Sais-tu déjà si le service juridique est d'accord avec la clause 7 ?",
        ),
        (
            "es",
            "¿Podrías confirmarme si el equipo legal está de acuerdo con la cláusula 7?",
            "¿Sabe ya si el equipo legal está de acuerdo con la cláusula 7?",
            "¿Sabes ya si el equipo legal está de acuerdo con la cláusula 7?",
        ),
        (
            "it",
            "Potresti confermarmi se l'ufficio legale è d'accordo sulla clausola 7?",
            "Sa già se l'ufficio legale è d'accordo sulla clausola 7?",
            "Sai già se l'ufficio legale è d'accordo sulla clausola 7?",
        ),
        (
            "nl",
            "Kun je bevestigen of de juridische afdeling akkoord is met clausule 7?",
            "Weet u al of de juridische afdeling akkoord is met clausule 7?",
            "Weet je al of de juridische afdeling akkoord is met clausule 7?",
        ),
        (
            "pt",
            "Pode confirmar se o jurídico concorda com a cláusula 7?",
            "Já sabe se o jurídico concorda com a cláusula 7?",
            "Já sabes se o jurídico concorda com a cláusula 7?",
        ),
        (
            "sv",
            "Kan du bekräfta om juristerna godkänner klausul 7?",
            "Vet du redan om juristerna godkänner klausul 7?",
            "Vet du redan om juristerna godkänner klausul 7?",
        ),
        (
            "da",
            "Kan du bekræfte, om juristerne godkender klausul 7?",
            "Ved du allerede, om juristerne godkender klausul 7?",
            "Ved du allerede, om juristerne godkender klausul 7?",
        ),
    ],
)
def test_in_every_language_the_first_nudge_asks_after_what_the_ask_waits_for(
    lang: str, ask: str, formal: str, informal: str
) -> None:
    request = _request(lang, "bump", "Q3", ask_for(ask, ""), True, 8)
    for address, line in (("formal", formal), ("informal", informal), ("", formal)):
        core = OfflineDrafter().core(replace(request, register=address))
        assert core == line
        assert invented(core, request.known_text, lang) == []
        assert language.detect(core) in ("", lang)
        if address:
            assert register(core, lang) in ("", address), core


_PROMISES = {
    "en": "I'll send the signed contract by Thursday.",
    "de": "Ich schicke den Vertrag bis Donnerstag.",
    "fr": "Je vous envoie le contrat signé jeudi.",
    "es": "Te envío el contrato firmado el jueves.",
    "it": "Ti mando il contratto firmato giovedì.",
    "nl": "Ik stuur het getekende contract donderdag.",
    "pt": "Envio o contrato assinado na quinta-feira.",
    "sv": "Jag skickar det undertecknade avtalet på torsdag.",
    "da": "Jeg sender den underskrevne kontrakt på torsdag.",
}


@pytest.mark.parametrize("lang", sorted(LINES))
@pytest.mark.parametrize("address", ["", "formal", "informal"])
def test_a_broken_promise_is_followed_up_in_their_words(lang: str, address: str) -> None:
    said = _PROMISES[lang]
    request = _request(lang, "bump", "Q3 contract", "Could you send me the contract?", True, 10)
    thread = (*request.thread, Quoted("Bob <bob@example.test>", False, "", "Re: Q3", said))
    request = replace(request, thread=thread, promise=said, register=address)
    for kind in ("bump", "context"):
        core = OfflineDrafter().core(replace(request, kind=kind))
        assert said in core and invented(core, request.known_text, lang) == []
        assert language.detect(core) in ("", lang)
        if address:  # never the other "you" than the user's
            assert register(core.replace(said, ""), lang) in ("", address), core
    close = OfflineDrafter().core(replace(request, kind="close"))
    assert said not in close  # the last one closes the loop as ever
    # the model is told what is owed, and to refer to it
    system, user = build_prompt(request)
    assert f'promise, in their words: "{said}"' in system + user
    # a promise the judgement clipped is not quoted half
    clipped = OfflineDrafter().core(replace(request, promise="I'll send the signed …"))
    assert "I'll send the signed" not in clipped


@pytest.mark.parametrize(
    ("subject", "used"),
    [("Please gather the title work", True), ("Q3 contract: redlines", False)],
)
def test_a_follow_up_phrase_of_the_user_names_nothing_from_another_thread(
    subject: str, used: bool
) -> None:
    own = "Have you had a chance to gather the title work?"
    request = _request("en", "bump", subject, "Could you send me the deeds?", True, 10)
    request = replace(
        request,
        voice=replace(request.brief, followups=(own, "Did you get a chance to look at it?")),
    )
    core = OfflineDrafter().core(request)
    assert (own in core) == used
    assert used or core.startswith("Did you get a chance to look at it?")


@pytest.mark.parametrize(
    ("text", "ask"),
    [
        (  # the quote stopped where the client wrapped the line, before the phone number
            "Miles--sorry about the hurry up.  Please give me a call on this at\n402-398-7449.  "
            "Note the issue raised by the email from Rick Dietz. Thanks.  DF",
            "Please give me a call on this at 402-398-7449.",
        ),
        (
            "Two ideas for the quarter.  Let me know if either of these is\nworth pursuing.  DF",
            "Let me know if either of these is worth pursuing.",
        ),
        (  # "PS:" is not part of the ask
            "Mac,\n\nThe address is below.\n\nKeith\n\nPS:  Please confirm receipt of this message.",
            "Please confirm receipt of this message.",
        ),
        (  # what followed was an address block: a broken ask is not restated
            "Thanks for the call.  Please send 5 full sets of my house plan to\n\nDyal Roberts\n"
            "260 Thompson Drive\n\nPhillip",
            "",
        ),
    ],
)
def test_the_ask_is_restated_whole_or_not_at_all(text: str, ask: str) -> None:
    assert ask_for("", text) == ask


@pytest.mark.parametrize(
    ("lang", "ask", "cut"),
    [
        ("en", "Could you send me the signed contract by end of day?", "by end of day"),
        ("de", "Kannst du mir den Vertrag bis Freitag schicken?", "bis Freitag"),
        ("fr", "Pourriez-vous m'envoyer le devis d'ici vendredi ?", "d'ici vendredi"),
        ("es", "¿Puedes enviarme el contrato antes del viernes?", "antes del viernes"),
        ("it", "Puoi mandarmi il contratto entro venerdì?", "entro venerdì"),
        ("nl", "Kun je het contract voor vrijdag sturen?", "voor vrijdag"),
        ("pt", "Pode enviar-me o contrato até sexta-feira?", "até sexta-feira"),
        ("sv", "Kan du skicka avtalet senast fredag?", "senast fredag"),
        ("da", "Kan du sende kontrakten inden fredag?", "inden fredag"),
        ("fr", "Pouvez-vous me répondre aujourd'hui ?", "aujourd'hui"),
    ],
)
def test_a_passed_deadline_is_cut_in_every_language_and_nothing_else(
    lang: str, ask: str, cut: str
) -> None:
    got = ask_for(ask, "")
    assert got == ask.replace(f" {cut}", "")
    assert language.detect(ask) in ("", lang)


@pytest.mark.parametrize("lang", sorted(LINES))
def test_the_lines_never_use_the_informal_you_with_a_formal_writer_nor_the_reverse(
    lang: str,
) -> None:
    def lines(table: dict[str, tuple[tuple[str, ...], str, str, str]]) -> list[str]:
        return [line for kind in table.values() for line in (*kind[0], *kind[1:])]

    assert all(register(line, lang) != "informal" for line in lines(LINES[lang]))
    assert all(register(line, lang) != "formal" for line in lines(INFORMAL.get(lang, {})))
    if lang in INFORMAL:
        request = _request(lang, "bump", "Le devis", "", True, 8)
        for address, expected in (("informal", "toi"), ("formal", "vous"), ("", "vous")):
            text = OfflineDrafter().core(replace(request, register=address))
            assert register(text, lang) == ("informal" if expected == "toi" else "formal")


def test_the_register_is_read_from_how_the_user_writes_to_them() -> None:
    def request(text: str) -> DraftRequest:
        quoted = Quoted("Anne <anne@x.test>", True, "", "Le devis", text)
        return prepare(
            touch=1,
            touches=3,
            kind="bump",
            subject="Le devis",
            user_name="Anne",
            to=("paul@x.test",),
            recipient_name="Paul",
            thread=(quoted,),
            profile=None,
        )

    informal = (
        "Salut Paul,\n\ntu peux m'envoyer le devis pour la cuisine ? Je voudrais le montrer à "
        "mon associé avant de signer.\n\nMerci,\nAnne"
    )
    formal = (
        "Bonjour Paul,\n\npourriez-vous m'envoyer le devis pour la cuisine ? Je voudrais le "
        "montrer à mon associé avant de signer.\n\nCordialement,\nAnne"
    )
    assert request(informal).register == "informal" and request(formal).register == "formal"
    assert "toi" in OfflineDrafter().core(request(informal))
    assert "vous" in OfflineDrafter().core(request(formal))
    assert "with the informal you" in build_prompt(request(informal))[0]  # the model is told too
