"""Reply and forward prefixes on subjects (`Re:`, `AW:`, `SV:`, `Fwd:`, `回复:` …): the one rule.

Pure. Threading (a reply without headers joins by subject), the nudge's own subject (exactly one
`Re:`), the offline drafter's topic and "a forward with no question" all read prefixes here, so
a prefix the thread index understands is one the composer strips too.
"""

from __future__ import annotations

import re

# Words mail clients put before a reply's subject, in the languages seen in real mailboxes:
# English, German (AW, Antw, Antwort), Scandinavian (SV), Finnish (VS), Italian (R), Dutch (Antw),
# Spanish and Portuguese (RE, REF) and Chinese.
_REPLIES = ("re", "aw", "sv", "vs", "antw", "antwort", "r", "ref", "回复", "答复")
# ... and before a forwarded one: English, German (WG), French (TR), Spanish (RV), Chinese.
_FORWARDS = ("fwd", "fw", "wg", "tr", "rv", "转发")
# one prefix: a word, an optional counter (`Re[2]:`, `AW(3):`), a colon (or a full-width one)
_ONE = r"\s*({words})\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*"
_ANY = re.compile(rf"^(?:{_ONE.format(words='|'.join(_REPLIES + _FORWARDS))})+", re.IGNORECASE)
_FORWARD = re.compile(rf"^{_ONE.format(words='|'.join(_FORWARDS))}", re.IGNORECASE)


def strip_prefixes(subject: str) -> str:
    """The subject without any leading reply or forward prefixes (and counters), trimmed."""
    return _ANY.sub("", subject).strip()


def has_prefix(subject: str) -> bool:
    """Does the subject start with a reply or forward prefix?"""
    return _ANY.match(subject) is not None


def is_forward(subject: str) -> bool:
    """Does the subject start with a forward prefix (`Fwd:`, `WG:`, `TR:` …)?"""
    return _FORWARD.match(subject) is not None
