"""One message read as a letter: greeting, core, sign-off and signature, and how formal it reads.

Pure. `split()` takes the new text of a message (quotes already cut by `body.new_text`) and the
names the writer signs with, and returns its `Parts`. Greetings are kept as templates ("Hi
{name},", "{name},", "All,") so that a habit can be counted across recipients; a greeting that
opens the first line of text ("Ted- I'm in New Hampshire") ends in " …", and a sign-off at the
end of the last line ("…if this is OK.  Thanks DF") starts with "… ".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from inbox_agent.mail.body import split_signature

_GREET_WORDS = (
    "hi there|hello there|hey there|good morning|good afternoon|good evening|hi|hello|hey|hiya|"
    "howdy|dear|morning|greetings|hallo|liebe|lieber|sehr geehrte|sehr geehrter|guten morgen|"
    "guten tag|moin|servus|bonjour|bonsoir|salut|chère|cher|hola|buenos días|buenas tardes|"
    "estimada|estimado|querida|querido|ciao|salve|buongiorno|gentile|cara|caro|hoi|beste|"
    "goedemorgen|olá|oi|bom dia|boa tarde|prezada|prezado|hejsan|hej|kære"
)
_GROUP_WORDS = (
    "all|everyone|everybody|team|guys|folks|gentlemen|ladies|both|y'all|you all|alle|zusammen|"
    "tous|todos|todas|tutti|allemaal|allihop"
)
_NAME = (
    r"[A-ZÀ-Þ][\w'’.-]*(?:[ \t]+(?:(?:and|&|und|et|y|e|en|og|och)[ \t]+)?[A-ZÀ-Þ][\w'’.-]*){0,2}"
)
_PUNCT = r"(?P<punct>[,!:;.]|-{1,2}|–|—)"
_GREETING = re.compile(
    rf"^(?P<word>(?i:{_GREET_WORDS}))\b[ \t]*(?:(?P<group>(?i:{_GROUP_WORDS}))\b|(?P<name>{_NAME}))?"
    rf"[ \t]*{_PUNCT}?[ \t]*(?P<rest>.*)$"
)
_NAME_ONLY = re.compile(
    rf"^(?:(?P<group>(?i:{_GROUP_WORDS}))\b|(?P<name>{_NAME}))[ \t]*{_PUNCT}[ \t]*(?P<rest>.*)$"
)
NOT_NAMES = frozenset(
    re.split(
        r"\s+",
        "thanks thank yes no ok okay sure agreed attached fyi note please update sorry great "
        "done good also and but so well hello hi hey dear regards best cheers question re fw fwd "
        "subject to from cc date sent importance all everyone team guys folks",
    )
)
VALEDICTIONS = (
    "thanks again|thanks so much|thanks a lot|thanks much|many thanks|thank you very much|"
    "thank you so much|thank you again|thank you|thanks|thanx|thx|tks|tx|cheers|best regards|"
    "kind regards|warm regards|warmest regards|regards|warmly|best wishes|all the best|best|"
    "yours sincerely|sincerely yours|sincerely|yours truly|yours|respectfully|take care|"
    "talk soon|speak soon|later|love|xoxo|rgds|mit freundlichen grüßen|mit freundlichem gruß|"
    "freundliche grüße|viele grüße|liebe grüße|beste grüße|schöne grüße|herzliche grüße|grüße|"
    "gruß|lg|vg|bien cordialement|cordialement|bien à vous|amicalement|bises|merci beaucoup|"
    "merci|saludos cordiales|un saludo|saludos|atentamente|un abrazo|muchas gracias|gracias|"
    "cordiali saluti|saluti|un saluto|grazie mille|grazie|a presto|met vriendelijke groet|"
    "vriendelijke groeten|hartelijke groeten|groetjes|groeten|bedankt|abraços|atenciosamente|"
    "obrigado|obrigada|med vänliga hälsningar|vänliga hälsningar|hälsningar|mvh|tack|"
    "med venlig hilsen|venlig hilsen|hilsen|tak"
)
VALEDICTION_LINE = re.compile(rf"^[-–—~ \t]*(?i:{VALEDICTIONS})[ \t]*[,.!:;…]*[ \t]*$")
LIKELY_NAME = re.compile(
    r"^[-–—~ \t]*(?:[A-Z][\w'’.-]*(?:[ \t]+[A-Z][\w'’.-]*){0,3}|[A-Za-z]{1,3})[ \t]*$"
)
EMOJI = re.compile(
    "[\U0001f300-\U0001faff\u2600-\u27bf\u2b50\u2b55]|(?<!\\w)[:;]-?[)(DPp](?!\\w)", re.UNICODE
)
_CONTRACTION = re.compile(r"\b\w+['’](?:m|re|ve|ll|d|s|t)\b", re.IGNORECASE)
_WORDS = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")


def words(text: str) -> int:
    return len(_WORDS.findall(text))


def first_name(display: str, address: str = "") -> str:
    """ "Stone, Bob" → Bob; "Bob Stone" → Bob; bob.stone@x → Bob; "" when nothing says it."""
    name = display.strip().strip('"').strip("'")
    if "@" in name:
        name = ""
    if "," in name:
        name = name.split(",", 1)[1].strip()
    parts = [p for p in name.split() if p.rstrip(".").isalpha() and len(p.rstrip(".")) > 1]
    word = parts[0] if parts else ""
    if not word and address:
        # only "first.last@" says a first name; "scsatkfa@" or "jsmith@" does not
        tokens = re.split(r"[._-]", address.split("@")[0].split("+")[0])
        word = tokens[0] if len(tokens) > 1 and tokens[0].isalpha() and len(tokens[0]) > 1 else ""
        word = word.lower()
    return word[:1].upper() + word[1:] if word else ""


def name_tokens(display: str, address: str = "") -> set[str]:
    """Every word a greeting might use for this person, lower-cased."""
    tokens = {t.lower() for t in re.split(r"[\s,.\"']+", display) if len(t) > 1}
    local = address.split("@")[0]
    tokens |= {t.lower() for t in re.split(r"[._+-]", local) if len(t) > 1 and t.isalpha()}
    return tokens


# -- one message ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Parts:
    """One message cut into what a style profile needs."""

    greeting: str  # template: "Hi {name},", "{name},", "All,", "{name} - …" (inline); "" none
    greeting_literal: str  # as written: "Hi Bob,"
    core: str  # what is between the greeting and the closing
    closing: str  # the sign-off as written: "Thanks,\nMike", "… Thanks DF" (inline); "" none
    signature: str  # contact lines under the sign-off name, or the block after "-- "


# the short forms that do not start like the name they stand for ("Bob" for Robert)
_SHORT_FORMS = {
    "bob": "robert",
    "bobby": "robert",
    "bill": "william",
    "billy": "william",
    "dick": "richard",
    "peggy": "margaret",
    "ted": "edward",
    "ned": "edward",
    "hank": "henry",
    "liz": "elizabeth",
    "beth": "elizabeth",
    "betsy": "elizabeth",
    "betty": "elizabeth",
    "jack": "john",
    "jerry": "gerald",
    "tony": "anthony",
    "sandy": "alexander",
    "sally": "sarah",
    "molly": "mary",
    "polly": "mary",
    "chuck": "charles",
}


def _is_reader(word: str, recipient_tokens: set[str]) -> bool:
    """Is this one word the recipient's name, or a common short form of it?"""
    low = word.lower()
    return low not in NOT_NAMES and (
        low in recipient_tokens or _SHORT_FORMS.get(low, "") in recipient_tokens
    )


def _nickname(name: str, punct: str | None, recipient_tokens: set[str]) -> bool:
    """ "Jim, can you …" to James Steffes, "Steve, what …" to Stephen, "Bob, please …" to
    Robert: one word before a comma that starts like a recipient's name (the same first two
    letters, or a three-letter short form), or is a common short form of it."""
    word = name.lower()
    if punct != "," or " " in name or word in NOT_NAMES or len(word) < 2:
        return False
    if _SHORT_FORMS.get(word) in recipient_tokens:
        return True
    return any(
        t[:2] == word[:2] or (t[:1] == word[:1] and len(word) <= 3 < len(t))
        for t in recipient_tokens
        if len(t) >= 2
    )


# the words that follow a name said to its reader with no comma: "Kay please forward …",
# "Rob can you …", "Rick which meeting …" (not "Ryan has done …", "Keith and I …")
_VOCATIVE_NEXT = re.compile(
    r"^(?:please|pls|can|could|would|do|did|are|have you|need|needs|which|what|when|where|why|"
    r"how|let|thanks|thank|fyi|any|just|sorry|see|here)\b"
)


def _greeting(line: str, recipient_tokens: set[str]) -> tuple[str, str, str] | None:
    """(template, literal, rest of the line) when the line opens with a greeting."""
    lower = re.match(r"^([a-z]{2,})[ \t]*,[ \t]*(\S.*)?$", line)
    if lower and lower.group(1) in recipient_tokens:  # "kay, see when this is", "mary,"
        if lower.group(2) is None:
            return "{name},", line.strip(), ""
        return "{name}, …", line[: lower.start(2)].rstrip(), lower.group(2)
    bare = re.match(r"^([A-Za-z][a-z]+)(?:[ \t]+(\S.*))?$", line)
    if bare and _is_reader(bare.group(1), recipient_tokens):
        if bare.group(2) is None:  # "Mary" alone on the first line
            return "{name}", bare.group(1), ""
        if _VOCATIVE_NEXT.match(bare.group(2)):  # "Kay please send regrets"
            return "{name} …", bare.group(1), bare.group(2)
    m = _GREETING.match(line)
    if m and (m.group("name") or "").lower() not in NOT_NAMES:
        slot = "{name}" if m.group("name") else (m.group("group") or "")
        word = m.group("word")
    else:
        m = _NAME_ONLY.match(line)
        if not m:
            return None
        slot, word = m.group("group") or "", ""
        name = m.group("name") or ""
        if name:
            known = {t.lower() for t in re.split(r"[ \t]+", name)} & recipient_tokens
            lone = (
                not m.group("rest")
                and m.group("punct") in (",", ":")
                and len(name.split()) == 1
                and name.lower() not in NOT_NAMES
            )
            if not known and not lone and not _nickname(name, m.group("punct"), recipient_tokens):
                return None
            slot = "{name}"
    punct = m.group("punct") or ""
    punct = " -" if punct.startswith(("-", "–", "—")) else punct
    rest = m.group("rest").strip()
    template = f"{word}{' ' if word and slot else ''}{slot}{punct}" + (" …" if rest else "")
    literal = line[: m.start("rest")].rstrip() if rest else line.strip()
    return template, literal, rest


def _closing(lines: list[str], names: set[str]) -> tuple[int, str, str, str]:
    """(index where the closing starts, closing, signature, text left on an inline line)."""
    content = [i for i, line in enumerate(lines) if line.strip()]
    if not content:
        return len(lines), "", "", ""
    last = content[-1]
    window = content[-8:]
    for i in reversed(window):
        if VALEDICTION_LINE.match(lines[i]):
            after = [lines[j].strip() for j in content if j > i]
            if len(after) > 6 or any(words(a) > 10 or a.endswith("?") for a in after):
                break
            name = after[:1] if after and LIKELY_NAME.match(after[0]) else []
            closing = "\n".join([lines[i].strip(), *name])
            return i, closing, "\n".join(after[len(name) :]), ""
    # "… Is Cassandra there today? Rick" over "Rick Buy": the line a phone adds under what was
    # typed (its footer already cut); the sign-off is the one at the end of the typed line
    if len(content) > 1 and content[-2] == last - 1 and _bare(lines[last]) in names:
        inline = _inline_closing(lines[last - 1], names)
        if inline and _bare(inline[1].split()[-1]) in names:
            return last - 1, "… " + inline[1], lines[last].strip(), inline[0]
    for i in reversed(content[-5:]):
        bare = lines[i].strip().lstrip("-–—~ ").rstrip(".")
        if bare.lower() in names:
            after = [lines[j].strip() for j in content if j > i]
            if all(words(a) <= 10 for a in after):
                return i, lines[i].strip(), "\n".join(after), ""
    inline = _inline_closing(lines[last], names)
    if inline:
        lead, closing = inline
        return last, "… " + closing, "", lead
    return len(lines), "", "", ""


def _bare(line: str) -> str:
    return line.strip().lstrip("-–—~ ").rstrip(".").lower()


def _inline_closing(line: str, names: set[str]) -> tuple[str, str] | None:
    """ "…this is OK.  Thanks DF" → ("…this is OK.", "Thanks DF")."""
    text = line.strip()
    m = re.match(
        rf"^(?P<lead>.*?[.!?)])[ \t]+(?P<close>(?P<val>(?i:{VALEDICTIONS})[,.!]?[ \t]*)?"
        r"(?P<name>[-–~]?[\w'’.]+?)?[.!]?)[ \t]*$",
        text,
    )
    if not m or not m.group("close"):
        return None
    name = (m.group("name") or "").lstrip("-–~").rstrip(".").lower()
    if name and name not in names:
        # "…for the report. Thanks!" has no name: the last word is the valediction itself
        if m.group("val") or not re.fullmatch(rf"(?i:{VALEDICTIONS})", name):
            return None
    elif not name and not m.group("val"):
        return None
    return m.group("lead"), m.group("close").strip()


def expand_names(user_names: Iterable[str]) -> set[str]:
    """The forms a person signs with, lower-cased: "Allen, Phillip K." gives phillip k allen,
    phillip allen, phillip, allen, pka and pa."""
    names: set[str] = set()
    for full in user_names:
        if "," in full:  # "Allen, Phillip K." → "Phillip K. Allen"
            last, _, rest = full.partition(",")
            full = f"{rest.strip()} {last.strip()}"
        tokens = [t.strip(".") for t in full.split() if t.strip(".")]
        if not tokens:
            continue
        names |= {" ".join(tokens).lower(), tokens[0].lower(), tokens[-1].lower()}
        if len(tokens) > 1:
            names.add(f"{tokens[0]} {tokens[-1]}".lower())
            names.add("".join(t[0] for t in tokens).lower())
            names.add((tokens[0][0] + tokens[-1][0]).lower())
    return names


def split(text: str, names: Iterable[str] = (), recipient_tokens: Iterable[str] = ()) -> Parts:
    """Greeting, core, closing and signature of a message's new text (quotes already cut)."""
    text, dashed = split_signature(text)
    known = expand_names(n for n in names if n)
    lines = [line.rstrip() for line in text.split("\n")]
    greeting = literal = ""
    start = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    if start < len(lines):
        found = _greeting(lines[start].strip(), {t.lower() for t in recipient_tokens})
        if found:
            greeting, literal, rest = found
            lines[start] = rest
    at, closing, signature, lead = _closing(lines, known)
    body = [*lines[:at], lead] if lead else lines[:at]
    core = "\n".join(line.strip() for line in body).strip()
    core = re.sub(r"\n{3,}", "\n\n", core)
    return Parts(greeting, literal, core, closing, "\n".join(s for s in (signature, dashed) if s))


def form(text: str) -> str:
    """A greeting or sign-off as the habit it is: case, punctuation, line breaks and the inline
    mark left out, so "… Thanks. df" and "Thanks,\nDF" are one sign-off, "Hi {name}," one greeting."""
    return " ".join(re.sub(r"[^\w{}]+", " ", text.replace("…", " ").lower()).split())


def formality(text: str, parts: Parts | None = None) -> float:
    """0 (casual) to 1 (formal), from greeting, sign-off, contractions, exclamations and emoji."""
    score = 0.5
    greeting = (parts.greeting if parts else "").lower()
    closing = (parts.closing if parts else "").lower()
    if greeting.startswith(("dear", "sehr geehrte", "estimad", "gentile", "prezad", "cher")):
        score += 0.25
    elif greeting.startswith(("hey", "hiya", "yo", "moin", "salut", "oi", "hej")):
        score -= 0.2
    if re.search(r"sincerely|regards|respectfully|freundlichen|cordialement|atentamente", closing):
        score += 0.15
    elif re.search(r"cheers|thx|love|xo|lg\b|bises|abraços", closing):
        score -= 0.15
    n = max(words(text), 1)
    score -= min(0.2, 4 * len(_CONTRACTION.findall(text)) / n)
    score -= min(0.15, 0.05 * text.count("!"))
    score -= 0.15 if EMOJI.search(text) else 0.0
    if re.search(
        r"\b(would you|could you|kindly|i would appreciate|please let me know)\b", text, re.I
    ):
        score += 0.1
    sentences = [s for s in SENTENCE.findall(text) if s.strip()]
    if sentences and sum(1 for s in sentences if s.strip()[:1].islower()) > len(sentences) / 2:
        score -= 0.15  # mostly lower-case sentence starts
    return round(min(1.0, max(0.0, score)), 2)


# how the user addresses the reader, where a language tells them apart: (formal, informal)
_ADDRESS = {
    "de": (
        r"\b(?:Sie|Ihnen|Ihre?[mnrs]?)\b",
        r"(?i:\b(?:du|dich|dir|dein[emnrs]?|euch|eure?[mnrs]?)\b)",
    ),
    "fr": (r"(?i:\b(?:vous|votre|vos)\b)", r"(?i:\b(?:tu|toi|ton|ta|tes)\b|\bt'|-tu\b)"),
    "es": (r"(?i:\b(?:usted|ustedes)\b)", r"(?i:\b(?:tú|ti|contigo|puedes|podrías|tienes)\b)"),
    "it": (r"\b(?:Lei|La prego|Le chiedo)\b", r"(?i:\b(?:tu|ti|puoi|potresti|hai)\b)"),
    "nl": (r"(?i:\b(?:u|uw)\b)", r"(?i:\b(?:je|jij|jou|jouw)\b)"),
    "pt": (r"(?i:\bo senhor\b|\ba senhora\b)", r"(?i:\b(?:tu|teu|tua|podes)\b)"),
}


def register(text: str, lang: str) -> str:
    """How the text addresses its reader: "formal" (Sie, vous, usted, u), "informal" (du, tu,
    tú, je), or "" when the language does not tell them apart or the text does not say."""
    if lang not in _ADDRESS:
        return ""
    formal, informal = (len(re.findall(p, text)) for p in _ADDRESS[lang])
    return "" if formal == informal else "formal" if formal > informal else "informal"


def formality_label(score: float) -> str:
    return "formal" if score >= 0.65 else "casual" if score <= 0.35 else "neutral"
