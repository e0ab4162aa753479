"""What the user's edits of our nudges say about how they want them written.

Pure. An `Edit` is one nudge we drafted and what the user sent instead (they edited it before
approving, or deleted it and wrote their own follow-up). `diff` reads both as letters: was the
greeting removed or changed, the sign-off changed, how long the text was cut to, and which
sentences they added. `habits` turns the edits into what the next nudge takes:

- per recipient, the latest edit to that person decides greeting and sign-off (one is enough:
  the user told us about this very person);
- overall, a greeting or sign-off change counts once two of the last five edits agree on it and
  no newer edit says otherwise;
- the length is the median of the user's text in the last five edits (per recipient with two);
- a sentence added in two edits on different subjects is added to later nudges;
- the newest edit (to this recipient, else any) is the model's first example of a nudge.

Every learned trait keeps the messages it came from, for `inbox-agent voice`.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from inbox_agent.mail.letter import name_tokens, split, words

__all__ = ["Edit", "EditHabits", "Learned", "diff", "habits"]

RECENT = 5
AGREE = 2


@dataclass(frozen=True)
class Edit:
    message_id: str  # the message that went out, or that the user wrote instead
    at: str  # ISO time
    kind: str  # "edited" or "replaced"
    to: tuple[str, ...]
    subject: str
    drafted: str  # our text, no quote
    written: str  # theirs, no quote
    recipient_name: str = ""


@dataclass(frozen=True)
class Change:
    greeting: str | None  # None unchanged; "" removed; else the new template ("Hi {name},")
    signoff: str | None  # None unchanged; "" removed; else the new sign-off as written
    words: int  # the user's text, greeting and sign-off left out
    added: tuple[str, ...]  # sentences of theirs with no near match in ours


@dataclass(frozen=True)
class Learned:
    """One trait learned from edits, shown by `inbox-agent voice`."""

    trait: str
    value: str
    source: str
    messages: tuple[str, ...]


@dataclass(frozen=True)
class EditHabits:
    greeting: str | None = None  # None: nothing learned
    signoff: str | None = None
    words: int | None = None
    phrases: tuple[str, ...] = ()
    per_recipient: Mapping[str, EditHabits] = field(default_factory=dict)
    learned: tuple[Learned, ...] = ()
    latest: Edit | None = None  # the newest edit (to this recipient, in `per_recipient`)

    def for_recipient(self, to: Sequence[str]) -> tuple[EditHabits | None, EditHabits]:
        """(what was learned for this one recipient, or None; what was learned overall)."""
        single = to[0].lower() if len(to) == 1 else ""
        return self.per_recipient.get(single), self


def _sentences(text: str) -> list[str]:
    return [" ".join(s.split()) for s in re.findall(r"[^.!?\n]+[.!?]?", text) if s.strip()]


def _norm(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def diff(edit: Edit, names: Iterable[str]) -> Change:
    """What one edit changed, letter part by letter part."""
    names = tuple(names)
    tokens: set[str] = set()
    for address in edit.to:
        tokens |= name_tokens(edit.recipient_name if len(edit.to) == 1 else "", address)
    ours, theirs = split(edit.drafted, names, tokens), split(edit.written, names, tokens)
    greeting = None if _norm(ours.greeting) == _norm(theirs.greeting) else theirs.greeting
    signoff = None if _norm(ours.closing) == _norm(theirs.closing) else theirs.closing
    mine = {_norm(s) for s in _sentences(ours.core)}
    added = tuple(
        s
        for s in _sentences(theirs.core)
        if _norm(s) not in mine
        and 2 <= words(s) <= 20
        and not re.search(r"\d|@|https?:", s)
        and not any(_near(s, m) for m in mine)
    )
    return Change(greeting, signoff, words(theirs.core), added)


def _near(a: str, b: str) -> bool:
    wa, wb = set(_norm(a).split()), set(b.split())
    return bool(wa) and len(wa & wb) / len(wa | wb) >= 0.6


def _source(edit: Edit) -> str:
    return f"{edit.at[:10]} to {', '.join(edit.to)}: {edit.subject} ({edit.kind})"


def _learn(
    edits: Sequence[Edit], changes: Sequence[Change], scope: str, need: int
) -> tuple[str | None, str | None, int | None, list[Learned]]:
    """Greeting, sign-off and length from these edits (oldest first); `need` edits must agree."""
    learned: list[Learned] = []
    found: dict[str, str | None] = {"greeting": None, "sign-off": None}
    for trait in found:
        values = [(c.greeting if trait == "greeting" else c.signoff) for c in changes][-RECENT:]
        recent = list(zip(edits[-RECENT:], values, strict=True))
        stated = [(e, v) for e, v in recent if v is not None]
        if not stated:
            continue
        value = stated[-1][1]
        agree = [e for e, v in stated if v == value]
        if len(agree) < need:
            continue
        found[trait] = value
        what = "removed it" if value == "" else "changed it"
        learned.append(
            Learned(
                f"{trait}{scope}",
                value or "(none)",
                f"you {what} in {len(agree)} of your last {len(recent)} edits; "
                + "; ".join(_source(e) for e in agree),
                tuple(e.message_id for e in agree),
            )
        )
    length = None
    recent_edits = list(zip(edits, changes, strict=True))[-RECENT:]
    if len(recent_edits) >= need:
        length = int(statistics.median(c.words for _, c in recent_edits))
        learned.append(
            Learned(
                f"nudge length{scope}",
                f"about {length} words",
                f"the median of your text in your last {len(recent_edits)} edits",
                tuple(e.message_id for e, _ in recent_edits),
            )
        )
    return found["greeting"], found["sign-off"], length, learned


def habits(edits: Sequence[Edit], names: Iterable[str]) -> EditHabits:
    """What the next nudges take from these edits (any order; the newest weigh most)."""
    ordered = sorted(edits, key=lambda e: e.at)
    names = tuple(names)
    changes = [diff(e, names) for e in ordered]
    greeting, signoff, length, learned = _learn(ordered, changes, "", AGREE)
    per: dict[str, EditHabits] = {}
    people = Counter(e.to[0].lower() for e in ordered if len(e.to) == 1)
    for person in people:
        mine = [
            (e, c)
            for e, c in zip(ordered, changes, strict=True)
            if e.to == (person,) or (len(e.to) == 1 and e.to[0].lower() == person)
        ]
        g, s, n, rows = _learn([e for e, _ in mine], [c for _, c in mine], f" to {person}", 1)
        n = n if len(mine) >= AGREE else None
        rows = [r for r in rows if n is not None or not r.trait.startswith("nudge length")]
        per[person] = EditHabits(g, s, n, latest=mine[-1][0])
        learned += rows
    added: dict[str, tuple[str, set[str], list[str]]] = {}
    for edit, change in zip(ordered, changes, strict=True):
        for sentence in change.added:
            text, subjects, ids = added.setdefault(_norm(sentence), (sentence, set(), []))
            subjects.add(_norm(edit.subject))
            ids.append(edit.message_id)
    phrases = []
    for text, subjects, ids in added.values():
        if len(subjects) >= AGREE:
            phrases.append(text)
            learned.append(
                Learned("phrase you add", text, f"added in {len(ids)} edits", tuple(ids))
            )
    latest = ordered[-1] if ordered else None
    return EditHabits(greeting, signoff, length, tuple(phrases), per, tuple(learned), latest)
