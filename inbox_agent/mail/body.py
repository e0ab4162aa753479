"""The readable text of a message: what the person wrote in it, without what they quoted.

Pure except for `text_of`, which parses MIME with mail-parser. `new_text` cuts everything from
the first sign of quoted or forwarded mail: "On … wrote:" (and its German, French, Spanish,
Italian, Dutch, Portuguese and Swedish forms, also when wrapped over lines), Notes' "… wrote on
9/12/00 9:14 am:", "-----Original Message-----", Lotus Notes "Forwarded by" rules, Outlook and Notes header blocks (`From:`/`Sent:`/
`To:`/`Subject:` lines, with the attribution lines above them), and `>` quoting. Attachment
markers and mobile footers go too. `split_signature` takes the block after a `-- ` line.
HTML-only mail is turned into text first, leaving out `<blockquote>` and the quote containers
of Gmail, Outlook, Yahoo and Thunderbird.
"""

from __future__ import annotations

import html
import logging
import re
from html.parser import HTMLParser

log = logging.getLogger(__name__)

_WRAP = r"[^\n]{0,200}?(?:\n[^\n]{1,200}?){0,2}?"  # wrapped over 3 lines at most, none blank
_ATTRIBUTION = re.compile(
    r"^[ \t]*("
    rf"On\b{_WRAP}\bwrote|Am\b{_WRAP}\bschrieb[^\n]{{0,80}}|Le\b{_WRAP}\ba [ée]crit|"
    rf"El\b{_WRAP}\bescribi[óo]|Il giorno\b{_WRAP}\bha scritto|Op\b{_WRAP}\bschreef[^\n]{{0,80}}|"
    rf"Em\b{_WRAP}\bescreveu|Den\b{_WRAP}\bskrev[^\n]{{0,80}}|[^\n]{{0,120}}(@|\d)[^\n]{{0,120}}\bwrote|"
    r"[^\n]{1,120}\bwrote on\b[^\n]{0,40}\d[^\n]{0,40}"  # Notes: "A B|HOU|ECT wrote on 7/28/00 7:33 pm:"
    r")[ \t]*:[ \t]*$",
    re.MULTILINE | re.IGNORECASE,
)
_SEPARATOR = re.compile(
    r"^[ \t>]*("
    r"-{2,}\s*(Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original|"
    r"Messaggio originale|Oorspronkelijk bericht|Mensagem original|Ursprungligt meddelande|"
    r"Original Appointment|Forwarded message|Weitergeleitete Nachricht|Message transféré|"
    r"Mensaje reenviado)\s*-{2,}|"
    r"-{3,}\s*Forwarded by\b|Begin forwarded message:|Anfang der weitergeleiteten Nachricht:|"
    r"Début du message réexpédié\s*:"
    r")",
    re.MULTILINE | re.IGNORECASE,
)
_HEADER_LINE = re.compile(
    r"^[ \t>]*(From|Sent|Date|To|Cc|Bcc|Subject|Von|Gesendet|Datum|An|Betreff|De|Envoyé|À|"
    r"Objet|Enviado|Para|Asunto|Fecha|Da|Inviato|Oggetto|Van|Verzonden|Aan|Onderwerp|Från|"
    r"Skickat|Till|Ämne)[ \t]*:",
    re.IGNORECASE,
)
_OPENING_HEADER = re.compile(r"^[ \t>]*(From|Von|De|Da|Van|Från|To)[ \t]*:", re.IGNORECASE)
_ADDRESS_WRAP = re.compile(r"^(?![ \t>]*[A-Za-z]+[ \t]*:)\S.*(@\S|,[ \t]*$)")
_NOTES_FROM = re.compile(r"^[ \t]*From:[ \t]+\S.*\d{1,2}/\d{1,2}/\d{2,4}", re.IGNORECASE)
_DATE_OR_ADDRESS = re.compile(
    r"\d{1,2}/\d{1,2}/\d{2,4}|\d{1,2}:\d{2}|@|\b(AM|PM)\b|\b(19|20)\d\d\b", re.IGNORECASE
)
_RULE = re.compile(r"^[ \t]*[_=*-]{5,}[ \t]*$")  # Outlook's line above its header block
_BARE_DATE = re.compile(
    r"^[ \t]*\d{1,2}/\d{1,2}/\d{2,4}[ \t]+\d{1,2}:\d{2}(:\d{2})?[ \t]*([AP]M)?[ \t]*$", re.I
)
_ATTACHMENT = re.compile(
    r"^[ \t]*(<<\s*(File|Datei|Fichier|Archivo|OLE Object)?.{0,200}>>[ \t]*)+$|^ - [^\s/\\]{1,80}\.\w{2,5}$",
    re.IGNORECASE | re.MULTILINE,
)
# a device's line ("Sent from my BlackBerry Wireless Handheld (www.BlackBerry.net)"), with the
# rule of dashes some devices put above it
_FOOTER = re.compile(
    r"^(?:[ \t]*-{5,}[ \t]*\n)?"
    r"[ \t]*(Sent from my \w[\w ]{0,30}|Sent from (Mail|Outlook|Yahoo Mail)\b.*|Get Outlook for \w+.*|"
    r"Von meinem \w[\w ]{0,30} gesendet|Envoyé de mon \w[\w ]{0,30}|Enviado desde mi \w[\w ]{0,30}|"
    r"Inviato da(l mio)? \w[\w ]{0,30})(?:[ \t]*\([^()\n]{1,60}\))?[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
_SIG_DASHES = re.compile(r"^--[ \t]*$", re.MULTILINE)
_BLANK_RUN = re.compile(r"\n{3,}")


def _header_block_start(lines: list[str]) -> int | None:
    """The first line of an embedded header block (Outlook, Notes), with its attribution above.

    A block is a `From:` or `To:` line with at least one more header line among the next four,
    or a Notes "From: Name   12/21/99 12:40 PM" line. The non-blank lines just above it that hold
    a date, a time or an address belong to the quote too, and so does the name line Notes puts
    above a bare date ("Lee Huber" over "12/21/99 11:43 AM").
    """
    for i, line in enumerate(lines):
        if _NOTES_FROM.match(line):
            start = i
        elif _OPENING_HEADER.match(line):
            # a long address list wraps over lines of its own ("Becky Zikes/ENRON@enronXgate,")
            after = lines[i + 1 : i + 60]
            wrapped = next(
                (n for n, nxt in enumerate(after) if not _ADDRESS_WRAP.search(nxt)), len(after)
            )
            following = sum(1 for nxt in after[wrapped : wrapped + 4] if _HEADER_LINE.match(nxt))
            if following == 0:
                continue
            start = i
        else:
            continue
        for _ in range(6):
            above = lines[start - 1] if start > 0 else ""
            gap = next((n for n in (1, 2) if start > n and lines[start - 1 - n].strip()), 0)
            attribution = lines[start - 1 - gap] if gap else ""
            if (
                not above.strip()
                and _DATE_OR_ADDRESS.search(attribution)
                and (gap == 1 or _BARE_DATE.match(attribution))
            ):
                start -= gap  # Notes leaves a blank line (two under a bare date) above the block
                continue
            if not _RULE.match(above) and (not above.strip() or not _DATE_OR_ADDRESS.search(above)):
                break
            start -= 1
        # Notes puts the sender's name alone on the line above a bare date line
        if _BARE_DATE.match(lines[start]) and start > 0 and 0 < len(lines[start - 1].strip()) <= 60:
            start -= 1
        return start
    return None


def split_new(text: str) -> tuple[str, str]:
    """(what the writer wrote, the quoted or forwarded mail below it: "" when there is none)."""
    text = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n"))
    cuts = [m.start() for m in (_ATTRIBUTION.search(text), _SEPARATOR.search(text)) if m]
    lines = text.split("\n")
    block = _header_block_start(lines)
    if block is not None:
        cuts.append(sum(len(line) + 1 for line in lines[:block]))
    quoted = ""
    if cuts:
        text, quoted = text[: min(cuts)], text[min(cuts) :]
    text = _ATTACHMENT.sub("", text)
    text = _FOOTER.sub("", text)
    kept: list[str] = []
    below: list[str] = []
    for line in text.split("\n"):
        (below if line.lstrip().startswith(">") else kept).append(line)
    quoted = "\n".join([*below, quoted]).strip()
    return _BLANK_RUN.sub("\n\n", "\n".join(kept)).strip(), quoted


def new_text(text: str) -> str:
    """What the writer wrote in this message: quoted, forwarded and attached parts cut away."""
    return split_new(text)[0]


def is_attribution(line: str) -> bool:
    """Is this one line an "On … wrote:" line (in any language `new_text` knows)?"""
    return _ATTRIBUTION.fullmatch(line.strip()) is not None


def strip_quotes(text: str) -> str:
    """Kept for callers of the first version; `new_text` is the same thing."""
    return new_text(text)


def split_signature(text: str) -> tuple[str, str]:
    """(text, signature) split at the last `-- ` line; no such line, no signature."""
    matches = list(_SIG_DASHES.finditer(text))
    if not matches:
        return text.strip(), ""
    cut = matches[-1]
    return text[: cut.start()].strip(), text[cut.end() :].strip()


class _HtmlText(HTMLParser):
    """HTML to plain text, leaving out what a mail client renders as the quoted message."""

    _SKIP_TAGS = frozenset({"script", "style", "head", "title", "blockquote"})
    _QUOTE_MARKERS = ("gmail_quote", "yahoo_quoted", "moz-cite-prefix", "divrplyfwdmsg")
    _BREAKS = frozenset(
        {"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "hr"}
    )
    _VOID = frozenset({"br", "hr", "img", "meta", "link", "input", "col", "area", "base", "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._skip_tag = ""
        self._skip_depth = 0
        self.stopped = False  # Outlook's reply marker: everything after it is the quoted mail

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.stopped:
            return
        if self._skip_depth:
            if tag == self._skip_tag:
                self._skip_depth += 1
            return
        marks = " ".join((v or "") for k, v in attrs if k in ("class", "id")).lower()
        if "appendonsend" in marks or (tag == "hr" and "stopspelling" in marks):
            self.stopped = True
            return
        if tag in self._VOID:
            if tag in self._BREAKS:
                self.out.append("\n")
            return
        if tag in self._SKIP_TAGS or any(m in marks for m in self._QUOTE_MARKERS):
            self._skip_tag, self._skip_depth = tag, 1
            return
        if tag in self._BREAKS:
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self.stopped:
            return
        if self._skip_depth:
            if tag == self._skip_tag:
                self._skip_depth -= 1
            return
        if tag in self._BREAKS:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip_depth and not self.stopped:
            self.out.append(re.sub(r"[ \t\r\n]+", " ", data))


def html_to_text(markup: str) -> str:
    """The visible text of an HTML body, one line per block, without the quoted message."""
    parser = _HtmlText()
    try:
        parser.feed(markup)
        parser.close()
    except Exception:  # HTMLParser is forgiving, but a broken body must never cost more than itself
        log.warning("could not parse an HTML body; using its text roughly", exc_info=True)
        return html.unescape(re.sub(r"<[^>]+>", " ", markup))
    lines = [line.strip() for line in "".join(parser.out).replace("\xa0", " ").split("\n")]
    return _BLANK_RUN.sub("\n\n", "\n".join(lines)).strip()


def readable_text(raw: bytes) -> str:
    """The whole text of a raw message (plain part, else its HTML as text), quotes included."""
    import mailparser  # imported here: it is slow to import and only drafting needs it

    try:
        parsed = mailparser.parse_from_bytes(raw)
        plain = "\n".join(parsed.text_plain)
        if not plain.strip() and parsed.text_html:
            return "\n".join(html_to_text(part) for part in parsed.text_html)
        return plain
    except Exception:
        log.warning("could not read a message body; going on without it", exc_info=True)
        return ""


def text_of(raw: bytes) -> str:
    """The new text in a raw message; "" when it cannot be read (logged, never raised)."""
    return new_text(readable_text(raw))
