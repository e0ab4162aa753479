"""What an inbound message on a tracked thread means, read from its body: an out-of-office with a
return date, an opt-out, a bounce (RFC 3464) and which message bounced; and whether the user's
own last message expected an answer at all (`judge_text`, kept as its verdict), and what the
other side promised to send back (`promise`).

Pure: raw bytes and a reference time in, a small `BodyFacts` out. Parsing failures cost only the
message they belong to (its facts come back empty).
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage, Message
from typing import Any

from inbox_agent.mail.body import split_new
from inbox_agent.mail.expects import JUDGED_BY, Outcome, Verdict, judge_text
from inbox_agent.mail.mime import parse
from inbox_agent.mail.promise import promised
from inbox_agent.mail.when import deadline, local_time

log = logging.getLogger(__name__)

MAX_PAUSE = timedelta(days=30)

_OOO = re.compile(
    r"out of (the )?office|on (annual |parental )?leave|on vacation|on holiday|away from (my )?(desk|email|the office)|"
    r"limited access to (my )?e-?mail|abwesend|nicht im büro|außer haus|urlaub|absent(e)? du bureau|en congés?|"
    r"fuera de la oficina|de vacaciones|afwezig|niet op kantoor|fuori ufficio|in ferie|fora do escritório",
    re.IGNORECASE,
)
_RETURN = re.compile(
    r"(?:until|till|back (?:on|in the office on|at work on)?|return(?:ing)? (?:on)?|returns? on|"
    r"bis (?:zum|einschließlich|inkl\.?)?|ab dem|wieder (?:am|ab)|jusqu'(?:au|à)|de retour le|retour le|"
    r"hasta el|regreso el|vanaf|tot en met|tot|fino al|rientro il|até)\s+([^\n;!?]{3,40})",
    re.IGNORECASE,
)
_OPT_OUT = re.compile(
    r"\b(not interested|no longer interested|please (stop|don'?t) (e-?mailing|contacting|writing)|stop (e-?mailing|contacting) me|"
    r"remove me|take me off|unsubscribe( me)?|do not contact me|don'?t contact me again|"
    r"kein interesse|nicht interessiert|bitte keine (weiteren )?(e-?mails|nachrichten)|"
    r"pas intéressée?|ne (plus )?me contactez plus|désinscri|no (me )?interesa|no estoy interesad[oa]|"
    r"niet geïnteresseerd|geen interesse|non sono interessat[oa]|não tenho interesse)\b",
    re.IGNORECASE,
)
# the version of the rules that read a person's message to the user (out-of-office and its return
# date, opt-out, bounce, promise): bumped whenever one of them changes, so that the messages that
# still decide something (inside the lookback) are read again, as `JUDGED_BY` does for the user's
# own words (2: a return date or a promise's day read in the writer's own time)
READ_BY = 2
_STATUS = re.compile(r"^Status:\s*([245])\.(\d{1,3})\.(\d{1,3})", re.IGNORECASE | re.MULTILINE)
_MSGID = re.compile(r"<[^<>\s]+>")


@dataclass(frozen=True)
class BodyFacts:
    """What the body says. Empty facts mean nothing special was found."""

    out_of_office: bool = False
    return_at: str | None = None  # ISO time when the sender says they are back
    opt_out: str = ""  # the phrase that opted out
    bounce_status: str = ""  # e.g. "5.1.1"; 4.x.x is soft, anything else is hard
    bounced_message_id: str = ""
    # on the user's own message: does it expect an answer (`Outcome`; "" not judged),
    # what decided it, the deciding words, and which version of the rules judged it
    expects: str = ""
    expects_kind: str = ""
    expects_quote: str = ""
    judged_by: int = 0
    deadline: str = ""  # ISO date of a deadline the user's ask set ("by Friday"), "" when none
    llm: str = ""  # on an unsure one: the user's LLM said "expects" or "no" ("?": it failed)
    # on a person's message to the user: the ISO day something they promised is owed by, and
    # their words ("" when they promised nothing; `mail.promise`)
    promise: str = ""
    promise_quote: str = ""
    read_by: int = 0  # on a person's message to the user: the `READ_BY` that read it

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BodyFacts:
        old = data.get("no_answer_expected")
        if old and "expects" not in data:  # the first version kept only why no answer was due
            data = {**data, "expects": "no", "expects_kind": str(old), "judged_by": 1}
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    @property
    def verdict(self) -> Verdict | None:
        """The judgement of the user's own message; None when it was not judged."""
        if not self.expects:
            return None
        if self.expects == Outcome.UNSURE and self.llm in (Outcome.EXPECTS, Outcome.NO):
            return Verdict(Outcome(self.llm), f"llm_{self.llm}", self.expects_quote)
        return Verdict(Outcome(self.expects), self.expects_kind, self.expects_quote)

    @property
    def hard_bounce(self) -> bool:
        """Read on a bounce: did it fail for good? Only a 4.x.x status is passing; a report
        whose status could not be read (or whose body was not read yet) counts as hard, so
        nobody is nudged at an address that does not take mail."""
        return not self.bounce_status.startswith("4")


def _text(msg: Message) -> str:
    if isinstance(msg, EmailMessage):
        part = msg.get_body(preferencelist=("plain", "html"))
        if part is not None:
            try:
                content = str(part.get_content())
            except (LookupError, UnicodeError, AssertionError):
                payload = part.get_payload(decode=True)
                content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
            if part.get_content_type() == "text/html":
                content = re.sub(r"<[^>]+>", " ", content)
            return content
    return ""


def return_date(text: str, sent_at: datetime) -> datetime | None:
    """The return date an out-of-office states, if it can be read; never more than 30 days out."""
    import dateparser  # a well-kept multilingual parser; only out-of-office bodies need it

    local = local_time(sent_at)  # "until Monday" is the writer's Monday
    base = local.replace(tzinfo=None)
    for match in _RETURN.finditer(text):
        phrase = re.sub(r"\s+", " ", match.group(1)).strip(" ,:")
        for candidate in (
            phrase,
            " ".join(phrase.split()[:4]),
            " ".join(phrase.split()[:3]),
            " ".join(phrase.split()[:2]),
        ):
            parsed = dateparser.parse(
                candidate, settings={"RELATIVE_BASE": base, "PREFER_DATES_FROM": "future"}
            )
            if isinstance(parsed, datetime):
                when = (
                    parsed.replace(tzinfo=local.tzinfo) if parsed.tzinfo is None else parsed
                ).astimezone(UTC)
                if sent_at - timedelta(days=1) <= when <= sent_at + MAX_PAUSE:
                    return when
                break
    return None


def _bounce(msg: Message) -> tuple[str, str]:
    """(status, Message-ID of the bounced message) from a delivery report or an embedded copy."""
    status, original = "", ""
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype in (
            "message/delivery-status",
            "message/rfc822",
            "text/rfc822-headers",
            "message/rfc822-headers",
        ):
            payload = part.get_payload()
            raw = (
                "\n".join(str(p) for p in payload)
                if isinstance(payload, list)
                else str(payload or "")
            )
            found = _STATUS.search(raw)
            if found and not status:
                status = ".".join(found.groups())
            for line in raw.splitlines():
                if (
                    line.lower().startswith(("message-id:", "original-message-id:"))
                    and not original
                ):
                    ids = _MSGID.findall(line)
                    original = ids[0] if ids else ""
    if not status:
        text = _text(msg)
        found = re.search(r"\b([45])\.(\d{1,3})\.(\d{1,3})\b", text)
        status = ".".join(found.groups()) if found else "5.0.0"
        if not original:
            ids = re.findall(r"Message-ID:\s*(<[^<>\s]+>)", text, re.IGNORECASE)
            original = ids[0] if ids else ""
    return status, original


def read(
    raw: bytes, kind: str, sent_at: datetime, subject: str = "", from_user: bool = False
) -> BodyFacts:
    """The facts of one message. `kind` is the header classification from `headers.classify`."""
    facts = _read(raw, kind, sent_at, subject, from_user)
    return facts if from_user else replace(facts, read_by=READ_BY)


def _read(raw: bytes, kind: str, sent_at: datetime, subject: str, from_user: bool) -> BodyFacts:
    try:
        msg = parse(raw)
        if kind == "bounce":
            status, original = _bounce(msg)
            return BodyFacts(bounce_status=status, bounced_message_id=original)
        text, quoted = split_new(_text(msg))
        if from_user:
            calendar = msg.get_content_type() == "text/calendar" or any(
                p.get_content_type() == "text/calendar" for p in msg.walk()
            )
            said = judge_text(
                text, subject, forward_marker=bool(quoted), calendar=calendar, quoted=quoted
            )
            due = deadline(text, sent_at) if said.outcome == Outcome.EXPECTS else None
            return BodyFacts(
                expects=said.outcome.value,
                expects_kind=said.kind,
                expects_quote=said.quote,
                judged_by=JUDGED_BY,
                deadline=due.isoformat() if due else "",
            )
        ooo = kind == "auto_reply" or bool(_OOO.search(text[:2000]))
        if ooo:
            back = return_date(text[:4000], sent_at)
            return BodyFacts(out_of_office=True, return_at=back.isoformat() if back else None)
        opt = _OPT_OUT.search(text[:3000])
        if opt:
            return BodyFacts(opt_out=opt.group(0))
        owed = promised(text[:4000], sent_at) if kind == "normal" else None
        if owed is None:
            return BodyFacts()
        return BodyFacts(promise=owed.by.isoformat(), promise_quote=owed.quote)
    except Exception:  # one unreadable body costs only its own facts
        log.warning(
            "could not read the body of a message (%s); treating it as plain",
            subject[:60],
            exc_info=True,
        )
        return unreadable(from_user)


def unreadable(from_user: bool) -> BodyFacts:
    """The facts of a body that cannot be read (it does not parse, or the server sends none):
    the user's own message is theirs to decide; a message to them is taken as plain."""
    if from_user:
        return BodyFacts(expects=Outcome.UNSURE, expects_kind="unreadable", judged_by=JUDGED_BY)
    return BodyFacts(read_by=READ_BY)
