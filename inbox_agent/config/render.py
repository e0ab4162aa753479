"""The text of a new account file, written by `init` and the demo and read back by `load.py`."""

from __future__ import annotations

import json
from collections.abc import Mapping

from inbox_agent.config.model import ServerConfig


def toml_string(value: str) -> str:
    """`value` as a TOML basic string."""
    # JSON's string escapes (\" \\ \n \uXXXX ...) are all valid in a TOML basic string
    return json.dumps(value, ensure_ascii=False)


def render_account(
    *,
    email: str,
    display_name: str,
    imap: ServerConfig,
    smtp: ServerConfig,
    autonomy: str = "manual",
    smtp_saves_sent: bool = False,
    provider: str = "",
    oauth_client_id: str = "",
    oauth_overrides: Mapping[str, str] | None = None,
) -> str:
    """The TOML text of a new account file (used by `init` and the demo). With a client ID, the
    file says `auth = "oauth2"` and carries the ID (never a secret) and any URL overrides."""
    q = toml_string
    head = f"email = {q(email)}\ndisplay_name = {q(display_name)}\naliases = []\n"
    if provider:
        head += f"provider = {q(provider)}\n"
    if oauth_client_id:
        head += 'auth = "oauth2"\n'
    text = (
        f"{head}\n"
        f"[imap]\nhost = {q(imap.host)}\nport = {imap.port}\nsecurity = {q(imap.security)}\n"
        f"username = {q(imap.username)}\n\n"
        f"[smtp]\nhost = {q(smtp.host)}\nport = {smtp.port}\nsecurity = {q(smtp.security)}\n"
        f"username = {q(smtp.username)}\n"
        f"saves_sent = {'true' if smtp_saves_sent else 'false'}\n\n"
    )
    if oauth_client_id:
        text += f"[oauth]\nclient_id = {q(oauth_client_id)}\n"
        text += "".join(f"{k} = {q(v)}\n" for k, v in (oauth_overrides or {}).items())
        text += "\n"
    return text + (
        f"[autonomy]\ndefault = {q(autonomy)}\n\n"
        '[cadence]\ntouches = 3\ngaps = ["3bd", "5bd", "7bd"]\nlookback = "14d"\n'
    )
