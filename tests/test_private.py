"""Private by default (issue 13, point 13): config and data folders 0700, files 0600, whatever
the umask, and a store left readable by others is tightened when it is opened."""

from __future__ import annotations

import logging
import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from inbox_agent import paths
from inbox_agent.store import Store

ROOT = Path(__file__).resolve().parent.parent


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def _loose(home: Path) -> list[str]:
    """Everything under `home` that someone else could read, with its mode."""
    out = []
    for dirpath, dirnames, filenames in os.walk(home):
        for name in dirnames:
            if _mode(Path(dirpath, name)) != 0o700:
                out.append(f"{Path(dirpath, name)} {_mode(Path(dirpath, name)):o}")
        for name in filenames:
            if _mode(Path(dirpath, name)) != 0o600:
                out.append(f"{Path(dirpath, name)} {_mode(Path(dirpath, name)):o}")
    return out


@contextmanager
def _umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def test_everything_a_real_run_leaves_is_private(tmp_path: Path) -> None:
    """`inbox-agent demo`: setup of an account, a sync, a cycle, drafts, the audit log."""
    env = dict(os.environ, TMPDIR=str(tmp_path))  # the demo makes its home there
    done = subprocess.run(
        [sys.executable, "-m", "inbox_agent", "demo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        umask=0o022,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    match = re.search(r"state and audit log in (\S+)", done.stdout)
    assert match, done.stdout
    home = Path(match.group(1))
    assert (home / "data").is_dir() and any((home / "data").iterdir())
    assert _loose(home) == []


def test_the_store_is_private_whatever_the_umask(tmp_path: Path) -> None:
    with _umask(0o022):
        store = Store(tmp_path / "a" / "b" / "store.db")
        with store.tx():
            store.set_autonomy("main", "domain:example.test", "manual", "2026-01-01")
        store.close()
    assert _loose(tmp_path) == []


def test_a_store_left_readable_is_tightened_on_open(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    Store(folder / "store.db").close()
    os.chmod(folder / "store.db", 0o644)
    os.chmod(folder, 0o755)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="inbox_agent.paths"):
        Store(folder / "store.db").close()
    assert _mode(folder) == 0o700 and _mode(folder / "store.db") == 0o600
    assert sum("was readable by others" in r.getMessage() for r in caplog.records) == 2


def test_private_dir_never_touches_a_parent_it_did_not_make(tmp_path: Path) -> None:
    os.chmod(tmp_path, 0o755)
    with _umask(0o022):
        paths.private_file(tmp_path / "x" / "y" / "f")
    assert _mode(tmp_path) == 0o755
    assert _mode(tmp_path / "x") == 0o700 and _mode(tmp_path / "x" / "y") == 0o700
    assert _mode(tmp_path / "x" / "y" / "f") == 0o600
