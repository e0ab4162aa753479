"""`mail.mime.parse` reads every message as `email.policy.default` does: the odd and hostile mail
of ../shared/corpus/malformed (where it is present) and the generated hostile messages, part by
part and header by header, and the body `get_body` finds."""

from __future__ import annotations

from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import Message

from inbox_agent.mail.mime import parse
from tests.test_hostile_mail import _corpus, _generated

MESSAGES = [raw for raw in _corpus() + _generated() if len(raw) <= 2_000_000]


def _outcome(call: Callable[[], object]) -> object:
    try:
        return call()
    except Exception as exc:  # the same failure, both ways
        return type(exc).__name__


def _shape(msg: Message) -> list[object]:
    out: list[object] = []
    for part in msg.walk():
        out.append(_outcome(part.get_content_type))
        out.append(_outcome(lambda p=part: [(k, str(v)) for k, v in p.items()]))
        out.append(_outcome(lambda p=part: [type(d).__name__ for d in p.defects]))
        out.append(_outcome(lambda p=part: p.get_param("charset")))
    body = _outcome(lambda: msg.get_body(preferencelist=("plain", "html")))  # type: ignore[attr-defined]
    out.append(_outcome(lambda: body.get_content() if isinstance(body, Message) else body))  # type: ignore[attr-defined]
    return out


def test_there_is_hostile_mail_to_read() -> None:
    assert len(MESSAGES) >= 40


def test_every_message_reads_as_the_standard_policy_reads_it() -> None:
    for index, raw in enumerate(MESSAGES):
        fast, standard = _shape(parse(raw)), _shape(message_from_bytes(raw, policy=policy.default))
        assert fast == standard, f"message {index} reads otherwise: {raw[:200]!r}"


def test_a_header_parsed_once_serves_every_message_with_that_value() -> None:
    first = parse(b"Content-Type: text/plain; charset=utf-8\r\n\r\nHello.\r\n")
    second = parse(b"Content-Type: text/plain; charset=utf-8\r\n\r\nAgain.\r\n")
    assert first["Content-Type"] is second["Content-Type"]
    assert second.get_content() == "Again.\r\n"
