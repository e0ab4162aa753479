"""The IMAP edge: one account's session and incremental header sync (`imap`), push through IDLE
(`idlewatch`), OAuth 2.0 sign-in for IMAP and SMTP (`oauth`), and what the edge raises, as the
error tree (`failures`).

The surface is these modules; callers import the one they need.
"""

__all__ = ["failures", "idlewatch", "imap", "oauth"]
