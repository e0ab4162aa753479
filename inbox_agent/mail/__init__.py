"""Mail formats, pure: a header block read into a `Header` (`headers`), reply and forward
prefixes on subjects (`subject`), a body's own text (`body`), what an inbound body means
(`classify`), a message read as a letter (`letter`), its language (`language`), and the nudge
built as a MIME reply (`compose`). No I/O.

The surface is these modules; callers import the one they need.
"""

__all__ = ["body", "classify", "compose", "headers", "language", "letter", "subject"]
