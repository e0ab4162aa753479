"""The mail edge. `mailbox` is the interface the rest of the agent calls (`Mailbox`), with two
implementations: `imap` over a live connection (login, the raw sync FETCH) and `memory`, an
in-memory mailbox with IMAP's semantics for tests and tools. Over any of them: `folders` picks
Sent, Drafts and the rest by role, `folder_sync` plans and runs one folder's incremental header
sync. Push through IDLE is `idlewatch`; OAuth 2.0 for IMAP and SMTP is `signin` (the browser and
device flows) and `oauth` (the token set and its renewal); what the edge raises, as the error
tree, is `failures`.

The surface is these modules; callers import the one they need.
"""

__all__ = [
    "failures",
    "folder_sync",
    "folders",
    "idlewatch",
    "imap",
    "mailbox",
    "memory",
    "oauth",
    "signin",
]
