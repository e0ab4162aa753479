"""A raw message parsed with the standard library's modern API (`email.policy.default`), with
each short header value parsed once.

The modern API parses a header every time it is read, through the header registry, and a body
is found by reading the Content-Type of every part several times over (the parser does, and
`get_body` does again): a quarter of the CPU of reading a body went to parsing the same few
Content-Type values ("text/plain; charset=utf-8") again and again. The parsed headers are
immutable, so one parse serves every message that has the same value.
"""

from __future__ import annotations

import functools
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import EmailPolicy, default
from typing import Any

__all__ = ["parse"]

_CACHED_UP_TO = 256  # characters; longer values (a long To:) are parsed as usual


class _Policy(EmailPolicy):
    def header_fetch_parse(self, name: str, value: str) -> Any:
        if hasattr(value, "name") or len(value) > _CACHED_UP_TO:
            return super().header_fetch_parse(name, value)
        return _parsed(name, value)


@functools.lru_cache(maxsize=1024)
def _parsed(name: str, value: str) -> Any:
    return default.header_fetch_parse(name, value)


POLICY = _Policy()


def parse(raw: bytes) -> EmailMessage:
    """`email.message_from_bytes(raw, policy=policy.default)`, faster."""
    msg = message_from_bytes(raw, policy=POLICY)
    assert isinstance(msg, EmailMessage)
    return msg
