"""The quote under a nudge: the user's own message it follows up, the way mail clients quote.

Pure. `quote_of` gives an attribution line in the thread's language ("On Tue, 24 Nov 2026 at
09:14, Alice Example <alice@example.com> wrote:") and the quoted text; `Quote.plain()` is that
line and `>` lines, `Quote.html()` the line and a `<blockquote type="cite">` of escaped
paragraphs. The original's markup is deliberately not carried over: no remote images or tracking
pixels are sent again, no scripts, no broken `<html>` nesting, and no sanitiser to maintain.

Every attribution matches `body._ATTRIBUTION`, so `body.new_text` cuts it with its `>` lines:
the nudge's copy in Sent, the next touch's thread text and an edited draft read back all see
only our own words. `split_reply` splits a draft read back from Drafts into the user's own text
and the quote still under it, as it stands.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape

from inbox_agent.mail.body import is_attribution

__all__ = ["LANGUAGES", "Quote", "attribution", "quote_of", "split_reply"]

MAX_LINES = 200

# weekday (Mon first) and month abbreviations, as each language's mail clients write them
_DAYS = {
    "en": "Mon Tue Wed Thu Fri Sat Sun",
    "de": "Mo. Di. Mi. Do. Fr. Sa. So.",
    "fr": "lun. mar. mer. jeu. ven. sam. dim.",
    "es": "lun mar mié jue vie sáb dom",
    "it": "lun mar mer gio ven sab dom",
    "nl": "ma di wo do vr za zo",
    "pt": "seg. ter. qua. qui. sex. sáb. dom.",
    "sv": "mån tis ons tors fre lör sön",
    "da": "man. tir. ons. tor. fre. lør. søn.",
}
_MONTHS = {
    "en": "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec",
    "de": "Jan. Feb. März Apr. Mai Juni Juli Aug. Sept. Okt. Nov. Dez.",
    "fr": "janv. févr. mars avr. mai juin juil. août sept. oct. nov. déc.",
    "es": "ene feb mar abr may jun jul ago sept oct nov dic",
    "it": "gen feb mar apr mag giu lug ago set ott nov dic",
    "nl": "jan feb mrt apr mei jun jul aug sep okt nov dec",
    "pt": "jan. fev. mar. abr. mai. jun. jul. ago. set. out. nov. dez.",
    "sv": "jan. feb. mars apr. maj juni juli aug. sep. okt. nov. dec.",
    "da": "jan. feb. mar. apr. maj jun. jul. aug. sep. okt. nov. dec.",
}
# {d} weekday, {n} day, {m} month, {y} year, {t} time, {who} "Name <address>"
_DATED = {
    "en": "On {d}, {n} {m} {y} at {t}, {who} wrote:",
    "de": "Am {d}, {n}. {m} {y} um {t} schrieb {who}:",
    "fr": "Le {d} {n} {m} {y} à {t}, {who} a écrit :",
    "es": "El {d}, {n} {m} {y} a las {t}, {who} escribió:",
    "it": "Il giorno {d} {n} {m} {y} alle ore {t} {who} ha scritto:",
    "nl": "Op {d} {n} {m} {y} om {t} schreef {who}:",
    "pt": "Em {d}, {n} de {m} de {y} às {t}, {who} escreveu:",
    "sv": "Den {d} {n} {m} {y} kl. {t} skrev {who}:",
    "da": "Den {d} {n}. {m} {y} kl. {t} skrev {who}:",
}
LANGUAGES = tuple(_DATED)


def _who(name: str, address: str) -> str:
    name = " ".join(name.replace("<", "").replace(">", "").split())
    if not address:
        return name or "?"
    return f"{name} <{address}>" if name and name != address else f"<{address}>"


def attribution(when: datetime | None, name: str, address: str, lang: str) -> str:
    """The line above the quote, in `lang` (English when it is not one of ours); the time is
    written in the original's own offset, as its Date header gave it."""
    lang = lang if lang in _DATED else "en"
    who = _who(name, address)
    if when is None:  # with no date every client writes the short English form
        return f"{who} wrote:"
    time = f"{when:%H}.{when:%M}" if lang == "da" else f"{when:%H:%M}"
    return _DATED[lang].format(
        d=_DAYS[lang].split()[when.weekday()],
        n=when.day,
        m=_MONTHS[lang].split()[when.month - 1],
        y=when.year,
        t=time,
        who=who,
    )


@dataclass(frozen=True)
class Quote:
    attribution: str
    text: str  # the quoted message's readable text (its own quotes included), capped

    def plain(self) -> str:
        """The attribution and the text as `>` lines (`>` alone on a blank line, `>>` nested)."""
        lines = (
            f">{line}" if line.startswith(">") else f"> {line}".rstrip()
            for line in self.text.split("\n")
        )
        return self.attribution + "\n" + "\n".join(lines)

    def html(self) -> str:
        """The attribution and a cite blockquote of escaped paragraphs (no original markup)."""
        paragraphs = "".join(
            f"<p>{escape(p.strip()).replace(chr(10), '<br>')}</p>"
            for p in self.text.split("\n\n")
            if p.strip()
        )
        return (
            f"<div>{escape(self.attribution)}</div>"
            '<blockquote type="cite" style="margin:0 0 0 .8ex;border-left:1px solid #ccc;'
            f'padding-left:1ex">{paragraphs}</blockquote>'
        )


def quote_of(
    text: str,
    when: datetime | None,
    name: str,
    address: str,
    lang: str,
    max_lines: int = MAX_LINES,
) -> Quote:
    """The quote of one message: its text cut at `max_lines` lines with a `[…]` line."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").strip("\n").split("\n")]
    if len(lines) > max_lines:
        lines = [*lines[:max_lines], "[…]"]
    return Quote(attribution(when, name, address, lang), "\n".join(lines))


def split_reply(plain: str) -> tuple[str, Quote | None]:
    """A draft read back from Drafts: the user's own text, and the quote under it as it stands.

    The split is at the first attribution line followed by `>` lines: everything above it is the
    user's text as typed, and the lines below are the quote, kept with any change the user made
    to them. With the attribution line deleted, the whole text is the user's and there is no
    quote (so a send never quotes twice, and never adds back what the user took out)."""
    lines = plain.replace("\r\n", "\n").split("\n")
    for i, line in enumerate(lines):
        below = lines[i + 1 : i + 2]
        if below and below[0].startswith(">") and is_attribution(line):
            quoted = [
                q[2:] if q.startswith("> ") else q[1:] if q.startswith(">") else q
                for q in lines[i + 1 :]
            ]
            own = "\n".join(lines[:i]).strip()
            return own, Quote(line.strip(), "\n".join(quoted).rstrip())
    return "\n".join(lines).strip(), None
