"""What a drafter is asked and what it answers: the `Drafter` seam and its records.

`DraftRequest` carries everything one nudge's words may draw on (the thread as `Quoted` data, the
user's style brief, earlier nudges, the token budget); a `Draft` is body text only, with which
drafter wrote it and why it must not go out on Autopilot, if so. Subject, recipients and
threading never pass through here: `mail.compose` sets them from the thread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from inbox_agent.voice.profile import Sample
from inbox_agent.voice.style import Brief, plain_brief

_TAGLIKE = re.compile(r"<(\s*/?\s*)(thread|message|example|system|instructions?)\b", re.IGNORECASE)


def defang(text: str) -> str:
    """Quoted mail cannot open or close our tags: `</thread>` in a message stays text."""
    return _TAGLIKE.sub(lambda m: "‹" + m.group(1) + m.group(2), text)


@dataclass(frozen=True)
class Quoted:
    """One message of the thread, as quoted data for the prompt."""

    author: str  # "Bob Stone <bob@example.com>"
    from_user: bool
    date: str  # "2024-03-02 10:00", or ""
    subject: str
    text: str  # the new text of the message, quotes cut

    def render(self, text: str | None = None) -> str:
        who = " (the user)" if self.from_user else ""
        body = defang(self.text if text is None else text)
        head = f'<message from="{defang(self.author)}{who}" date="{self.date}">'
        return f"{head}\nSubject: {defang(self.subject)}\n\n{body.strip()}\n</message>"


@dataclass(frozen=True)
class DraftRequest:
    touch: int
    touches: int
    kind: str  # "bump", "context" or "close"
    subject: str
    user_name: str
    recipient_name: str
    thread: tuple[Quoted, ...] = ()  # oldest first
    voice: Brief | None = None  # None: a plain greeting and sign-off
    examples: tuple[Sample, ...] = ()  # the user's own messages (an edited nudge first)
    language: str = ""  # the thread's language, "" when unknown
    earlier_nudges: tuple[str, ...] = ()  # bodies of nudges already drafted on this thread
    budget_tokens: int = 3000
    ask: str = ""  # what the followed-up message asks, as the user wrote it; "" when unknown
    quoted: bool = False  # the user's message is quoted under the nudge: "below" points at it
    register: str = ""  # "formal" or "informal" as the user addresses them (Sie/du); "" unknown
    promise: str = ""  # what they promised the user, in their words, when that is what is owed

    @property
    def brief(self) -> Brief:
        return self.voice or plain_brief(self.user_name, self.recipient_name)

    @property
    def known_text(self) -> str:
        """What a draft may quote from: the thread and the user's own signature."""
        parts = [self.subject, *(f"{q.author}\n{q.text}" for q in self.thread)]
        return "\n".join([*parts, self.brief.signature])


@dataclass(frozen=True)
class Draft:
    body: str
    drafter: str  # which drafter wrote it: "offline" or "llm:<model>"
    rejected: tuple[str, ...] = ()  # why model answers were not used
    note: str = ""  # why the offline drafter wrote it, when a model was configured
    downgrade: str = ""  # why this draft must not go out on Autopilot; "" when it may


class Drafter(Protocol):
    def draft(self, request: DraftRequest) -> Draft: ...
