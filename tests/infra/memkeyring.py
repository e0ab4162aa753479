"""An in-process keyring backend for tests, so no test ever touches a real keyring.

Select it with `PYTHON_KEYRING_BACKEND=tests.infra.memkeyring.MemoryKeyring` (read when keyring
is first used in a process) or `keyring.set_keyring(MemoryKeyring())` (works at any time).
All instances share one class-level store; `MemoryKeyring.clear()` empties it.
"""

from __future__ import annotations

from typing import ClassVar

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class MemoryKeyring(KeyringBackend):
    priority = 1
    store: ClassVar[dict[tuple[str, str], str]] = {}

    def __init__(self) -> None:  # typed, so strict callers may construct it
        super().__init__()  # type: ignore[no-untyped-call]  # keyring leaves it unannotated

    @classmethod
    def clear(cls) -> None:
        cls.store.clear()

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.store[(service, username)]
        except KeyError:
            raise PasswordDeleteError(username) from None
