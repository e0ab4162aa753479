"""The database's tables, and the migrations that bring an older file up to them.

`PRAGMA user_version` is the schema version. `migrate()` runs every step above the file's
version in one exclusive transaction, so two processes opening an old file at once migrate it
once, and an interrupted migration leaves the file as it was.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable

SCHEMA_VERSION = 9

_TABLES = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS folders (
    account TEXT NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL,
    uidvalidity INTEGER, uidnext INTEGER, highestmodseq INTEGER, synced_at TEXT,
    PRIMARY KEY (account, name)
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY, account TEXT NOT NULL, folder TEXT NOT NULL,
    uidvalidity INTEGER NOT NULL, uid INTEGER NOT NULL, message_id TEXT NOT NULL,
    in_reply_to TEXT NOT NULL, refs TEXT NOT NULL, subject TEXT NOT NULL,
    from_addr TEXT NOT NULL, from_name TEXT NOT NULL, to_addrs TEXT NOT NULL,
    cc_addrs TEXT NOT NULL, reply_to TEXT NOT NULL, date TEXT, kind TEXT NOT NULL,
    agent_id TEXT NOT NULL, flags TEXT NOT NULL, size INTEGER NOT NULL DEFAULT 0,
    thrid TEXT NOT NULL DEFAULT '',
    UNIQUE (account, folder, uidvalidity, uid)
);
CREATE INDEX IF NOT EXISTS messages_by_id ON messages (account, message_id);
CREATE TABLE IF NOT EXISTS sequences (
    id INTEGER PRIMARY KEY, account TEXT NOT NULL, anchor_message_id TEXT NOT NULL,
    thread_key TEXT NOT NULL, subject TEXT NOT NULL, state TEXT NOT NULL,
    touches_sent INTEGER NOT NULL DEFAULT 0, last_touch_at TEXT NOT NULL, next_due_at TEXT,
    seen_ids TEXT NOT NULL, participants TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    UNIQUE (account, anchor_message_id)
);
CREATE TABLE IF NOT EXISTS drafts (
    id INTEGER PRIMARY KEY, account TEXT NOT NULL, sequence_id INTEGER NOT NULL,
    touch INTEGER NOT NULL, message_id TEXT NOT NULL, agent_id TEXT NOT NULL,
    folder TEXT NOT NULL, uidvalidity INTEGER, uid INTEGER, subject TEXT NOT NULL,
    body TEXT NOT NULL, raw_sha256 TEXT NOT NULL, recipients TEXT NOT NULL,
    autonomy TEXT NOT NULL, drafter TEXT NOT NULL, html INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY, account TEXT NOT NULL, draft_id INTEGER NOT NULL,
    sequence_id INTEGER NOT NULL, message_id TEXT NOT NULL UNIQUE, state TEXT NOT NULL,
    not_before TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS facts (
    account TEXT NOT NULL, message_id TEXT NOT NULL, facts TEXT NOT NULL, read_at TEXT NOT NULL,
    PRIMARY KEY (account, message_id)
);
CREATE TABLE IF NOT EXISTS opt_outs (
    account TEXT NOT NULL, address TEXT NOT NULL, message_id TEXT NOT NULL, at TEXT NOT NULL,
    PRIMARY KEY (account, address)
);
CREATE TABLE IF NOT EXISTS autonomy (
    account TEXT NOT NULL, scope TEXT NOT NULL, level TEXT NOT NULL, set_at TEXT NOT NULL,
    PRIMARY KEY (account, scope)
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
    account TEXT NOT NULL, sequence_id INTEGER, draft_id INTEGER, message_id TEXT NOT NULL,
    state_before TEXT NOT NULL, state_after TEXT NOT NULL, reason TEXT NOT NULL,
    prev_hash TEXT NOT NULL, hash TEXT NOT NULL
)
"""


def _tables(conn: sqlite3.Connection) -> None:
    for statement in _TABLES.split(";"):
        if statement.strip():
            conn.execute(statement)


def _downgraded(conn: sqlite3.Connection) -> None:
    """sequences.downgraded: why a thread was first kept off Autopilot. Before this column the
    fact lived only in the reason of the thread's first "downgrade" audit row; carry it over."""
    conn.execute("ALTER TABLE sequences ADD COLUMN downgraded TEXT NOT NULL DEFAULT ''")
    first = conn.execute(
        "SELECT sequence_id, reason FROM audit WHERE id IN (SELECT MIN(id) FROM audit "
        "WHERE action = 'downgrade' AND sequence_id IS NOT NULL GROUP BY sequence_id)"
    ).fetchall()
    conn.executemany(
        "UPDATE sequences SET downgraded = ? WHERE id = ?",
        [(reason.split("; this nudge waits")[0], seq_id) for seq_id, reason in first],
    )


def _folder_counts(conn: sqlite3.Connection) -> None:
    """folders.messages: how many messages the store holds for the folder's UIDVALIDITY, kept
    by every write of its messages, so that a poll compares it with STATUS MESSAGES without a
    COUNT(*) over the folder's rows (8 ms a folder at 100k messages). Counted here once for
    the folders an older version synced."""
    conn.execute("ALTER TABLE folders ADD COLUMN messages INTEGER")
    conn.execute(
        "UPDATE folders SET messages = (SELECT COUNT(*) FROM messages m WHERE m.account = "
        "folders.account AND m.folder = folders.name AND m.uidvalidity = folders.uidvalidity)"
    )


def _hostile_mail(conn: sqlite3.Connection) -> None:
    """Issue 13. Address lists were joined with spaces, which an address can hold; they are
    joined with the unit separator now (a space-joined list was right only where no address
    held a space, and for those this is exact). A date past the year 9000 is not believed
    (adding a cadence gap to it left the calendar): it is forgotten, as an unreadable one is."""
    for column in ("to_addrs", "cc_addrs", "reply_to"):
        conn.execute(f"UPDATE messages SET {column} = replace({column}, ' ', char(31))")
    conn.execute("UPDATE messages SET date = NULL WHERE date >= '9000' OR date < '1970'")


_THREADS = """
CREATE TABLE IF NOT EXISTS thread_ids (
    account TEXT NOT NULL, message_id TEXT NOT NULL, thread INTEGER NOT NULL,
    PRIMARY KEY (account, message_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS thread_ids_by_thread ON thread_ids (account, thread);
CREATE TABLE IF NOT EXISTS threads (id INTEGER PRIMARY KEY, account TEXT NOT NULL, last_date TEXT);
CREATE INDEX IF NOT EXISTS threads_live ON threads (account, last_date);
CREATE TABLE IF NOT EXISTS subject_keys (
    account TEXT NOT NULL, subject_key TEXT NOT NULL, message_id TEXT NOT NULL, date TEXT,
    headerless INTEGER NOT NULL, PRIMARY KEY (account, subject_key, message_id)
) WITHOUT ROWID
"""


def _threads(conn: sqlite3.Connection) -> None:
    """Thread membership kept in the store (`threadtables`), so that a restart does not thread
    every message again. The tables start empty: the messages of an older file are threaded
    once, in batches, by the first cycle after the upgrade."""
    for statement in _THREADS.split(";"):
        conn.execute(statement)


def _edits(conn: sqlite3.Connection) -> None:
    """edits: a nudge we drafted and what the user sent instead, to learn their voice from."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS edits (id INTEGER PRIMARY KEY, account TEXT NOT NULL, "
        "draft_id INTEGER, message_id TEXT NOT NULL, kind TEXT NOT NULL, recipients TEXT NOT NULL, "
        "subject TEXT NOT NULL, drafted TEXT NOT NULL, written TEXT NOT NULL, at TEXT NOT NULL, "
        "UNIQUE (account, message_id))"
    )


def _senders(conn: sqlite3.Connection) -> None:
    """messages_by_sender: one person's messages found without a walk of the account's rows
    (how they usually answer the user, `store.answers`; their display name)."""
    conn.execute("CREATE INDEX IF NOT EXISTS messages_by_sender ON messages (account, from_addr)")


def _senders_by_date(conn: sqlite3.Connection) -> None:
    """messages_by_sender in date order: a person's newest answers are read newest first and
    the walk stops at the few a habit needs (`store.answers`), instead of reading every message
    they ever sent (11 ms a lookup at 100k messages, for a person with 3,000 of them)."""
    conn.execute("DROP INDEX IF EXISTS messages_by_sender")
    conn.execute("CREATE INDEX messages_by_sender ON messages (account, from_addr, date)")


def _ids_never_reused(conn: sqlite3.Connection) -> None:
    """messages.id AUTOINCREMENT: SQLite hands a new row the largest id + 1, so after the newest
    row was deleted (an expunge) the next message took its id, at or below every cursor that
    reads "the rows since" (threading, the Sent senders, `threading.Behind`): it was never
    threaded, and a reply in it went unseen. The table is copied once, ids as they are."""
    (sql,) = conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'messages'"
    ).fetchone()
    if "AUTOINCREMENT" in sql:
        return
    indexes = [
        r[0]
        for r in conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages' "
            "AND sql IS NOT NULL"
        )
    ]
    created = re.sub(r"^CREATE TABLE (IF NOT EXISTS )?messages", "CREATE TABLE messages_new", sql)
    created = created.replace("id INTEGER PRIMARY KEY,", "id INTEGER PRIMARY KEY AUTOINCREMENT,", 1)
    assert "AUTOINCREMENT" in created and "messages_new" in created, sql
    conn.execute(created)
    conn.execute("INSERT INTO messages_new SELECT * FROM messages")
    conn.execute("DROP TABLE messages")
    conn.execute("ALTER TABLE messages_new RENAME TO messages")
    for statement in indexes:
        conn.execute(statement)


# the step that brings a file from version n - 1 to n is _STEPS[n - 1]
_STEPS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _tables,
    _downgraded,
    _folder_counts,
    _hostile_mail,
    _threads,
    _edits,
    _senders,
    _senders_by_date,
    _ids_never_reused,
)


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the file up to SCHEMA_VERSION; raise when a newer inbox-agent wrote it."""
    if _version(conn) == SCHEMA_VERSION:
        return  # the common case takes no write lock
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = _version(conn)  # again: another process may have migrated it meanwhile
        if version > SCHEMA_VERSION:
            raise RuntimeError(
                f"the database was written by a newer inbox-agent (schema {version}); upgrade inbox-agent"
            )
        for step in _STEPS[version:]:
            step(conn)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])
