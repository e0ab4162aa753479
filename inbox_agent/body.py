"""The readable text of a message: mail-parser for MIME and charsets, then quotes cut away.

Pure. What is kept is what the person wrote in this message: quoted replies (`>` lines,
"On … wrote:", "-----Original Message-----", Outlook header blocks) are dropped.
"""

from __future__ import annotations

import logging
import re

log = logging.getLogger(__name__)

_CUT = re.compile(
    r"^(On .{1,200} wrote:\s*$|-{2,}\s*Original Message\s*-{2,}|_{10,}\s*$|From:\s.+\r?\nSent:\s|"
    r"-{2,}\s*Forwarded message\s*-{2,}|Am .{1,200} schrieb .{1,200}:\s*$|Le .{1,200} a écrit\s*:\s*$)",
    re.MULTILINE | re.IGNORECASE,
)
_TAGS = re.compile(r"<[^>]+>")


def strip_quotes(text: str) -> str:
    match = _CUT.search(text)
    if match:
        text = text[: match.start()]
    lines = [line for line in text.splitlines() if not line.lstrip().startswith(">")]
    return "\n".join(lines).strip()


def text_of(raw: bytes) -> str:
    """The new text in a raw message; "" when it cannot be read (logged, never raised)."""
    import mailparser  # imported here: it is slow to import and only drafting needs it

    try:
        parsed = mailparser.parse_from_bytes(raw)
        plain = "\n".join(parsed.text_plain)
        if not plain and parsed.text_html:
            plain = _TAGS.sub(" ", "\n".join(parsed.text_html))
    except Exception:
        log.warning("could not read a message body; drafting without it", exc_info=True)
        return ""
    return strip_quotes(plain)
