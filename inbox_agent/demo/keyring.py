"""The demo's keyring: in this process only, and lent to a second shell over a Unix socket.

The demo's throwaway password never touches the user's own keyring, and is never written to a
file. While `inbox-agent demo --keep-running` runs, it answers on `keyring.sock` in the demo's
own folder (created 0700 by `tempfile.mkdtemp`, so only the user can reach it). A second shell
that sets `PYTHON_KEYRING_BACKEND=inbox_agent.demo.keyring.DemoKeyring` and the demo's
`INBOX_AGENT_HOME` asks it for the secret it needs, for instance to approve the demo's nudge.
"""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

from keyring.backend import KeyringBackend

SOCKET = "keyring.sock"
BACKEND = f"{__name__}.DemoKeyring"
_MAX = 4096


class DemoKeyring(KeyringBackend):
    """Secrets held in this process; in a second shell, asked of the running demo."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._values: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        if (service, username) in self._values:
            return self._values[(service, username)]
        return _ask(service, username)

    def set_password(self, service: str, username: str, password: str) -> None:
        self._values[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self._values.pop((service, username), None)


def _ask(service: str, username: str) -> str | None:
    home = os.environ.get("INBOX_AGENT_HOME", "")
    path = Path(home) / SOCKET if home else None
    if path is None or not path.is_socket():
        return None
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(5)
        try:
            conn.connect(str(path))
            conn.sendall(f"{service}\t{username}\n".encode())
            answer = conn.recv(_MAX).decode()
        except OSError:
            return None
    return answer[1:].rstrip("\n") if answer.startswith("+") else None


def serve(store: DemoKeyring, folder: Path) -> socket.socket:
    """Answer `service<TAB>username` lines on `folder/keyring.sock` until the socket is closed."""
    path = folder / SOCKET
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    path.chmod(0o600)
    listener.listen(4)

    def loop() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:  # closed: the demo is stopping
                return
            with conn:
                conn.settimeout(5)
                try:
                    service, _, username = conn.recv(_MAX).decode().rstrip("\n").partition("\t")
                    value = store._values.get((service, username))
                    conn.sendall(b"+" + value.encode() + b"\n" if value is not None else b"-\n")
                except OSError:
                    continue

    threading.Thread(target=loop, name="demo-keyring", daemon=True).start()
    return listener
