"""Checks on what a model wrote, and on what inbound mail asks the agent to do.

Pure. `check()` says why a draft's core cannot be used, or "" when it can: an email address,
phone number or link that is in neither the thread nor the user's signature; a placeholder or
talk about being an AI; a length outside the user's band; another language than the thread's;
or the same words as an earlier nudge on the thread; a fact (a number, date, name, amount)
the thread does not hold (`grounding.invented`); "below" when nothing is quoted below. `steering()` finds text in an inbound
message that tries to instruct the agent ("ignore previous instructions", "also send this to",
"cc …"): the engine then keeps that thread off Autopilot. Neither ever changes recipients;
nothing does, since they come from the thread (`compose.recipients`).
"""

from __future__ import annotations

import difflib
import re

from inbox_agent.drafter.grounding import invented
from inbox_agent.drafter.offline import BELOW
from inbox_agent.drafter.request import DraftRequest
from inbox_agent.mail import language
from inbox_agent.mail.letter import name_tokens, split, words

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(
    r"\b(?:https?://|www\.)\S+|\b(?:[a-z0-9-]+\.)+(?:com|org|net|io|co|ai|dev|app|info|biz|me|"
    r"us|uk|de|fr|eu|nl|es|it|ly|gl|gg)\b(?:/\S*)?",
    re.IGNORECASE,
)
_PHONE = re.compile(r"(?<![\w/.-])\+?\(?\d[\d ().-]{5,}\d(?![\w/-])")
_DATE_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}$|^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$")
_PLACEHOLDER = re.compile(
    r"\[[^\]\n]{0,40}(name|company|date|insert|your|recipient|link|title)[^\]\n]{0,40}\]|"
    r"\{\{|\}\}|\{[a-z_]+\}|<\s*insert|\[insert|<your |\bX{3,}\b|\bTBD\b",
    re.IGNORECASE,
)
_SELF_TALK = re.compile(
    r"\b(as an ai|an ai (language )?model|language model|ai assistant|i am an ai|i'm an ai|"
    r"as your (ai )?assistant|i am an assistant|i'm an assistant|automated (message|assistant)|"
    r"(generated|written|drafted) (by|with) (an? )?(ai|assistant|bot|chatgpt|gpt)|chatgpt)\b",
    re.IGNORECASE,
)
_STEERING = re.compile(
    r"(ignore|disregard|forget|override)\s+(all\s+|any\s+)?(of\s+)?(the\s+|your\s+|my\s+)?"
    r"(previous|prior|above|earlier|preceding|original|system)\s+(instructions?|prompts?|rules|"
    r"messages?|directions)|"
    r"\b(new|updated|revised|system)\s+(instructions?|prompt)\s*:|"
    r"\byou\s+are\s+(now\s+)?(an?\s+)?(ai|assistant|language model|chat ?gpt|gpt|bot)\b|"
    r"\b(system prompt|jailbreak|developer mode)\b|"
    r"\b(send|forward|copy|cc|bcc|email|mail)\s+(this|it|that|the|your|any)(\s+(draft|reply|"
    r"answer|email|e-mail|mail|message|follow-?up|nudge|thread))?\s+(also\s+|as well\s+)?to\b|"
    r"\b(b?cc|loop in|copy in|add|include)\s*:?\s+[\w.+-]+@[\w-]+\.[\w.-]+|"
    r"(^|\n)[ \t]*b?cc\s*:\s*\S|\b(please|also|and|could you|can you|just)\s+b?cc\b|"
    r"\bb?cc\s+(me|him|her|them|us|(?-i:[A-Z][a-z]+))\b|"
    r"\b(change|update|replace)\s+(the\s+)?(recipients?|to[- ]address|email address(es)?)\b|"
    r"\breply\s+(to|at)\s+[\w.+-]+@[\w-]+\.[\w.-]+\s+instead\b",
    re.IGNORECASE,
)
REPEAT_RATIO = 0.85


def _known(found: str, known: str) -> bool:
    return found.lower().rstrip(".,;:!?)]'\"") in known


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def similarity(a: str, b: str) -> float:
    """How alike two texts are, word by word, ignoring case and punctuation (0 to 1)."""
    wa = re.findall(r"\w+", a.lower())
    wb = re.findall(r"\w+", b.lower())
    if not wa or not wb:
        return 0.0
    return difflib.SequenceMatcher(None, wa, wb, autojunk=False).ratio()


def check(core: str, request: DraftRequest) -> str:
    """Why this core (the model's text, without greeting and sign-off) cannot be used, or ""."""
    text = core.strip()
    if not text:
        return "empty answer"
    known = request.known_text.lower()
    for match in _EMAIL.finditer(text):
        if not _known(match.group(0), known):
            return f"mentions an address that is not in the thread ({match.group(0)})"
    for match in _URL.finditer(text):
        if "@" not in match.group(0) and not _known(match.group(0), known):
            return f"contains a link that is not in the thread ({match.group(0)})"
    known_digits = _digits(known)
    for match in _PHONE.finditer(text):
        number = match.group(0).strip()
        digits = _digits(number)
        if len(digits) >= 7 and not _DATE_LIKE.match(number) and digits not in known_digits:
            return f"contains a phone number that is not in the thread ({number})"
    placeholder = _PLACEHOLDER.search(text)
    if placeholder:
        return f"contains a placeholder ({placeholder.group(0)})"
    if _SELF_TALK.search(text):
        return "talks about itself as an AI"
    if any(line.lstrip().startswith(">") for line in text.split("\n")):
        return "copies quoted mail"
    below = BELOW.search(text)
    if below and not request.quoted:
        return f'points at a message "{below.group(0)}", but nothing is quoted'
    brief = request.brief
    n = words(text)
    if n < brief.low or n > brief.high:
        return f"{n} words, outside your usual {brief.low}–{brief.high} for a nudge"
    written = language.detect(text)
    if request.language and written and written != request.language:
        return (
            f"written in {language.name(written)}, but the thread is in "
            f"{language.name(request.language)}"
        )
    known = f"{request.known_text}\n{request.recipient_name}\n{request.user_name}"
    facts = invented(text, known, written or request.language)
    if facts:
        return f"states what the thread does not ({', '.join(facts[:3])})"
    for earlier in request.earlier_nudges:
        earlier_core = split(earlier, brief.names, name_tokens(request.recipient_name)).core
        if similarity(text, earlier_core or earlier) >= REPEAT_RATIO:
            return "repeats an earlier nudge on this thread almost word for word"
    return ""


def steering(text: str) -> str:
    """The phrase in an inbound message that tries to steer the agent, or "" when none does."""
    match = _STEERING.search(text)
    return " ".join(match.group(0).split())[:80] if match else ""
