"""A promise from the other side: "let me check and get back to you by Thursday", "I'll send
it next week", "ich melde mich bis Freitag". The last word is theirs, but something is owed:
when the promised day passes in silence, the user's follow-up is due.

Pure: their new text (quotes cut off) and the moment it was sent in, a `Promise` or None out.
A sentence promises when its writer commits to something that comes back to the reader
(sending, answering, confirming, finding out), in the languages `classify` reads; a question
("Shall I send it?"), a condition ("If you want, I'll send it"), a refusal, or a delivery made
in the same breath ("I'm sending it attached") promises nothing. The day is the one the sentence
names (`when.day_of`), else three business days after the message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from inbox_agent.cadence import add_business_days
from inbox_agent.mail.expects import clip, own_words, sentences
from inbox_agent.mail.when import WHEN, day_of, deadline

UNSTATED = 3  # business days: a promise that names no day is owed after this many
_I = re.IGNORECASE

_COMMIT = re.compile(
    # English: "I'll get back to you", "we will send", "let me check", "will revert tomorrow"
    r"\b(?:i|we)(?:'ll| will| shall|'m going to| am going to| are going to)(?! not\b)\s+(?:\w+\s+){0,3}?"
    r"(?:get back|come back|revert|send|resend|forward|e-?mail|follow up|let you know|reply|respond|"
    r"answer|confirm|find out|look into|check|have (?:it|them|this|that|an answer|something)|"
    r"get (?:it|them|this|that|you|an answer|back)|circle back|update you|keep you posted|be in touch)\b|"
    r"\blet me (?:check|see|look|find out|get back|confirm|ask|dig|review|think)\b|"
    r"^(?:will|shall)\s+(?:get back|revert|send|follow up|let you know|confirm|check|forward)\b|"
    # German: "ich melde mich", "ich schicke es dir", "wir geben Ihnen Bescheid", "ich kläre das"
    r"\b(?:ich|wir)\s+(?:\w+\s+){0,3}?(?:melde|melden|schicke|schicken|sende|senden|kläre|klären|"
    r"gebe (?:dir|ihnen|euch) bescheid|geben (?:dir|ihnen|euch) bescheid|komme .{0,30}zurück)\b|"
    # French: "je reviens vers vous", "je vous envoie", "je vous tiens au courant"
    r"\bje\s+(?:vous\s+|te\s+|t'|v)?(?:\w+\s+){0,2}?(?:reviens|reviendrai|recontacte|recontacterai|"
    r"envoie|enverrai|tiens au courant|tiendrai au courant|confirme|confirmerai|redis|redirai)\b|"
    # Spanish: "te lo envío", "le aviso", "me pondré en contacto"
    r"\b(?:te|le|les|os)\s+(?:lo\s+|la\s+|los\s+|las\s+)?(?:envío|enviaré|mando|mandaré|aviso|avisaré|"
    r"confirmo|confirmaré|respondo|responderé|escribo|escribiré|digo|diré)\b|\bme pondré en contacto\b|"
    # Italian: "ti faccio sapere", "le invio", "ti mando"
    r"\b(?:ti|le|vi)\s+(?:lo\s+|la\s+)?(?:faccio sapere|farò sapere|mando|manderò|invio|invierò|"
    r"rispondo|risponderò|scrivo|scriverò|confermo|confermerò)\b|"
    # Dutch: "ik kom erop terug", "ik stuur het", "ik laat het je weten"
    r"\b(?:ik|wij|we)\s+(?:kom|komen)\b.{0,30}?\bterug\b|"
    r"\b(?:ik|wij|we)\s+(?:stuur|sturen|laat .{0,20}weten|mail|mailen)\b|"
    # Portuguese and Swedish: "te envio", "retorno amanhã", "jag återkommer"
    r"\b(?:te|lhe)\s+(?:envio|enviarei|aviso|avisarei|retorno|respondo|confirmo)\b|\bretorno\b|"
    r"\bjag\s+(?:återkommer|skickar|hör av mig|meddelar)\b",
    _I,
)
_NOT_A_PROMISE = re.compile(
    r"^\W*(?:if|when|once|unless|wenn|falls|sobald|si|se|als|om|quand|cuando)\b|"  # a condition
    # an offer on a condition after it: "I will email you time and sales if you would like."
    r"\bif (?:you|u) (?:would like|'d like|like|want|wish|prefer|need (?:it|them|one))\b|"
    r"\bif (?:needed|necessary|required|you like|wanted)\b|"
    # a visit, not something owed: "I'll come down to check on you during lunch"
    r"\b(?:come|stop|drop|swing) (?:down|by|over|round)\b|\bcheck on (?:you|him|her|them)\b|"
    r"\b(?:attached|enclosed|herewith|anbei|im anhang|ci-joint|adjunto|in allegato|bijgevoegd|em anexo)\b|"
    r"\b(?:can't|cannot|won't|unable|not able)\b",
    _I,
)
_BARE_TIME = re.compile(
    rf"\b(?:on |in |by |until |before )?({WHEN}|later today|this (?:afternoon|evening|morning)|"
    r"(?:in )?a (?:few|couple of) days|morgen|übermorgen|nächste woche|demain|la semaine prochaine|"
    r"mañana|la (?:semana|próxima semana)|domani|la prossima settimana|morgen|volgende week|amanhã|"
    r"i morgon|nästa vecka)\b",
    _I,
)
_SOON = {"later today": 0, "this afternoon": 0, "this evening": 0, "this morning": 0}


@dataclass(frozen=True, slots=True)
class Promise:
    """What the other side promised: the day it is owed by, and their words."""

    by: date
    quote: str
    stated: bool  # the sentence named the day (else it is UNSTATED business days on)


def promised(text: str, sent_at: datetime) -> Promise | None:
    """The first promise in their new `text`, or None."""
    for sentence in sentences(own_words(text)):
        if sentence.rstrip().endswith("?") or _NOT_A_PROMISE.search(sentence):
            continue
        if not _COMMIT.search(sentence):
            continue
        quote = clip(sentence)
        day = _named_day(sentence, sent_at)
        if day is not None:
            return Promise(day, quote, True)
        return Promise(add_business_days(sent_at, UNSTATED).date(), quote, False)
    return None


def _named_day(sentence: str, sent_at: datetime) -> date | None:
    said = deadline(sentence, sent_at)  # "by Thursday", "bis Freitag", "d'ici vendredi"
    if said is not None:
        return said
    for match in _BARE_TIME.finditer(sentence):
        phrase = match.group(1).lower()
        if phrase in _SOON:
            return sent_at.date()
        if "few" in phrase or "couple" in phrase:
            return add_business_days(sent_at, UNSTATED).date()
        day = day_of(phrase, sent_at)
        if day is not None:
            return day
    return None
