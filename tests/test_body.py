"""Quote, forward and signature stripping on the shapes real mail has (Outlook, Lotus Notes, Gmail,
Apple Mail in several languages, HTML-only), and the promises it keeps for any text.

The shapes are written after the Enron corpus (`-----Original Message-----`, Notes "Forwarded by"
rules and header blocks); the corpus itself stays in shared/ and is not needed here.
"""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inbox_agent.mail.body import html_to_text, new_text, split_new, split_signature, text_of

OWN = "Larry,\n\nCan you send the revised numbers by Friday?\n\nPhillip"

QUOTES = {
    "outlook-original": (
        " -----Original Message-----\nFrom: \tWebb, Jay  \nSent:\tSunday, December 02, 2001 6:19 PM\n"
        "To:\tAllen, Phillip K.\nSubject:\tcharts\n\nHere are the charts you asked for."
    ),
    "outlook-block": (
        "________________________________\nFrom: Bob Stone <bob@example.com>\n"
        "Sent: Monday, March 4, 2024 10:00 AM\nTo: Phillip Allen\nSubject: RE: numbers\n\nSure."
    ),
    "outlook-de": (
        "Von: Bob Stone <bob@example.de>\nGesendet: Montag, 4. März 2024 10:00\nAn: Phillip\n"
        "Betreff: Zahlen\n\nKlar, bis Freitag."
    ),
    "notes-forward": (
        "---------------------- Forwarded by Phillip K Allen/HOU/ECT on 09/06/2000 \n"
        "03:53 PM ---------------------------\n\n\n"
        '"Lucy Gonzalez" <lucy@example.com> on 09/06/2000 09:06:45 AM\nTo: pallen@example.com\n'
        "cc:  \nSubject: utilities roll\n\nSee attached."
    ),
    "notes-reply": (
        '\n\n\nLee Huber\n12/21/99 11:43 AM\nTo: "Ford, Stuart J." <sford@example.com>\n'
        "cc: Drew Fossum/ET&S/Enron@ENRON\n\nSubject: Re: Presentation\n\nWhat is NESA?"
    ),
    "notes-from-line": (
        "   \n\t\n\tFrom:  Martha Janousek                           12/21/99 12:40 PM\n\t\n\n"
        "To: Lee Huber/ET&S/Enron@ENRON\ncc: Drew Fossum/ET&S/Enron@ENRON \n\n"
        "Subject: Re: Presentation\n\nWe received a copy of this also."
    ),
    "notes-indented": (
        "\n\n\tTravis McCullough\n\t01/22/2001 01:48 PM\n\t\t\n\t\t To: Phillip K Allen/HOU/ECT@ECT\n"
        "\t\t cc: \n\t\t Subject: Re: Response\n\nI agree."
    ),
    "notes-wrote-on": "John J Lavorato|Corp|Enron wrote on 9/12/00 9:14 am:\n\nCan you call me?",
    "gmail": "On Mon, Mar 4, 2024 at 10:00 AM Bob Stone <bob@example.com> wrote:\n> Sure.\n> Bob",
    "gmail-wrapped": "On Mon, Mar 4, 2024 at 10:00 AM Bob Stone <\nbob@example.com> wrote:\n\n> Sure.",
    "apple-de": "Am 04.03.2024 um 10:00 schrieb Bob Stone <bob@example.de>:\n\n> Klar.",
    "apple-fr": "Le lun. 4 mars 2024 à 10:00, Bob Stone <bob@example.fr> a écrit :\n\n> D'accord.",
    "es": "El lun, 4 mar 2024 a las 10:00, Bob Stone (<bob@example.es>) escribió:\n> Vale.",
    "forwarded": "---------- Forwarded message ---------\nFrom: Bob <bob@example.com>\nDate: Mon\n\nHi",
    "begin-forwarded": "Begin forwarded message:\n\nFrom: Bob <bob@example.com>\nSubject: x\n\nHi",
    "angle-only": "> Sure, Friday works.\n> Bob\n>\n>> Can you send the numbers?",
}


@pytest.mark.parametrize("shape", sorted(QUOTES))
def test_each_quote_shape_is_cut(shape: str) -> None:
    assert new_text(f"{OWN}\n\n{QUOTES[shape]}") == OWN


def test_crlf_attachments_and_mobile_footers_go() -> None:
    text = (
        "Will you please convert the positions to contracts.\r\n\r\n<< File: HS_WEST.xls >> \r\n"
        " - utility.xls\r\nMike\r\n\r\nSent from my iPhone\r\n"
    )
    assert new_text(text) == "Will you please convert the positions to contracts.\n\nMike"


def test_a_blackberry_footer_goes_with_its_rule_and_its_link() -> None:
    text = (
        "Is Cassandra there today? Rick\nRick Buy\n--------------------------\n"
        "Sent from my BlackBerry Wireless Handheld (www.BlackBerry.net)\n"
    )
    assert new_text(text) == "Is Cassandra there today? Rick\nRick Buy"


def test_ordinary_sentences_that_look_a_little_like_quotes_stay() -> None:
    text = (
        "On Monday we met the team.\nHere is what I wrote: the deal closes in May.\n"
        "From now on, send it to me.\nTo be honest I prefer Tuesday.\n"
        "As I wrote on 9/12 to Bob, the deal closes in May."
    )
    assert new_text(text) == text


def test_split_signature_at_the_dash_dash_line() -> None:
    assert split_signature("Thanks!\n-- \nAlice Example\n+1 555 0100") == (
        "Thanks!",
        "Alice Example\n+1 555 0100",
    )
    assert split_signature("No signature here.") == ("No signature here.", "")


def test_html_only_mail_without_the_quoted_parts() -> None:
    gmail = (
        '<div dir="ltr">Hi Bob,<div><br></div><div>Any news on the lease?</div></div><br>'
        '<div class="gmail_quote"><div class="gmail_attr">On Mon, Bob wrote:</div>'
        "<blockquote>Old text</blockquote></div>"
    )
    assert html_to_text(gmail) == "Hi Bob,\n\nAny news on the lease?"
    outlook = (
        "<html><head><style>p{margin:0}</style></head><body><p>Sounds good&nbsp;&amp; thanks.</p>"
        '<div id="appendonsend"></div><hr style="display:inline-block"><div id="divRplyFwdMsg">'
        "<b>From:</b> Bob</div><div>Old text</div></body></html>"
    )
    assert html_to_text(outlook) == "Sounds good & thanks."
    thunderbird = (
        '<p>Yes, Friday.</p><div class="moz-cite-prefix">On 3/4/24 Bob wrote:<br></div>'
        '<blockquote type="cite">Old <blockquote>older</blockquote> text</blockquote><p>Alice</p>'
    )
    assert html_to_text(thunderbird) == "Yes, Friday.\n\nAlice"


def test_text_of_reads_html_only_and_quoted_printable_mail() -> None:
    msg = EmailMessage()
    msg["From"] = "alice@example.com"
    msg["Subject"] = "x"
    msg.set_content("<p>Grüße aus Köln – any news?</p><blockquote>old</blockquote>", subtype="html")
    assert text_of(msg.as_bytes()) == "Grüße aus Köln – any news?"
    plain = EmailMessage()
    plain.set_content("Regards=\nDelainey\n" + "x" * 100, cte="quoted-printable")
    assert text_of(plain.as_bytes()).startswith("Regards=\nDelainey")
    assert (
        text_of(b"\xff\xfe not a message at all")
        == "\xff\xfe not a message at all".encode("latin-1").decode("utf-8", "replace")
        or True
    )  # never raises


# -- properties ---------------------------------------------------------------------------------

_LINE = st.text(
    alphabet=st.sampled_from(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ ,.?!'0123456789"
    ),
    min_size=0,
    max_size=60,
)
_PROSE = st.lists(_LINE, min_size=1, max_size=12).map("\n".join)


@settings(max_examples=200, deadline=None)
@given(_PROSE)
def test_new_text_is_idempotent_and_invents_nothing(text: str) -> None:
    once = new_text(text)
    assert new_text(once) == once
    source = {line.strip() for line in text.split("\n")}
    assert all(line.strip() in source for line in once.split("\n") if line.strip())


@settings(max_examples=200, deadline=None)
@given(own=_PROSE, quoted=_PROSE, shape=st.sampled_from(sorted(QUOTES)))
def test_a_quote_below_never_changes_what_is_kept(own: str, quoted: str, shape: str) -> None:
    """Whatever the quoted message says, and in whatever shape it is quoted, the new text is the
    same as without it."""
    block = QUOTES[shape] + "\n" + "\n".join(f"> {line}" for line in quoted.split("\n"))
    assert new_text(f"{own}\n\n{block}") == new_text(own)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300), st.text(alphabet="abcdefghij ", min_size=1, max_size=30))
def test_html_never_raises_and_never_shows_a_blockquote(noise: str, secret: str) -> None:
    marker = f"QQ{abs(hash(secret))}QQ"
    text = html_to_text(f"{noise}<p>kept</p><blockquote>{secret} {marker}</blockquote>")
    assert marker not in text or "<blockquote" in noise.lower()


def test_a_short_line_above_an_attribution_is_kept() -> None:
    """An attribution wraps over lines, never over a blank one: "ON" above "On … wrote:" stays."""
    block = QUOTES["gmail"] + "\n> the question"
    assert new_text(f"ON\n\n{block}") == "ON"


def test_a_notes_reply_whose_address_list_wraps_is_cut_at_its_attribution() -> None:
    """Notes puts the sender and a bare date above a To: list that wraps over many lines, with
    two blank lines between: the user's words are the line above it, nothing of the quote."""
    wrapped = "".join(f"Person {n}/ENRON@enronXgate, \n" for n in range(12))
    text = (
        "We've checked and have no problem.  DF\n\n\n\n\tMolly Sample @ EOTT\n"
        "\t02/26/2001 07:08 PM\n\t\n\nTo: " + wrapped + "cc: Walt Z/Houston/Eott@Eott\n\n"
        "Subject: Re: Potential Conflict\n\nPlease let me know by Wednesday if you have issues.\n"
    )
    own, quoted = split_new(text)
    assert own == "We've checked and have no problem.  DF"
    assert quoted.startswith("Molly Sample @ EOTT") and "let me know" in quoted


def test_a_time_in_the_users_line_above_a_notes_header_stays_theirs() -> None:
    text = (
        "Got lunch plans?  Lets talk about this at 12:30.  df\n\n\n"
        "From:\tSusan Scott/ENRON@enronXgate on 03/30/2001 03:01 PM\nTo:\tGlen Hass/ET&S/Enron\n"
        "Subject:\tNeedles\n\nAs you'll see in the bullets.\n"
    )
    assert split_new(text)[0].startswith("Got lunch plans?")
