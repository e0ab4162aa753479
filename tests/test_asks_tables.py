"""The long tables of `mail.asks` are tried only where a word starts (`_at_word_starts`, three to
four times faster): each must find exactly what it finds unwrapped, on the sentences of the
users' real sent mail and on random text made of the words and marks the tables are made of.
A new alternative that begins otherwise (a space, a mark) fails here."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inbox_agent.mail import asks
from inbox_agent.mail.body import new_text, readable_text
from inbox_agent.mail.expects import own_words, sentences
from scripts.judgement_labels import CORPUS

WRAPPED = {
    name: pattern
    for name, pattern in vars(asks).items()
    if isinstance(pattern, re.Pattern) and pattern.pattern.startswith(r"(?=\b\w)(?:")
}
PREFIX = len(r"(?=\b\w)(?:")


def _unwrapped(pattern: re.Pattern[str]) -> re.Pattern[str]:
    return re.compile(pattern.pattern[PREFIX:-1], pattern.flags)


def _same(text: str) -> None:
    for name, pattern in WRAPPED.items():
        raw = _unwrapped(pattern)
        found = [m.span() for m in pattern.finditer(text)]
        assert found == [m.span() for m in raw.finditer(text)], (name, text)


def test_the_big_tables_are_wrapped() -> None:
    assert {"_REQUEST", "_PROPOSAL", "_DELEGATION", "_OFFER", "_FALLBACK"} <= set(WRAPPED)


# words the tables begin with or turn on, and what sits between them
WORDS = re.findall(
    r"\S+",
    "let me us know if you could can would will won't please send me get back to call i we "
    "need like want your any thoughts appreciate chance look forward hearing checking in "
    "confirm hope this meets approval ask request work here are my questions thanks advance "
    "what do think wondering wonder waiting for how about are free does that go ahead and "
    "draft bitte merci de pouvez por favor per favore laat weten should meet sound ok let's "
    "discuss tell Bob Sarah handle have him contact give a ring otherwise unless hear "
    "hesitate feel free helps objections he she they also just ed to with had réponds lui",
)
MARKS = (" ", " ", " ", ", ", ". ", "? ", "- ", ": ", "\n", "'", "(", ")", "—")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(MARKS)), max_size=14))
def test_random_sentences_match_the_same_wrapped_or_not(parts: list[tuple[str, str]]) -> None:
    text = "".join(w + m for w, m in parts)
    _same(text)
    _same(text.strip())
    _same(text.upper())


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared/corpus is not beside the repository")
def test_the_sentences_of_real_sent_mail_match_the_same_wrapped_or_not() -> None:
    files = sorted((CORPUS / "enron").glob("*/sent/*"))
    for path in random.Random(7).sample(files, min(600, len(files))):
        text = new_text(readable_text(path.read_bytes()))
        for sentence in sentences(own_words(text)):
            _same(sentence)
