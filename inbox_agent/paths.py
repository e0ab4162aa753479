"""Where inbox-agent keeps things: platformdirs locations, or everything under INBOX_AGENT_HOME.

INBOX_AGENT_HOME puts config in `$INBOX_AGENT_HOME/config`, data in `$INBOX_AGENT_HOME/data` and
logs in `$INBOX_AGENT_HOME/logs`. Tests, the demo and second profiles use it.

Everything there is private: the store holds mail metadata, draft texts and the audit log.
`private_dir` makes folders 0700 and `private_file` files 0600, whatever the umask, and tightens
ones that exist with wider bits (only those inbox-agent keeps; never a parent it did not make).
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import platformdirs

APP = "inbox-agent"
PRIVATE_DIR, PRIVATE_FILE = 0o700, 0o600

log = logging.getLogger(__name__)


def _tighten(path: Path, mode: int) -> None:
    current = stat.S_IMODE(path.stat().st_mode)
    if current & ~mode:
        os.chmod(path, mode)
        log.warning("%s was readable by others (%o); made it %o", path, current, mode)


def private_dir(path: Path) -> Path:
    """`path` as a folder only the user can open (0700), created with any missing parents,
    which are made 0700 too. An existing `path` with wider bits is tightened."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=PRIVATE_DIR, exist_ok=True)
        os.chmod(folder, PRIVATE_DIR)  # mkdir's mode is masked by the umask
    if not missing:
        _tighten(path, PRIVATE_DIR)
    return path


def private_file(path: Path) -> Path:
    """`path` as a file only the user can read (0600): created empty when missing (in a
    private folder), tightened when it exists with wider bits."""
    private_dir(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
        os.chmod(path, PRIVATE_FILE)
    except FileExistsError:
        _tighten(path, PRIVATE_FILE)
    return path


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
