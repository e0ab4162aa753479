"""The IMAP edge: one account's session and incremental header sync (`imap`), push through IDLE
(`idlewatch`), OAuth 2.0 for IMAP and SMTP (`signin`: the browser and device flows; `oauth`: the
token set and its renewal), and what the edge raises, as the error tree (`failures`).

The surface is these modules; callers import the one they need.
"""

__all__ = ["failures", "idlewatch", "imap", "oauth", "signin"]
