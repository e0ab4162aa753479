"""Does the user's own message expect an answer from its recipient? Read from their own words.

Pure and deterministic. The text judged is what the user wrote: quotes, forwarded parts,
signatures, the greeting and the sign-off ("Regards\\nDelainey", "Tx Rick", "Thanks, Mike", a
phone line) cut away. Each sentence is then weighed:

- an **ask**: a question (a `?`, or an interrogative opening such as "Is the deal done."), a
  request ("can you …", "please send …", "I need …", "let me know when …", "any thoughts"), an
  ask for confirmation, or an implicit one ("I have not received …");
- a **no-marker**: thanks, an answer or a decision ("Approved.", "Looks fine to me."), a
  confirmation ("I'll attend"), the user's own next step ("I'll call him tomorrow"), a
  delivery ("Attached is …"), an FYI, a closing or banter ("Good luck tomorrow."), a chore for
  an assistant ("pls print"), and an offer that asks for nothing ("let me know if you need
  anything").

Any ask makes it `expects`, quoting the first one: a request followed by "Thanks" is a request.
No ask and a no-marker, or a forward with no note of the user's, or a short statement, makes it
`no`. A longer statement with no ask and nothing else to go by is `unsure`: a person settles it.
The tables cover English first and the languages `classify` reads (de, fr, es, it, nl, pt).
`JUDGED_BY` changes whenever a rule does, so stored verdicts are read again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from inbox_agent.mail.subject import is_forward

JUDGED_BY = 2  # 1 was the first version's `no_answer_expected`
_QUOTE_MAX = 120


class Outcome(StrEnum):
    EXPECTS = "expects"
    NO = "no"
    UNSURE = "unsure"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The judgement, what kind of words decided it, and those words as written."""

    outcome: Outcome
    kind: str  # ask | forward | calendar | fyi | thanks | answer | … | statement | empty
    quote: str = ""

    @property
    def reason(self) -> str:
        """One line a person can check: `asks: "Could you sign it by Friday?"`."""
        label = _LABELS.get(self.kind, self.kind)
        return f'{label}: "{self.quote}"' if self.quote else label


_LABELS = {
    "ask": "asks",
    "forward": "a forward with no note of yours",
    "forward_note": "a forward, no ask in your note",
    "calendar": "a calendar response",
    "empty": "nothing written of yours to go by",
    "fyi": "an FYI",
    "thanks": "thanks",
    "answer": "an answer",
    "confirmation": "a confirmation",
    "next_step": "your own next step",
    "delivery": "a delivery",
    "closing": "a closing",
    "chore": "a chore, nothing comes back",
    "offer": "an offer, no ask",
    "statement": "a statement, no ask",
    "long_statement": "no ask found in a long message",
    "unreadable": "its body could not be read",
    "followup": "you tagged it $FollowUp",
    "llm_expects": "unsure by the rules; your LLM says it asks for an answer",
    "llm_no": "unsure by the rules; your LLM says it needs none",
}

_I = re.IGNORECASE

# -- cutting the text down to what the user said --------------------------------------------------
_CLOSING_WORD = (
    r"(?:thanks?(?: you)?(?: again| very much| so much)?|thx|tx|ty|cheers|regards?|best(?: regards| wishes)?|"
    r"kind regards|warm regards|sincerely|yours(?: truly| in \w+)?|rgds|love|gracias|danke|grüße|gruß|"
    r"viele grüße|mit freundlichen grüßen|merci|cordialement|bien à vous|saludos|un saludo|"
    r"atentamente|grazie|cordiali saluti|saluti|groeten|met vriendelijke groet|obrigad[oa]|"
    r"abraços|atenciosamente)"
)
_CLOSING_LINE = re.compile(rf"^\W*{_CLOSING_WORD}\W*(?:[A-Za-z][\w.'-]*\W*){{0,3}}$", _I)
_CONTACT_LINE = re.compile(
    r"(\+?\d[\d ().-]{6,}\d|\bx\d{4,}\b|@|\bwww\.|\b(phone|tel|fax|cell|mobile|direct)\b\s*[:.]?|"
    r"^\W*-{2,}\W*$|^\s*sent (from|via) |blackberry)",
    _I,
)
_FUNCTION_WORDS = frozenset(
    re.findall(
        r"\S+",
        "me you it us we i this that the a an to in on at for is are was be do not no yes ok "
        "and or but if so my your our his her their them him they he she what who how why "
        "when where will can all any see call here there everyone everybody guys team folks ",
    )
)
_GREETING = re.compile(
    r"^\W*(hi|hello|hey|dear|good (morning|afternoon|evening)|hallo|liebe[rs]?|bonjour|salut|"
    r"hola|estimad[oa]|ciao|buongiorno|beste|olá|caro|cara)\b[^.?!]{0,40}[,:!-]?\s*$",
    _I,
)
_VOCATIVE_LINE = re.compile(r"^\s*[A-Z][\w.'&-]*(\s+[A-Z&][\w.'-]*){0,3}\s*[,:-]\s*$")
_TAIL_NAME = re.compile(
    rf"(?:(?<=[.!?-])|^)\s*(?:{_CLOSING_WORD}[.,!]?\s*)?([A-Za-z][\w'.-]*(?:\s+[A-Za-z][\w'.-]*){{0,2}})\s*$",
    _I,
)


def _is_name_like(line: str) -> bool:
    words = re.findall(r"[\w'.&-]+", line)
    if not 1 <= len(words) <= 4 or (re.search(r"[?!]|\.\s*$", line.strip()) and len(words) > 1):
        return False
    return not any(w.lower().strip(".") in _FUNCTION_WORDS for w in words)


def own_words(text: str) -> str:
    """The user's new text without the greeting, the sign-off and the contact lines."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1].strip():
        lines.pop()
    # the block at the end: closing words, names, titles, phone numbers, mobile footers
    while lines:
        last = lines[-1].strip()
        if (
            not last
            or _CONTACT_LINE.search(last)
            or _CLOSING_LINE.match(last)
            or (_is_name_like(last) and len(lines) > 1)
        ):
            lines.pop()
        else:
            break
    while lines and (
        not lines[0].strip() or _GREETING.match(lines[0]) or _VOCATIVE_LINE.match(lines[0])
    ):
        lines.pop(0)
    if lines:
        # a sign-off on the last line itself: "Approved.  DF", "fyi- rick", "Thanks. Tx Rick"
        last = lines[-1]
        tail = _TAIL_NAME.search(last)
        if tail and tail.start() > 0 and _is_name_like(tail.group(1)):
            head = last[: tail.start()].rstrip()
            if (head and not _CLOSING_LINE.match(tail.group(0).strip())) or head:
                lines[-1] = head
    return "\n".join(lines).strip()


def sentences(text: str) -> list[str]:
    """Sentences: paragraphs joined over their wrapped lines, split at . ? ! and list items."""
    out: list[str] = []
    for para in re.split(r"\n\s*\n", text):
        joined = re.sub(r"\s*\n\s*", "\n", para.strip())
        # a line that starts a list item, or follows a line with no end, ends what came before
        for piece in re.split(r"\n(?=\s*(?:\d{1,2}[.)]|[-*•]|[a-z]\))\s)", joined):
            flat = re.sub(r"\s+", " ", piece).strip()
            for s in re.split(r"(?<=[.?!])\s+(?=\S)|(?<=\?)(?=[A-Z])", flat):
                if re.search(r"\w|\?", s):
                    out.append(s.strip())
    return out


def _clip(sentence: str) -> str:
    return sentence if len(sentence) <= _QUOTE_MAX else sentence[: _QUOTE_MAX - 1].rstrip() + "…"


# -- the tables --------------------------------------------------------------------------------
_VOC = r"(?:[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*)?\s*(?:,|-+|:)\s*)?"  # "Scott, what …", "Joe- Where …"
_SUBJECT = r"(?:you|we|they|he|she|it|there|this|that|these|those|the|our|your|my|i|anyone|anybody|someone|somebody|everyone|everybody|any|all)"
_INTERROGATIVE = re.compile(
    rf"^{_VOC}(?:(?:and|so|also|but|ok|btw)[,]?\s+)?(?:"
    rf"(?:is|are|was|were|do|does|did|can|could|would|will|has|have|had|should|shall|may|might|won't|"
    rf"don't|didn't|doesn't|isn't|aren't|can't|haven't|hasn't)\s+{_SUBJECT}\b|"
    r"(?:where|what|when|who|whom|whose|why|which)\s+(?!a\b|an\b)\w|how\s+(?:come|much|many|long|about|do|does|did|is|are|was|can|could|should|would|will)\b|"
    r"any (?:thoughts|ideas|word|news|update|updates|comments|details|suggestions|feedback|questions for me)\b|"
    # de fr es it nl pt
    r"(?:kannst|können|könnten|könntest|hast|haben|ist|sind|gibt es|wann|wo|was|wie|warum|wer)\s+\w|"
    r"(?:pouvez|peux|pourriez|pourrais|avez|as-tu|est-ce que|quand|où|pourquoi|qui|quel(?:le)?s?)\b|"
    r"(?:puedes|puede|podrías|podría|tienes|tiene|hay|cuándo|dónde|qué|por qué|quién|cuál)\b|"
    r"(?:puoi|può|potresti|potrebbe|hai|c'è|quando|dove|perché|chi)\b|"
    r"(?:kun je|kunt u|kan je|heb je|hebt u|wanneer|waar|waarom|wie)\b|"
    r"(?:pode|podes|poderia|tem|quando|onde|por que|quem)\b"
    r")",
    _I,
)
_REQUEST = re.compile(
    r"\b(?:can|could|would|will|won't)\s+(?:you|u|someone|somebody|anyone|one of you)\b(?!\s+(?:be|have)\s+(?:there|here))|"
    r"\blet (?:me|us) know\b(?!\s+if\s+(?:you|there)\s+(?:need|have|want|are|is)\b)(?!\s+(?:if|where|how)\s+(?:i|we)\s+can\b)|"
    r"\b(?:send|give|forward|email|e-mail|fax|mail|show|tell|bring|get)\s+(?:me|us)\b|"
    r"\bget back to (?:me|us)\b|^call me\b(?!\s+(?:if|with|when you))|\bcall me (?:today|tomorrow|asap|back|to)\b|"
    r"\b(?:i|we) (?:need|require)\s+(?:the|a|an|your|to know (?:if|whether|what|when|how|where|who|which|by|asap|your)|to see|to get|to have|some|more|copies|answers?|project|"
    r"information|info|details|confirmation|feedback|input|help|it|this|that|them|an? \w+ (?:from|by))\b|"
    r"\b(?:i|we)(?:'d| would)? (?:like|want)\s+(?:to (?:know|see|get|hear|discuss|meet|talk|set up|review|have|find out|understand|get together)|your|a |an |the |you to|copies|some)|"
    r"\b(?:your|any) (?:thoughts|comments|views|input|feedback|opinion|perspective|ideas|suggestions|recommendations?)\b"
    r"(?!\s+(?:were|was|are|is|have|has|helped|made)\b)|"
    r"\bwhat do you (?:think|say|recommend|suggest)\b|\b(?:were|was) wondering (?:if|whether|why|what|how|when)\b|"
    r"\bi wonder (?:if|whether)\b|\bplease (?:confirm|advise|respond|reply|let)\b|\bconfirm receipt\b|"
    r"\b(?:i|we) (?:have not|haven't|did not|didn't|still have not|still haven't) (?:received|gotten|got|heard|seen)\b|"
    r"\byou (?:didn't|did not|forgot to) (?:attach|send|include)\b|\b(?:still )?waiting (?:for|on) (?:your|the|an?)\b|"
    r"\bhow about\b|\bare you (?:free|available|around|in)\b|\bdoes (?:that|this|\w+day) work\b|"
    r"\bgo ahead and (?:draft|prepare|write|put together|set up|send)\b|\bsee request below\b|\bplease (?:see|review) (?:the )?request\b|"
    # de fr es it nl pt
    r"\b(?:bitte|bitten)\s+(?:um|schick|send|gib|sag|ruf|bestätig|prüf|melde)|\bmelde dich\b|\bgib mir bescheid\b|"
    r"\bmerci de (?:me|nous)?\s*\w|\b(?:pouvez|pourriez|peux|pourrais)[- ](?:vous|tu)\b|\bdites-moi\b|\btiens-moi au courant\b|"
    r"\bpor favor\b|\b(?:puedes|podrías|podría|puede)\b|\bavísame\b|\bdime\b|"
    r"\bper favore\b|\bpotresti\b|\bfammi sapere\b|\bfatemi sapere\b|"
    r"\b(?:laat|laten) (?:me|ons) (?:even )?weten\b|\bkun je\b|\bkunt u\b|"
    r"\bpor favor\b|\bpoderia\b|\bme avise\b|\bme diga\b",
    _I,
)
_PLEASE = re.compile(r"\b(?:please|pls|plz|kindly)\b\s*,?\s*(\w+)(.*)", _I)
# what a "please" asks for when nothing comes back to the user
_CHORE = re.compile(
    r"\b(?:please|pls|plz)\s+(?:print|file|put (?:(?:this|it) )?on (?:my|the) calend[ae]r|calend[ae]r|rsvp|"
    r"copy|shred|book (?:a|the|me)|handle|take care|add (?:this|it) to my calendar|remind (?:me|everyone)|"
    r"make (?:\d+ )?copies|order)\b",
    _I,
)
_PLEASE_NOT_ASK = frozenset(
    re.findall(
        r"\S+",
        "see note find read convey use attend participate remind customize have invite keep "
        "be do feel accept excuse forgive disregard ignore join note get call come remember "
        "hold plan make distribute contact consider make sure ",
    )
)
_PLEASE_ASK_AFTER = re.compile(
    r"^\s*(?:me|us|back|to discuss|to talk|when|asap|as soon as|what|whether|if)\b|"
    r"\b(?:to|for) me\b|\bback to (?:me|us)\b|\bso (?:that )?(?:i|we)\b",
    _I,
)
_OFFER = re.compile(
    r"\blet (?:me|us) know if (?:you|there)\s+(?:need|have|want|are|is)\b|\blet (?:me|us) know (?:if|where|how) (?:i|we) can\b|"
    r"\blet (?:me|us) know if (?:anything|something|any|problems?|issues?|questions?)\b|^(?:[A-Z]\w+\s+)?if\b.*\blet (?:me|us) know\W*$|"
    r"\b(?:call|contact|email|ping) me (?:if|with|when you)\b|\bplease call (?:me )?with (?:any )?questions\b|"
    r"\bfeel free\b|\bhope (?:this|that|it) helps\b|\bif you (?:need|have|want) (?:any|anything|more|further|help)\b|"
    r"\bif (?:i|we) can (?:help|be of)\b|\bmelde dich,? wenn\b|\bn'hésitez pas\b|\bno dudes en\b",
    _I,
)
_NO_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "fyi",
        re.compile(
            r"\bfyi\b|\bfor your (?:information|info|records|reference|review)\b|\byou may (?:have an |be )?interest|"
            r"\bthought you (?:might|would|may)\b|\bheads[- ]up\b|\bin case you\b|\bzur (?:info|kenntnis)\b|"
            r"\bpour (?:info|information)\b|\bpara tu información\b|\bper (?:tua )?informazione\b|\bter info\b",
            _I,
        ),
    ),
    (
        "delivery",
        re.compile(
            r"\battached (?:is|are|please find|you will find|you'll find)\b|^attached\b|\bhere (?:is|are|it is|'s)\b|"
            r"\benclosed (?:is|are|please find)\b|\b(?:i(?:'ve| have)?|we(?:'ve| have)?) attached\b|\bsee (?:the )?attached\b|"
            r"\bim anhang\b|\bci-joint\b|\bci-jointe?s?\b|\badjunto\b|\bin allegato\b|\bin de bijlage\b|\bem anexo\b",
            _I,
        ),
    ),
    (
        "thanks",
        re.compile(
            r"\b(?:thanks|thank you|thx|tx|ty|appreciate|grateful|danke|vielen dank|merci|gracias|grazie|bedankt|"
            r"obrigad[oa])\b",
            _I,
        ),
    ),
    (
        "closing",
        re.compile(
            r"\bgood luck\b|\bbest of luck\b|\b(?:great|good|nice) (?:job|work)\b|\bwell done\b|\bcongrat|\bhave a (?:good|great|nice)\b|"
            r"\bhappy (?:holidays|new year|birthday|thanksgiving)\b|\bhope (?:all is well|you|things|so)\b|\benjoy\b|"
            r"\bsorry to hear\b|\bmerry christmas\b|\btake care\b|\bviel glück\b|\bbonne chance\b|\bsuerte\b|\bin bocca al lupo\b",
            _I,
        ),
    ),
    (
        "answer",
        re.compile(
            r"^(?:yes|no|yeah|yep|nope|sure|ok|okay|fine|approved|agreed|correct|right|done|perfect|great|good|"
            r"will do|no problem|no problemo|authori[sz]ed|understood|got it|makes sense|ja|nein|oui|non|sí|si|nee)\b|"
            r"\b(?:sounds|looks|seems) (?:good|fine|great|ok|okay|reasonable|spiffy|right)\b|\bi agree\b|\bi approve\b|"
            r"\b(?:that|this|it)(?:'s| is) (?:fine|ok|okay|good|great|correct|right)\b|\bis (?:fine|ok) with me\b|"
            r"\bok with me\b|\bfine (?:with|by) me\b|\byour call\b|\bi (?:don't|do not) (?:think|believe|see)\b|"
            r"\bi (?:think|believe|would suggest|suggest|recommend)\b",
            _I,
        ),
    ),
    (
        "confirmation",
        re.compile(
            r"\bi(?:'ll| will) (?:be there|attend|join|come)\b|\bworks for me\b|\bcan'?t make it\b|\bcount me in\b|"
            r"\bsee you (?:then|there|tomorrow|on|at)\b|\bunfortunately,? i\b|\bi(?:'ll| will) be (?:in|out|on|away)\b|"
            r"\bno interest\b|\bnot interested\b|\bi(?:'m| am) (?:quite )?content\b",
            _I,
        ),
    ),
    (
        "next_step",
        re.compile(
            r"\b(?:i|we)(?:'ll| will| shall| am going to|'m going to) (?:call|send|talk|let you know|forward|discuss|get|"
            r"follow|check|look|email|e-mail|be in touch|handle|review|try|contact|speak|give|take|set|put|work|"
            r"have|make|pass|submit|keep)\b|\btalk (?:to|with) you\b|\bwe are (?:looking|working) (?:at|on)\b|"
            r"\bwill be (?:contacting|calling|following up)\b|\bi have (?:fixed|done|sent|forwarded|updated|talked)\b",
            _I,
        ),
    ),
)
_BANTER_QUESTION = re.compile(
    r"^(?:raincheck|was i close|guess what|right|huh|eh|who knew|what else is new|how cool is that|you know)\W*\?",
    _I,
)
_CALENDAR = re.compile(
    r"^(accepted|declined|tentative|tentatively accepted|angenommen|abgelehnt|accepté|refusé)\s*:",
    _I,
)
_SUBJECT_FYI = re.compile(r"^\s*(fyi|zur info|pour info)\b|\bfyi\s*$", _I)
SHORT_STATEMENT = 3  # sentences; a statement with no ask this short needs no answer


def _ask(sentence: str) -> bool:
    s = sentence.strip().strip("\"')(*[] ")
    if "?" in s:
        return not _BANTER_QUESTION.match(s)
    if _OFFER.search(s) and not re.search(r"\?", s):
        # an offer can still carry a request: "Let me know when … and call me if …"
        rest = _OFFER.sub("", s)
        return bool(_REQUEST.search(rest)) or bool(_INTERROGATIVE.match(rest))
    if _INTERROGATIVE.match(s) or _REQUEST.search(s):
        return True
    please = _PLEASE.search(s)
    if please is None or _CHORE.search(s) or re.match(r"^if\b", s, _I):
        return False
    verb, rest = please.group(1).lower(), please.group(2)
    if verb in _PLEASE_NOT_ASK:
        return bool(_PLEASE_ASK_AFTER.search(rest)) and verb not in ("see", "note", "read")
    if verb in ("forward", "send", "provide", "give", "distribute") and re.search(
        r"\bto (?!me\b|us\b)[\"'A-Z]", rest
    ):
        return bool(re.search(r"\bso (?:that )?(?:i|we)\b", rest, _I))
    return True


def _no_marker(sentence: str) -> str:
    if _CHORE.search(sentence):
        return "chore"
    if _OFFER.search(sentence):
        return "offer"
    for kind, pattern in _NO_MARKERS:
        if pattern.search(sentence):
            return kind
    return ""


def judge_text(
    own: str, subject: str = "", *, forward_marker: bool = False, calendar: bool = False
) -> Verdict:
    """The verdict on the user's own new text (`body.new_text` of their message). `forward_marker`:
    the body held forwarded or quoted mail below what they wrote. `calendar`: the message is a
    calendar response (by its parts)."""
    if calendar or _CALENDAR.match(subject):
        return Verdict(Outcome.NO, "calendar")
    # all of it a sign-off ("Thanks!", "Regards, Mike"): then the sign-off is what was said
    said = sentences(own_words(own)) or sentences(own)
    if not said:
        if forward_marker:
            return Verdict(Outcome.NO, "forward")
        return Verdict(Outcome.UNSURE, "empty")
    for s in said:
        if _ask(s):
            return Verdict(Outcome.EXPECTS, "ask", _clip(s))
    for s in said:
        kind = _no_marker(s)
        if kind:
            return Verdict(Outcome.NO, kind, _clip(s))
    if is_forward(subject):
        return Verdict(Outcome.NO, "forward_note", _clip(said[0]))
    if _SUBJECT_FYI.search(subject):
        return Verdict(Outcome.NO, "fyi", _clip(said[0]))
    if len(said) <= SHORT_STATEMENT:
        return Verdict(Outcome.NO, "statement", _clip(said[0]))
    return Verdict(Outcome.UNSURE, "long_statement", _clip(said[0]))
