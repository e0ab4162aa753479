"""Config errors name the file, the key and the fix; the audit chain catches tampering."""

from __future__ import annotations

from pathlib import Path

import pytest

from inbox_agent import config
from inbox_agent.errors import ConfigError
from inbox_agent.store import audit
from inbox_agent.store.db import Store

GOOD = """
email = "alice@example.test"
display_name = "Alice"
[imap]
host = "imap.example.test"
[smtp]
host = "smtp.example.test"
security = "starttls"
[autonomy]
default = "copilot"
contacts = { "Bob@Example.test" = "manual" }
[cadence]
touches = 4
gaps = ["2bd", "4bd"]
"""


def write(tmp_path: Path, text: str, name: str = "work.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_good_account_reads_with_defaults(tmp_path: Path) -> None:
    account = config.load_account(write(tmp_path, GOOD), config.Settings(tmp_path / "none.toml"))
    assert (
        account.imap.port == 993
        and account.smtp.port == 587
        and account.imap.username == "alice@example.test"
    )
    assert account.autonomy.contacts == {"bob@example.test": "manual"}
    assert account.cadence.touches == 4 and [str(g) for g in account.cadence.gaps] == ["2bd", "4bd"]
    assert account.tracking.unsure == "skip" and account.tracking.never == ()


def test_tracking_unsure_and_never(tmp_path: Path) -> None:
    text = GOOD + '[tracking]\nunsure = "draft"\nnever = ["Mum@Example.test", "@family.org"]\n'
    account = config.load_account(write(tmp_path, text), config.Settings(tmp_path / "none.toml"))
    assert account.tracking.unsure == "draft"
    assert account.tracking.never == ("mum@example.test", "@family.org")


@pytest.mark.parametrize(
    ("edit", "key", "fix"),
    [
        (
            ('default = "copilot"', 'default = "yolo"'),
            "autonomy.default",
            "manual, copilot, autopilot",
        ),
        (
            ('host = "imap.example.test"', 'host = "imap.example.test"\nsecurity = "none"'),
            "imap.security",
            "tls",
        ),
        (('gaps = ["2bd", "4bd"]', 'gaps = ["2 weeks"]'), "cadence.gaps", "2bd"),
        (("touches = 4", "touches = 12"), "cadence.touches", "from 1 to 7"),
        (('email = "alice@example.test"', 'email = "alice"'), "email", "you@example.com"),
        (("[imap]", '[imap]\nhots = "x"'), "imap.hots", "spelling"),
        (
            ("[cadence]", '[tracking]\nunsure = "maybe"\n[cadence]'),
            "tracking.unsure",
            "skip, draft",
        ),
        (("[cadence]", '[tracking]\nnever = ["mum"]\n[cadence]'), "tracking.never", "@family.org"),
        (("[cadence]", "[tracking]\nalways = true\n[cadence]"), "tracking.always", "spelling"),
    ],
)
def test_bad_values_name_file_key_and_fix(
    tmp_path: Path, edit: tuple[str, str], key: str, fix: str
) -> None:
    path = write(tmp_path, GOOD.replace(*edit))
    with pytest.raises(ConfigError) as caught:
        config.load_account(path, config.Settings(tmp_path / "none.toml"))
    text = str(caught.value)
    assert str(path) in text and key in text and fix in text


def test_plaintext_is_allowed_on_loopback_only(tmp_path: Path) -> None:
    text = GOOD.replace('host = "imap.example.test"', 'host = "127.0.0.1"\nsecurity = "none"')
    assert (
        config.load_account(write(tmp_path, text), config.Settings(tmp_path / "x")).imap.security
        == "none"
    )


def test_broken_toml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "email = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        config.load_account(path, config.Settings(tmp_path / "x"))


def test_audit_chain_detects_edit_delete_and_reorder(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite3")
    with store.tx():
        for i in range(4):
            audit.record(
                store, actor="daemon", action="track", account="a", sequence_id=i, reason=f"r{i}"
            )
    assert audit.verify(store) == []
    store.conn.execute("UPDATE audit SET reason = 'forged' WHERE id = 2")
    assert any("row 2" in p and "edited" in p for p in audit.verify(store))
    store.conn.execute("UPDATE audit SET reason = 'r1' WHERE id = 2")
    store.conn.execute("DELETE FROM audit WHERE id = 3")
    assert any("row 4" in p and "deleted" in p for p in audit.verify(store))


def test_a_failed_transaction_leaves_neither_change_nor_audit(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite3")
    with pytest.raises(RuntimeError), store.tx():
        audit.record(store, actor="daemon", action="track", account="a")
        raise RuntimeError("crash between the change and its commit")
    assert store.audit_rows() == []
