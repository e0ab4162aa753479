"""A deadline the user set in their own words ("by Friday", "before the 15th", "end of next
week", "bis Freitag"), read as the day it falls on; `day_of` reads one time phrase (a promise's
"next week" too, `mail.promise`).

Pure: the text and the moment it was sent in, a date or None out. A phrase is found by a small
table per language; `dateparser` (already used for out-of-office dates) reads the day, counted
from the moment the message was sent in the writer's own time (their Date header's offset) and
preferring dates after it. A deadline is never before the message, nor more than 60 days after
it: anything else was misread and is dropped.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

MAX_AHEAD = timedelta(days=60)
_DAY = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?"
WHEN = (  # one time phrase in English, a regex: a deadline's and a promise's
    rf"(?:(?:this |next )?{_DAY}|tomorrow|today|tonight|eod|cob|close of business|end of (?:the )?day|"
    r"end of (?:the |this |next )?(?:week|month)|next week|the \d{1,2}(?:st|nd|rd|th)|"
    r"\d{1,2}(?:st|nd|rd|th)?(?: of)? (?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)\w*|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)\w* \d{1,2}(?:st|nd|rd|th)?|"
    r"\d{1,2}/\d{1,2}(?:/\d{2,4})?)"
)
_DEADLINE = re.compile(
    rf"\b(?:by|before|no later than|not later than|until|due)\s+(?:cob\s+|eod\s+)?(?:on\s+)?({WHEN})\b|"
    r"\b(?:bis|vor dem|spätestens)\s+(?:zum\s+|am\s+)?(\w+(?:\s\d{1,2}\.)?)|"
    r"\b(?:d'ici|avant)\s+(?:le\s+)?(\w+)|\b(?:antes del?|para el)\s+(\w+)|"
    r"\b(?:entro|prima di)\s+(?:il\s+)?(\w+)|\b(?:uiterlijk|vóór)\s+(\w+)",
    re.IGNORECASE,
)
_END_OF = re.compile(r"end of (?:the |this )?(next )?(week|month)|next week", re.IGNORECASE)


def _end_of(phrase: str, sent: date) -> date | None:
    """'end of the week' is its Friday, 'end of next week' the next one's, 'next week' too."""
    match = _END_OF.search(phrase)
    if not match:
        return None
    if match.group(2) == "month":
        first_next = (sent.replace(day=1) + timedelta(days=32)).replace(day=1)
        if match.group(1):
            first_next = (first_next + timedelta(days=32)).replace(day=1)
        return first_next - timedelta(days=1)
    friday = sent + timedelta(days=(4 - sent.weekday()) % 7)
    return (
        friday + timedelta(days=7)
        if match.group(1) or phrase.lower().startswith("next")
        else friday
    )


def _nth(phrase: str, sent: date) -> date | None:
    """'the 15th' is the next 15th on or after the day it was written."""
    match = re.fullmatch(r"the (\d{1,2})(?:st|nd|rd|th)", phrase.strip(), re.IGNORECASE)
    if not match:
        return None
    n, month = int(match.group(1)), sent.replace(day=1)
    for _ in range(3):
        try:
            candidate = month.replace(day=n)
        except ValueError:  # no 31st in this month
            candidate = None
        if candidate is not None and candidate >= sent:
            return candidate
        month = (month + timedelta(days=32)).replace(day=1)
    return None


def deadline(text: str, sent_at: datetime) -> date | None:
    """The day a deadline in `text` falls on, or None when it names none (or none that reads)."""
    for match in _DEADLINE.finditer(text):
        day = day_of(next(g for g in match.groups() if g), sent_at)
        if day is not None:
            return day
    return None


def local_time(sent_at: datetime) -> datetime:
    """`sent_at` in the writer's own time: the offset of their Date header (UTC when it has
    none). "By Friday" written on a Thursday evening in California is that Friday, though it
    is already Friday in UTC."""
    return sent_at if sent_at.tzinfo is not None else sent_at.replace(tzinfo=UTC)


def day_of(phrase: str, sent_at: datetime) -> date | None:
    """The day a time phrase ("Friday", "the 15th", "end of next week", "morgen") written at
    `sent_at` names: on or after that day and at most 60 days on; None when it reads as none."""
    import dateparser

    base = local_time(sent_at)
    phrase = phrase.strip()
    if phrase.lower() in ("eod", "cob", "today", "tonight", "close of business", "end of day"):
        day: date | None = base.date()
    else:
        day = _end_of(phrase, base.date()) or _nth(phrase, base.date())
    if day is None:
        parsed = dateparser.parse(
            re.sub(r"^the ", "", phrase, flags=re.IGNORECASE),
            settings={
                "RELATIVE_BASE": base.replace(tzinfo=None),
                "PREFER_DATES_FROM": "future",
            },
        )
        day = parsed.date() if isinstance(parsed, datetime) else None
    if day is not None and base.date() <= day <= (base + MAX_AHEAD).date():
        return day
    return None
