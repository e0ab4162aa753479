"""Waiting for a mail server the tests started: until it greets on a port, or dies trying."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable


def wait_banner(
    proc: subprocess.Popen[bytes],
    addr: tuple[str, int],
    prefix: bytes,
    deadline: float,
    exited: Callable[[int], str],
    not_ready: Callable[[OSError | None], str],
) -> None:
    """Connect until the server at `addr` greets with `prefix`, until `deadline` (monotonic).
    RuntimeError(`exited(returncode)`) if the process ends first, TimeoutError(`not_ready(last
    error)`) when time runs out."""
    last: OSError | None = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(exited(proc.returncode))
        try:
            with socket.create_connection(addr, timeout=2) as s:
                if s.recv(200).startswith(prefix):
                    return
        except OSError as e:
            last = e
        time.sleep(0.02)
    raise TimeoutError(not_ready(last))
