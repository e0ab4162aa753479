"""Does the user's own message expect an answer from its recipient? Read from their own words.

Pure and deterministic. The text judged is what the user wrote: quotes, forwarded parts,
signatures, the greeting and the sign-off ("Regards\\nDelainey", "Tx Rick", "Thanks, Mike", a
phone line) cut away. Each sentence is then weighed by the tables in `mail.asks`:

- an **ask**: a question (a `?`, or an interrogative opening such as "Is the deal done."), a
  request ("can you …", "please send …", "I need …", "let me know when …", "any thoughts"), an
  ask for confirmation, or an implicit one ("I have not received …");
- a **no-marker**: thanks, an answer or a decision ("Approved.", "Looks fine to me."), a
  confirmation ("I'll attend"), the user's own next step ("I'll call him tomorrow"), a
  delivery ("Attached is …"), an FYI, a closing or banter ("Good luck tomorrow."), a chore for
  an assistant ("pls print", "Please follow-up."), a request whose result goes to someone else
  ("pls take a look and get back to Bill"), and an offer that asks for nothing ("let me know if
  you need anything").

Any ask makes it `expects`, quoting the first one: a request followed by "Thanks" is a request.
When the mail quoted below is the other person's and it asked something, the user's message is
their answer: only an outright ask (not "I haven't seen it yet", nor a wish of their own such as
"I would like to see it first") makes it `expects`. No ask and
a no-marker, an answer to their question, a forward with no note of the user's, or a short
statement, makes it `no`. A longer statement with no ask and nothing else to go by is `unsure`:
a person settles it; so is a "please …" that asks for something done without saying that anything
comes back ("Please activate product 45313.": on fresh mail about half of these waited for an
answer). `JUDGED_BY` changes whenever a rule does, so stored verdicts are read again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from inbox_agent.mail.asks import has_question, implicit, is_ask, is_request, no_marker, soft
from inbox_agent.mail.body import is_attribution, new_text
from inbox_agent.mail.subject import is_forward

# 1: the first `no_answer_expected`; 3: delegations; 4: proposals; 5: the rules read on the aside
# sets of 2026-12-03; 6: a "please" whose result is not said to come back is unsure; 7: read on
# aside6; 8: "please sign" asks; 9: a deadline is read in the writer's own time; 10: read on
# aside7 (errands, delegations, small talk, objection-only and confirmation asks); 11: read on
# aside8 (reported speech, a talk on a weekday, "I need … ASAP", "I didn't receive …"); 12: in an
# answer to their question, a wish of the user's own is no ask
JUDGED_BY = 12
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
    "answers_them": "answers their question",
    "confirmation": "a confirmation",
    "next_step": "your own next step",
    "delivery": "a delivery",
    "closing": "a closing",
    "chore": "a chore, nothing comes back",
    "delegation": "a request whose result goes to someone else",
    "offer": "an offer, no ask",
    "statement": "a statement, no ask",
    "request": "a request; nothing said to come back to you",
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
    r"hola|estimad[oa]|ciao|buongiorno|beste|olá|caro|cara)\b[^.?!]{0,40}[,:!.-]?\s*$",
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


def _is_contact(line: str) -> bool:
    """A phone, address or mobile-footer line, not a sentence that holds a number or an address
    ("Can you call me at 713-853-1234 to go over it?")."""
    if not _CONTACT_LINE.search(line):
        return False
    if re.match(r"^\s*sent (from|via) ", line, _I):
        return True
    words = re.findall(r"[A-Za-z][\w']*", line)
    prose = ("?" in line or re.search(r"[.!]\W*$", line)) and len(words) >= 4
    return not (prose and any(w.lower() in _FUNCTION_WORDS for w in words))


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
            or _is_contact(last)
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


# the end of a sentence, not of an abbreviation ("Mr. Lee", "Sep. 29", "vs. last year")
_ABBREVIATIONS = (
    "Mr Mrs Ms Dr St Jr Sr vs etc Inc Co Corp Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec"
)
_SENTENCE_END = re.compile(
    "".join(f"(?<!\\b{a}\\.)" for a in _ABBREVIATIONS.split())
    + r"(?<=[.?!])\s+(?=\S)|(?<=\?)(?=[A-Z])",
    re.IGNORECASE,
)


def sentences(text: str) -> list[str]:
    """Sentences: paragraphs joined over their wrapped lines, split at . ? ! and list items."""
    out: list[str] = []
    for para in re.split(r"\n\s*\n", text):
        joined = re.sub(r"\s*\n\s*", "\n", para.strip())
        # a line that starts a list item, or follows a line with no end, ends what came before
        for piece in re.split(r"\n(?=\s*(?:\d{1,2}[.)]|[-*•]|[a-z]\))\s)", joined):
            flat = re.sub(r"\s+", " ", piece).strip()
            for s in _SENTENCE_END.split(flat):
                if re.search(r"\w|\?", s):
                    out.append(s.strip())
    return out


def clip(sentence: str) -> str:
    """A sentence as a reason quotes it: at most `_QUOTE_MAX` characters, cut with "…"."""
    return sentence if len(sentence) <= _QUOTE_MAX else sentence[: _QUOTE_MAX - 1].rstrip() + "…"


_CALENDAR = re.compile(
    r"^(accepted|declined|tentative|tentatively accepted|angenommen|abgelehnt|accepté|refusé)\s*:",
    _I,
)
_SUBJECT_FYI = re.compile(r"^\s*(fyi|zur info|pour info)\b|\bfyi\s*$", _I)
SHORT_STATEMENT = 3  # sentences; a statement with no ask this short needs no answer


_FORWARDED = re.compile(
    r"^\W*(?:forwarded|begin forwarded|weitergeleitet|anfang der weitergeleiteten|message transféré|"
    r"début du message réexpédié|mensaje reenviado)",
    _I,
)
_RULE_LINE = re.compile(r"^\W*-{2,}")
_QUOTED_SUBJECT = re.compile(
    r"^\s*(?:subject|betreff|objet|asunto|oggetto|onderwerp|assunto|ämne)\s*:", _I
)


def asked_them(quoted: str) -> bool:
    """Did the message the user answered ask them something? `quoted` is the mail quoted below
    their reply (`body.split_new`); a forward asked nothing of the user's recipient."""
    lines = [re.sub(r"^[ \t]*(?:>[ \t]?)+", "", line) for line in quoted.split("\n")]
    if not lines or _FORWARDED.match(lines[0].strip(" -")):
        return False
    header = next((i for i, line in enumerate(lines[:14]) if _QUOTED_SUBJECT.match(line)), None)
    if header is not None:
        lines = lines[header + 1 :]
    while lines and (
        not lines[0].strip() or _RULE_LINE.match(lines[0]) or is_attribution(lines[0])
    ):
        lines = lines[1:]  # the "-----Original Message-----" line, "On … wrote:"
    theirs = own_words(new_text("\n".join(lines)))
    return any(has_question(s) or is_ask(s) for s in sentences(theirs))


def judge_text(
    own: str,
    subject: str = "",
    *,
    forward_marker: bool = False,
    calendar: bool = False,
    quoted: str = "",
) -> Verdict:
    """The verdict on the user's own new text (`body.new_text` of their message). `forward_marker`:
    the body held forwarded or quoted mail below what they wrote. `calendar`: the message is a
    calendar response (by its parts). `quoted`: that mail (`body.split_new`); when it is the other
    person's message and it asked something, the user's words are their answer unless they ask
    back outright."""
    if calendar or _CALENDAR.match(subject):
        return Verdict(Outcome.NO, "calendar")
    # all of it a sign-off ("Thanks!", "Regards, Mike"): then the sign-off is what was said
    said = sentences(own_words(own)) or sentences(own)
    if not said:
        if forward_marker:
            return Verdict(Outcome.NO, "forward")
        return Verdict(Outcome.UNSURE, "empty")
    answering = bool(quoted) and not is_forward(subject) and asked_them(quoted)
    for s in said:
        if is_ask(s) and not (answering and (implicit(s) or soft(s))):
            return Verdict(Outcome.EXPECTS, "ask", clip(s))
    for s in said:
        if is_request(s):
            return Verdict(Outcome.UNSURE, "request", clip(s))
    for s in said:
        kind = no_marker(s)
        if kind:
            return Verdict(Outcome.NO, kind, clip(s))
    if answering:
        return Verdict(Outcome.NO, "answers_them", clip(said[0]))
    if is_forward(subject):
        return Verdict(Outcome.NO, "forward_note", clip(said[0]))
    if _SUBJECT_FYI.search(subject):
        return Verdict(Outcome.NO, "fyi", clip(said[0]))
    if len(said) <= SHORT_STATEMENT:
        return Verdict(Outcome.NO, "statement", clip(said[0]))
    return Verdict(Outcome.UNSURE, "long_statement", clip(said[0]))
