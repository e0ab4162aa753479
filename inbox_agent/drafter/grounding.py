"""What a nudge may name: the topic from the subject and the ask from the user's own message.

Pure. `first_ask` is the sentence of the user's message that asks something (a question, or a
request such as "Please send …", "Could you …", "Let me know …"), as the judgement of whether
the message expects an answer (`mail.expects`) quotes it: one table of ask forms decides both.
`ask_for` prefers the ask the caller gives (the engine passes the stored verdict's quote). A
deadline that has passed by the time of the nudge ("by Friday", "today") is cut from it;
nothing is ever added. `topic` is the subject as written, or "" when it names nothing ("Hi",
"Question", "Update"). `invented` says which facts of a text (numbers, money, dates, weekdays,
months, addresses, links, capitalised names) appear nowhere in what it may draw on: the guard
and `scripts/eval_voice` both use it.
"""

from __future__ import annotations

import re

from inbox_agent.mail.body import new_text
from inbox_agent.mail.expects import Outcome, judge_text, own_words, sentences
from inbox_agent.mail.letter import words
from inbox_agent.mail.subject import strip_prefixes

__all__ = ["ASK_MAX_WORDS", "ask_about", "ask_for", "first_ask", "invented", "key_words", "topic"]

ASK_MAX_WORDS = 28
TOPIC_MAX_WORDS = 9

# -- the ask --------------------------------------------------------------------------------------
_DAYS = {  # the days and the words for "today" and "tomorrow" a passed deadline is named by
    "en": "today|tonight|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday",
    "de": "heute|morgen|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag",
    "fr": "aujourd'hui|demain|ce soir|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche",
    "es": "hoy|mañana|esta tarde|lunes|martes|miércoles|jueves|viernes|sábado|domingo",
    "it": "oggi|domani|stasera|lunedì|martedì|mercoledì|giovedì|venerdì|sabato|domenica",
    "nl": "vandaag|morgen|vanavond|maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag",
    "pt": "hoje|amanhã|segunda(?:-feira)?|terça(?:-feira)?|quarta(?:-feira)?|quinta(?:-feira)?|"
    "sexta(?:-feira)?|sábado|domingo",
    "sv": "i ?dag|i ?morgon|i ?kväll|måndag|tisdag|onsdag|torsdag|fredag|lördag|söndag",
    "da": "i ?dag|i ?morgen|i ?aften|mandag|tirsdag|onsdag|torsdag|fredag|lørdag|søndag",
}
_BY = {  # "by", "before", "until" (and the article some languages put before the day)
    "en": r"(?:by|before|until|no later than|on)\s+(?:the\s+)?(?:(?:this|next)\s+)?",
    "de": r"(?:bis|vor|spätestens)\s+(?:(?:zum|am|nächsten?)\s+)?",
    "fr": r"(?:d'ici|avant|pour|au plus tard|jusqu'à)\s+(?:(?:ce|le)\s+)?",
    "es": r"(?:para|antes del?|hasta el|a más tardar el)\s+(?:el\s+)?",
    "it": r"(?:entro|prima di|per)\s+(?:(?:il|la)\s+)?",
    "nl": r"(?:voor|vóór|uiterlijk|tegen)\s+(?:(?:aanstaande|volgende)\s+)?",
    "pt": r"(?:até|antes de)\s+(?:(?:a|o)\s+)?",
    "sv": r"(?:senast|till|före|innan)\s+(?:på\s+)?",
    "da": r"(?:senest|inden|før|til)\s+(?:på\s+)?",
}
_PERIOD_END = {  # "end of the day / week / month", "close of business"
    "en": r"end\s+of\s+(?:the\s+)?(?:day|week|month)|eod|cob|close\s+of\s+business|"
    r"(?:this|next)\s+(?:week|weekend|month)",
    "de": r"(?:ende\s+der\s+woche|ende\s+des\s+monats|feierabend|dienstschluss)",
    "fr": r"(?:la\s+)?fin\s+de\s+(?:la\s+)?(?:journée|semaine|mois)",
    "es": r"(?:el\s+)?fin\s+de\s+(?:semana|mes)|(?:el\s+)?final\s+del\s+día",
    "it": r"(?:la\s+)?fine\s+(?:della\s+)?(?:giornata|settimana|mese)",
    "nl": r"het\s+einde\s+van\s+de\s+(?:dag|week|maand)",
    "pt": r"(?:o\s+)?fim\s+d[oa]\s+(?:dia|semana|mês)",
    "sv": r"slutet\s+av\s+(?:dagen|veckan|månaden)",
    "da": r"udgangen\s+af\s+(?:dagen|ugen|måneden)",
}
_TODAY = {  # a lone "today" or "tomorrow" that ends the ask
    "en": "today|tonight|tomorrow",
    "de": "heute|morgen",
    "fr": "aujourd'hui|demain|ce soir",
    "es": "hoy|mañana",
    "it": "oggi|domani|stasera",
    "nl": "vandaag|morgen|vanavond",
    "pt": "hoje|amanhã",
    "sv": "i ?dag|i ?morgon|i ?kväll",
    "da": "i ?dag|i ?morgen|i ?aften",
}
_STALE = re.compile(
    "|".join(
        rf"[,;]?\s*\b{_BY[lang]}(?:{_PERIOD_END[lang]}|{_DAYS[lang]})\b"
        rf"|[,;]?\s*\b(?:{_TODAY[lang]})\b(?=\s*$)"
        for lang in _DAYS
    ),
    re.IGNORECASE,
)


def first_ask(text: str) -> str:
    """The sentence of the user's message that asks something, as written; "" if none. It is
    the quote of the judgement of whether the message expects an answer (`mail.expects`): one
    table of ask forms decides both, and the engine passes the stored verdict's quote instead."""
    verdict = judge_text(new_text(text))
    return verdict.quote if verdict.outcome == Outcome.EXPECTS and verdict.kind == "ask" else ""


def _whole(ask: str, text: str) -> str:
    """The ask as written when the verdict's quote of it was clipped ("Could you send …")."""
    if not ask.endswith("…"):
        return ask
    head = ask[:-1].rstrip()
    whole = (s for s in sentences(own_words(new_text(text))) if s.startswith(head))
    return next(whole, ask)


# an ask that stops on "to", "at", "the": what followed it was cut (an address block below)
_DANGLING = re.compile(
    r"\b(?:to|at|on|for|with|of|from|by|in|the|a|an|and|or|is|are|my|your)\s*$", re.IGNORECASE
)
_PS = re.compile(r"^(?:p\.?\s?p\.?\s?)?p\.?\s?s\.?\s*[:.-]?\s+", re.IGNORECASE)


def _unwrapped(ask: str, text: str) -> str:
    """The ask to the end of its sentence when the quote of it stopped where the user's mail
    client wrapped the line ("… give me a call on this at" over "402-398-7449."): the rest
    of the sentence in the same paragraph, up to its full stop or question mark."""
    if not ask or ask[-1] in ".?!…":
        return ask
    head = " ".join(ask.split())
    for paragraph in re.split(r"\n[ \t]*\n", new_text(text)):
        flowed = " ".join(paragraph.split())
        at = flowed.find(head)
        if at < 0:
            continue
        rest = re.match(r"[^.?!]*?[.?!](?=\s|$)", flowed[at + len(head) :])
        return head + rest.group(0) if rest else ask
    return ask


def ask_for(given: str, text: str) -> str:
    """The ask a nudge restates: the given one, else the first of `text`; stale deadlines cut,
    never a word added. "" when the message asks nothing, or too much to restate in a line."""
    ask = _whole(" ".join(given.split()) or first_ask(text), text)
    ask = _PS.sub("", _unwrapped(ask, text))
    if not ask or words(ask) > ASK_MAX_WORDS or ask.endswith("…") or _DANGLING.search(ask):
        return ""
    end = ask[-1] if ask[-1] in ".?!" else ""
    core = ask[:-1] if end else ask
    space = core[len(core.rstrip()) :][:1]  # "le devis ?": the French space before "?" stays
    cut = _STALE.sub("", core.rstrip()).rstrip(" ,;:-")
    if words(cut) < 3:
        return ""
    return cut[:1].upper() + cut[1:] + (space + end if end else ".")


# what an English ask waits for, in the user's words: "Could you confirm whether legal is fine
# with clause 7?" waits for "whether legal is fine with clause 7", "Can you send me the March
# budget numbers?" for "the March budget numbers"
_YOU = r"(?:(?:could|can|would|will)\s+you\s+(?:please\s+)?|please\s+|pls\s+)"
_ABOUT_CLAUSE = re.compile(
    rf"^{_YOU}?(?:confirm|let\s+me\s+know|tell\s+me|check|find\s+out|advise)\s+"
    r"(?P<what>(?:whether|if|when|what|which|who|where|how)\s+.+?)\s*[?.!]?$",
    re.IGNORECASE,
)
_ABOUT_THING = re.compile(
    rf"^{_YOU}(?:send|forward|email|fax|get|give|share|return|review|approve|sign|confirm|"
    r"check|finish)\s+(?:(?:me|us)\s+)?(?:back\s+)?"
    r"(?P<what>(?:the|your|this|these)\s+.+?)\s*[?.!]?$",
    re.IGNORECASE,
)
_ABOUT_NOT = re.compile(
    r"^(?:what|how)\s+you\s+(?:think|feel)\b|"
    # "let me know if you disagree", "… when you get this": nothing waits, only a reaction
    r"^(?:if|when)\s+(?:you|u)\s+(?:get|receive|disagree|object|need|want|have|hear|see)\b|\b(?:so|because|since|in order|for me to|"
    r"and|or|but)\b|[?!;:,]|\.\s",
    re.IGNORECASE,
)


_THING_NOT = re.compile(r"\b(?:to|every|each|daily|weekly|again)\b", re.IGNORECASE)


# in the other languages, the clause of a request to confirm or tell whether something is so:
# "Können Sie mir bestätigen, ob die Rechtsabteilung einverstanden ist?" waits for "die
# Rechtsabteilung einverstanden ist" (the line puts "ob" back)
_TELL = {
    "de": (r"bestätigen|sagen|mitteilen|bescheid\s+geben|wissen\s+lassen|klären|prüfen", "ob"),
    "fr": (r"confirmer|dire|indiquer|préciser|faire\s+savoir", "si"),
    "es": (r"confirmar(?:me)?|decir(?:me)?|avisar(?:me)?|indicar(?:me)?", "si"),
    "it": (r"confermar(?:e|mi)|dir(?:e|mi)|far(?:e|mi)\s+sapere|indicar(?:e|mi)", "se"),
    "nl": (r"bevestigen|laten\s+weten|zeggen|vertellen", "of"),
    "pt": (r"confirmar|dizer|avisar|informar", "se"),
    "sv": (r"bekräfta|säga|meddela", "om"),
    "da": (r"bekræfte|sige|meddele|lade\s+(?:mig\s+)?vide", "om"),
}
_TELL_CLAUSE = {
    lang: re.compile(
        rf"\b(?:{verbs})\b[^?]*?,?\s+{conj}\s+(?P<what>[^?,;:]+?)\s*[?.]?\s*$", re.IGNORECASE
    )
    for lang, (verbs, conj) in _TELL.items()
}


def ask_about(ask: str, lang: str = "en") -> str:
    """What an ask waits for, in its own words, for a first nudge to ask after: in English
    "whether legal is fine with clause 7" or "the March budget numbers"; in the other languages
    the clause of a request to confirm whether something is so ("die Rechtsabteilung mit
    Klausel 7 einverstanden ist", for "ob …"). "" when the ask is not one of those shapes, or
    says more than one thing."""
    if lang != "en":
        pattern = _TELL_CLAUSE.get(lang)
        told = pattern.search(ask.strip()) if pattern else None
        what = told.group("what") if told else ""
        return what if 2 <= words(what) <= 14 else ""
    clause = _ABOUT_CLAUSE.match(ask.strip())
    thing = None if clause else _ABOUT_THING.match(ask.strip())
    found = clause or thing
    if found is None:
        return ""
    what = found.group("what")
    if _ABOUT_NOT.search(what) or not 2 <= words(what) <= 14:
        return ""
    if thing and _THING_NOT.search(what):  # "forward this attachment to the list", a chore
        return ""
    if clause and what.lower().startswith("if "):
        what = "whether " + what[3:]  # "Any news on whether …", not "on if …"
    return what


# -- the topic ------------------------------------------------------------------------------------
_GENERIC = frozenset(
    re.findall(
        r"[^,]+",
        "hi,hello,hey,question,questions,quick question,a question,update,updates,follow up,"
        "follow-up,followup,fyi,info,request,help,hallo,frage,bonjour,question rapide,hola,"
        "pregunta,ciao,domanda,vraag,olá,pergunta,hej,fråga,spørgsmål,(no subject),no subject,"
        "test,meeting,call,thanks,thank you,checking in,reminder,news,status,this,that",
    )
)


def topic(subject: str) -> str:
    """The subject as a topic a nudge can name, or "" when it names nothing in particular."""
    text = " ".join(strip_prefixes(subject).split()).strip(" -:;,.!")
    if not text or text.lower() in _GENERIC or words(text) > TOPIC_MAX_WORDS:
        return ""
    if not re.search(r"[^\W\d_]{2}", text):
        return ""
    return text.replace('"', "'")


_STOP = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "for",
        "with",
        "at",
        "by",
        "from",
        "is",
        "are",
        "was",
        "be",
        "this",
        "that",
        "it",
        "my",
        "your",
        "our",
        "re",
        "fw",
        "fwd",
        "aw",
        "wg",
        "tr",
        "sv",
        "vs",
        "mit",
        "und",
        "der",
        "die",
        "das",
        "des",
        "den",
        "dem",
        "ein",
        "eine",
        "le",
        "la",
        "les",
        "des",
        "du",
        "un",
        "une",
        "et",
        "el",
        "los",
        "las",
        "y",
        "di",
        "il",
        "lo",
        "gli",
        "e",
        "het",
        "een",
        "en",
        "van",
        "de",
        "om",
        "och",
        "att",
        "på",
        "och",
        "for",
        "og",
        "til",
        "på",
        "som",
        "hi",
        "hello",
        "please",
        "thanks",
        "thank",
        "you",
        "can",
        "could",
        "would",
        "will",
        "any",
        "news",
        "update",
    ]
)


def key_words(text: str) -> set[str]:
    """The content words of a subject or an ask (three letters or more, no stop-words)."""
    return {w for w in re.findall(r"[^\W\d_]{3,}", text.lower()) if w not in _STOP}


# -- facts that must come from the thread ---------------------------------------------------------
_FACTS = (
    re.compile(r"[$€£]\s?\d[\d,.]*\w*|\d[\d,.]*\s?(?:%|usd|eur|gbp|\$|€|k\b|m\b|mm\b)", re.I),
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    re.compile(r"\b(?:https?://|www\.)\S+", re.I),
    re.compile(r"\d+(?:[:./-]\d+)*"),
    re.compile(
        r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|"
        r"april|june|july|august|september|october|november|december|montag|dienstag|mittwoch|"
        r"donnerstag|freitag|lundi|mardi|mercredi|jeudi|vendredi|lunes|martes|miércoles|jueves|"
        r"viernes|lunedì|martedì|mercoledì|giovedì|venerdì)\b",
        re.I,
    ),
)
_NAME_WORD = re.compile(r"\b[A-Z][a-z]{2,}\b")
_OPENS = re.compile(r"(?:^|[.!?:;\n…])[\s\"'«»„“”(¿¡-]*$")
_NOT_FACTS = frozenset(["I", "OK", "Just", "Any", "Thanks"])


def invented(text: str, known: str, lang: str = "") -> list[str]:
    """The facts in `text` that `known` does not hold: numbers, money, dates, weekdays and
    months, addresses, links and capitalised names (not a sentence's first word; not in German,
    where every noun is capitalised)."""
    lower = known.lower()
    numbers = set(re.findall(r"\d+", known))
    found: list[str] = []
    covered: set[int] = set()
    for pattern in _FACTS:
        for match in pattern.finditer(text):
            if match.start() in covered:
                continue
            covered.update(range(*match.span()))
            fact = match.group(0).strip().rstrip(".,;:!?)")
            parts = re.findall(r"\d+", fact)
            if fact.lower() in lower or (parts and all(n in numbers for n in parts)):
                continue
            found.append(fact)
    for match in _NAME_WORD.finditer(text if lang != "de" else ""):
        name = match.group(0)
        if _OPENS.search(text[: match.start()]) or name in _NOT_FACTS:
            continue
        if name.lower() not in lower:
            found.append(name)
    return list(dict.fromkeys(found))
