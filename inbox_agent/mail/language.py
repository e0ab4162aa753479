"""Which language a piece of mail is written in, from its most common small words.

Pure. Nine languages that cover most mail in Europe and the Americas: English, German, French,
Spanish, Italian, Dutch, Portuguese, Swedish and Danish/Norwegian. It answers "" when it cannot
tell (too few words, or a near tie), so a caller never acts on a guess: a draft is only rejected
for its language when both the thread's language and the draft's are known and differ. Other
scripts (Cyrillic, Greek, CJK, Arabic, Hebrew) are told by their alphabet.

A statistical detector (lingua, langdetect) would know more languages, but costs tens of
megabytes or nondeterminism for a check that only has to tell common languages apart.
"""

from __future__ import annotations

import re
from collections import Counter


def _set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Function words that are frequent in one language and rare in the others. Words shared by two
# languages ("de", "en", "a", "die" in English text about German) are left out on purpose.
_STOPWORDS: dict[str, frozenset[str]] = {
    "en": _set(
        "the and you that this with for have are not but what your will would can could "
        "just know let me thanks thank please any about from was were been there their "
        "they we our it is on of to be if so all when which should here"
    ),
    "de": _set(
        "und ich nicht das ist ein eine einen mit auf für sie wir ihr dass wie auch "
        "noch bitte danke sind haben wird kann können oder aber schon mal gibt dem den "
        "des zum zur bei nach über mir mich uns euch wenn hier gerne grüße du nur ob hast habe hat "
        "hallo vielen dank wollte möchte kurz heute sehr doch sich gruß liebe"
    ),
    "fr": _set(
        "le la les et est une des du pour pas que qui dans sur avec vous nous je "
        "ce cette mais ou bien merci avez êtes sont au aux votre vos mon ma mes "
        "très plus fait être avoir bonjour cordialement"
    ),
    "es": _set(
        "el los las y es una por para con que del al pero como más muy gracias "
        "usted está están tengo tiene hola sobre cuando también sus nuestro nuestra "
        "hay ya puede podemos saludos"
    ),
    "it": _set(
        "il gli e è una per con che di della delle dei non sono ho hai abbiamo "
        "grazie ciao anche come più molto questo questa quando sul nel nella mi ti "
        "ci vi saluti cordiali"
    ),
    "nl": _set(
        "het een en is van dat niet ik je jij wij we zijn met voor op aan ook "
        "maar wat bij nog naar kunt kan graag bedankt groeten dank hebben heb "
        "wordt zou deze dit"
    ),
    "pt": _set(
        "o os as e é um uma para com não que do da dos das mas como mais muito "
        "obrigado obrigada você vocês está estão tenho tem olá sobre quando também "
        "seu sua nosso nossa abraços"
    ),
    "sv": _set(
        "och att är ett inte jag ni för till av vill tack hälsningar också från "
        "skulle bara vad hur ska undrar imorgon"
    ),
    "da": _set(
        "og at er et ikke jeg for til af vil tak hilsen også fra skulle bare hvad hvordan skal"
    ),
}
_SCRIPTS = (
    ("ru", re.compile(r"[\u0400-\u04ff]")),
    ("el", re.compile(r"[\u0370-\u03ff]")),
    ("zh", re.compile(r"[\u4e00-\u9fff]")),
    ("ja", re.compile(r"[\u3040-\u30ff]")),
    ("ko", re.compile(r"[\uac00-\ud7af]")),
    ("ar", re.compile(r"[\u0600-\u06ff]")),
    ("he", re.compile(r"[\u0590-\u05ff]")),
)
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
NAMES = {
    "en": "English",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "nl": "Dutch",
    "pt": "Portuguese",
    "sv": "Swedish",
    "da": "Danish or Norwegian",
    "ru": "Russian",
    "el": "Greek",
    "zh": "Chinese",
    "ja": "Japanese",
    "ko": "Korean",
    "ar": "Arabic",
    "he": "Hebrew",
}
MIN_HITS = 3


def detect(text: str) -> str:
    """An ISO 639-1 code, or "" when the text does not say clearly enough."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return ""
    for code, pattern in _SCRIPTS:
        if len(pattern.findall(text)) > len(letters) * 0.3:
            return "ja" if code == "zh" and _SCRIPTS[3][1].search(text) else code
    words = [w.lower() for w in _WORD.findall(text)]
    hits: Counter[str] = Counter()
    for word in words:
        for code, stop in _STOPWORDS.items():
            if word in stop:
                hits[code] += 1
    ranked = hits.most_common(2)
    if not ranked or ranked[0][1] < MIN_HITS:
        return ""
    best, count = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0
    if count < runner_up * 1.25 + 1:
        return ""
    return best


def name(code: str) -> str:
    """The English name of a language code, for prompts and for people."""
    return NAMES.get(code, code or "the thread's language")
