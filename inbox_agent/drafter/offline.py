"""The offline drafter: a short nudge that names what is waiting, with no LLM at all.

Pure. Each touch has its lines per language, written by hand: the first names what is waiting
(what the user's own ask waits for, "Any news on whether legal is fine with clause 7?", else
the subject as the topic, and when the user's usual follow-up is long enough, their ask
restated); the ones in between restate the ask and make it easy to answer; the last closes the
loop. When what is owed is the other side's promise, the first two quote it ('You wrote: "I'll
send the figures by Thursday." Any news?'). The only words taken from the thread are the topic
(the subject), the ask (the user's own sentence, a passed deadline cut) and that promise: no
line states a fact the thread does not hold. "Below" is said only when the user's message is
quoted under the nudge (`request.quoted`).
"""

from __future__ import annotations

import re
from typing import ClassVar

from inbox_agent.drafter.grounding import ask_about, key_words, topic
from inbox_agent.drafter.lines import ABOUT, BELOW, EASY, INFORMAL, LINES, PROMISED
from inbox_agent.drafter.request import Draft, DraftRequest
from inbox_agent.mail import language
from inbox_agent.mail.letter import words
from inbox_agent.voice.style import Brief

__all__ = ["BELOW", "LINES", "OfflineDrafter", "compose_body"]


# the first words of a nudge that go on in lower case after a greeting that opens the line
_OPENERS = frozenset(
    re.findall(
        r"\w+",
        "Any Just Coming You To One Did Could Can Would Have Has Is Are Do Quick Following "
        "Checking Circling Please When What How Where Whether A The This That Sorry Thanks "
        "Hope Still Not",
    )
)


def compose_body(core: str, brief: Brief) -> str:
    """The user's greeting, the core, the user's sign-off and signature, as they write them."""
    greeting, signoff, core = brief.greeting, brief.signoff, core.strip()
    if greeting.endswith(" …"):  # "Kay, any news on …": the text goes on after the name
        first = core.split(" ", 1)[0]
        if first in _OPENERS:  # English openers only: never "Sie", "Bob" or "Q3"
            core = core[:1].lower() + core[1:]
        core, greeting = f"{greeting[:-2].rstrip()} {core}", ""
    if signoff.startswith("… "):
        core, signoff = f"{core}  {signoff[2:]}", ""
    text = "\n\n".join(p for p in (greeting, core, signoff) if p)
    if brief.signature:
        text += ("\n" if signoff else "\n\n") + brief.signature
    return text.rstrip() + "\n"


# the words a follow-up phrase may have without naming anything: "Have you had a chance to look
# at it?" may follow up any thread, "… to gather the title work?" only the one about title work
_FOLLOW_UP_WORDS = key_words(
    "have had has did does get got chance look looked heard hear back following follow checking "
    "check circle circling wanted want touch base update updates news thoughts ping bump "
    "reminder gentle friendly just still see quick note message email mail below last earlier "
    "previous sent again yet word anything something time moment able review reviewed sure "
    "wondering know let where what when whether how were stand status progress been there "
    "here think idea ideas come came around chime weigh"
)
PROMISE_MAX_WORDS = 30  # a longer promise is not quoted: the subject names the thread
_PRONOUN_END = re.compile(r"\b(on|about|with|re)\s+(this|that|it)\s*\?$", re.IGNORECASE)


class OfflineDrafter:
    """A short, plain nudge in the thread's language: the product works with no LLM at all."""

    _LINES: ClassVar[dict[str, dict[str, tuple[tuple[str, ...], str, str, str]]]] = LINES

    def core(self, request: DraftRequest) -> str:
        line = self._line(request)
        easy = EASY.get(request.language, EASY["en"])
        target = request.brief.target
        if request.kind == "bump" and abs(words(f"{line} {easy}") - target) < abs(
            words(line) - target
        ):
            line = f"{line} {easy}"  # their follow-ups run longer: make it easy to answer too
        added = [p for p in request.brief.phrases if p.lower() not in line.lower()]
        return " ".join([line, *added])  # the sentences the user always adds to our nudges

    def _line(self, request: DraftRequest) -> str:
        lang = request.language if request.language in LINES else "en"
        kind = request.kind if request.kind in LINES[lang] else "bump"
        informal = request.register == "informal" and lang in INFORMAL
        lines = INFORMAL[lang] if informal else LINES[lang]
        with_topic, with_ask, quoted, unquoted = lines[kind]
        named, ask = topic(request.subject), request.ask
        target = request.brief.target
        promise = request.promise
        whole = promise and not promise.endswith("…") and words(promise) <= PROMISE_MAX_WORDS
        if whole and kind in ("bump", "context"):
            # what is owed is their promise: their words, quoted, and the question
            formal, casual = PROMISED.get(lang, PROMISED["en"])
            line = (casual if request.register == "informal" else formal).format(p=promise)
            return line if kind == "bump" else f"{line} {EASY.get(lang, EASY['en'])}"
        if kind == "bump":
            own = self._own_phrase(request, lang)
            if own and named and _PRONOUN_END.search(own):
                return _PRONOUN_END.sub(lambda m: f'{m.group(1)} "{named}"?', own)
            if own and ask:
                return f"{own} {ask}"
            about = ask_about(ask, lang) if lang in ABOUT else ""
            if about:  # "Any news on whether legal is fine with clause 7?": their own words
                formal, casual = ABOUT[lang]
                return (casual if request.register == "informal" else formal).format(o=about)
        if kind == "context" and ask:
            return with_ask.format(a=ask)
        if named:
            # the variants nearest the user's usual length, taking turns from one touch to the next
            variants = sorted(with_topic, key=lambda v: abs(words(v) - target))[:2]
            line = variants[(request.touch - 1) % len(variants)].format(t=named)
            longer = f"{line} {ask}"
            if kind == "bump" and ask and abs(words(longer) - target) < abs(words(line) - target):
                line = longer  # the user's own question too, when their follow-ups run that long
            return line
        if ask:
            return with_ask.format(a=ask)
        return quoted if request.quoted else unquoted

    @staticmethod
    def _own_phrase(request: DraftRequest, lang: str) -> str:
        """The user's own way of following up, when it is generic enough to reuse anywhere: it
        names nothing this thread does not (a phrase from another thread stays there)."""
        thread_words = key_words(request.known_text)
        for phrase in request.brief.followups:
            if (
                key_words(phrase) <= _FOLLOW_UP_WORDS | thread_words
                and words(phrase) <= 14
                and not re.search(r"\d|@|http", phrase)
                and not re.search(r"\s[A-Z]", phrase.replace(" I ", " i "))
                and phrase.rstrip()[-1:] in ".?!"
                and phrase[:1].isupper()
                and language.detect(phrase) in ("", lang)
                and (request.quoted or not BELOW.search(phrase))
            ):
                return phrase
        return ""

    def draft(self, request: DraftRequest) -> Draft:
        return Draft(compose_body(self.core(request), request.brief), "offline")
