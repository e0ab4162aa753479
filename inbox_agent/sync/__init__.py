"""The IMAP edge: one account's session and incremental header sync (`imap`), push through IDLE
(`idlewatch`) and OAuth 2.0 sign-in for IMAP and SMTP (`oauth`).

The surface is these modules; callers import the one they need.
"""

__all__ = ["idlewatch", "imap", "oauth"]
