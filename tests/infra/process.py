"""Ending the processes the tests started (mail servers, the daemon, the tray, the desktop), in
one way: ask, wait a bounded time, then SIGKILL. And the `preexec_fn` that ties a server's life
to the test process's.

A server started with `start_new_session=True` leads a process group of its own (its pgid is its
pid), so `group=True` reaches its children too, and nobody else's processes.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
from typing import Any

# Loaded in the parent: after a switch to `nobody` the child may not be able to read the
# interpreter's files (e.g. under /root/.pyenv), so preexec_fn must not import anything.
_LIBC = ctypes.CDLL("libc.so.6", use_errno=True)
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """preexec_fn (runs after any uid switch): the child gets SIGTERM when the test process dies."""
    _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def kill(proc: subprocess.Popen[Any], *, group: bool = False) -> None:
    """SIGKILL `proc` (with `group`, every process of its group at once: a crash, for fault
    tests, or what is left after its leader ended) and reap it."""
    with contextlib.suppress(ProcessLookupError):  # already gone
        if group:
            os.killpg(proc.pid, signal.SIGKILL)  # the group of its own new session only
        else:
            proc.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(10)


def end(
    proc: subprocess.Popen[Any],
    timeout: float = 10.0,
    *,
    group: bool = False,
    signum: int = signal.SIGTERM,
) -> None:
    """Send `signum` (SIGTERM) unless `proc` has ended, wait up to `timeout`, then `kill` it.
    With `group`, anything left in its process group is killed as well."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signum)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            kill(proc, group=group)
    if group:
        kill(proc, group=True)  # children that outlived their leader
