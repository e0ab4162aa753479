"""Mail formats, pure: a header block read into a `Header` (`headers`), the address lists in
it and the one normal form of an address (`addresses`), reply and forward prefixes on subjects
(`subject`), a body's own text (`body`), what an inbound body means (`classify`), whether the
user's own message expects an answer (`expects`, weighing each of its sentences with `asks`,
and a deadline it sets, `when`), a promise from the other side (`promise`), a message read as a
letter (`letter`), its language (`language`), the nudge built as a MIME reply (`compose`) and
the quote of the message it follows up (`quote`), and a raw message parsed (`mime`). No I/O.

The surface is these modules; callers import the one they need.
"""

__all__ = [
    "addresses",
    "asks",
    "body",
    "classify",
    "compose",
    "expects",
    "headers",
    "language",
    "letter",
    "mime",
    "promise",
    "quote",
    "subject",
]
