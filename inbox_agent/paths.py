"""Where inbox-agent keeps things: platformdirs locations, or everything under INBOX_AGENT_HOME.

INBOX_AGENT_HOME puts config in `$INBOX_AGENT_HOME/config`, data in `$INBOX_AGENT_HOME/data` and
logs in `$INBOX_AGENT_HOME/logs`. Tests, the demo and second profiles use it.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "inbox-agent"


def home() -> Path | None:
    value = os.environ.get("INBOX_AGENT_HOME")
    return Path(value).expanduser() if value else None


def config_dir() -> Path:
    root = home()
    return root / "config" if root else Path(platformdirs.user_config_dir(APP))


def data_dir() -> Path:
    root = home()
    return root / "data" if root else Path(platformdirs.user_data_dir(APP))


def log_dir() -> Path:
    root = home()
    return root / "logs" if root else Path(platformdirs.user_log_dir(APP))


def accounts_dir() -> Path:
    return config_dir() / "accounts"


def global_config_file() -> Path:
    return config_dir() / "inbox-agent.toml"


def database_file() -> Path:
    return data_dir() / "inbox-agent.sqlite3"
