"""The store's rows of the three state machines: sequences, drafts and sends (the outbox). Every
write of a state is checked against its machine's transition table (`states`) first, inside the
same transaction, so an illegal transition raises and writes nothing.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from inbox_agent.store.connection import Connection
from inbox_agent.store.records import (
    DraftChanges,
    DraftRow,
    NewDraft,
    NewSend,
    NewSequence,
    OutboxRow,
    R,
    SendChanges,
    SequenceChanges,
    SequenceRow,
)
from inbox_agent.store.states import (
    DRAFT,
    OUTBOX,
    SEQUENCE,
    DraftState,
    Event,
    Machine,
    OutboxState,
    S,
    SequenceState,
)


class FollowupTables(Connection):
    def _check(
        self,
        machine: Machine[S],
        table: str,
        row_id: int | None,
        event: Event | None,
        target: S | None,
    ) -> None:
        """Raise IllegalTransition unless the machine allows this write of a row's state. Call
        inside the transaction of the write, so the state read is the one being replaced."""
        if target is None:
            return
        source = None
        if row_id is not None:
            row = self.conn.execute(f"SELECT state FROM {table} WHERE id = ?", (row_id,)).fetchone()
            if row is None:
                raise LookupError(f"no row {row_id} in {table}")
            source = machine.kind(row[0])
        machine.check(source, event, machine.kind(target))

    def _select(
        self, record: type[R], table: str, account: str | None, states: Collection[str]
    ) -> list[R]:
        sql, params = f"SELECT * FROM {table} WHERE 1 = 1", list[Any]()
        if account:
            sql += " AND account = ?"
            params.append(account)
        if states:
            sql += f" AND state IN ({', '.join('?' for _ in states)})"
            params += [str(s) for s in states]
        return self._records(record, sql + " ORDER BY id", params)

    def _one(self, record: type[R], table: str, row_id: int) -> R | None:
        rows = self._records(record, f"SELECT * FROM {table} WHERE id = ?", (row_id,))
        return rows[0] if rows else None

    def sequences(self, account: str, states: Collection[SequenceState] = ()) -> list[SequenceRow]:
        return self._select(SequenceRow, "sequences", account, states)

    def sequence(self, sequence_id: int) -> SequenceRow | None:
        return self._one(SequenceRow, "sequences", sequence_id)

    def add_sequence(self, values: NewSequence, event: Event) -> int:
        self._check(SEQUENCE, "sequences", None, event, values["state"])
        return self._insert("sequences", values)

    def update_sequence(
        self, sequence_id: int, values: SequenceChanges, event: Event | None = None
    ) -> None:
        """Change a sequence; `event` names what moves it when `values` holds a new state."""
        self._check(SEQUENCE, "sequences", sequence_id, event, values.get("state"))
        self._update("sequences", sequence_id, values)

    def drafts(
        self, account: str | None = None, states: Collection[DraftState] = ()
    ) -> list[DraftRow]:
        return self._select(DraftRow, "drafts", account, states)

    def draft(self, draft_id: int) -> DraftRow | None:
        return self._one(DraftRow, "drafts", draft_id)

    def add_draft(self, values: NewDraft, event: Event) -> int:
        self._check(DRAFT, "drafts", None, event, values["state"])
        return self._insert("drafts", values)

    def update_draft(self, draft_id: int, values: DraftChanges, event: Event | None = None) -> None:
        """Change a draft; `event` names what moves it when `values` holds a new state."""
        self._check(DRAFT, "drafts", draft_id, event, values.get("state"))
        self._update("drafts", draft_id, values)

    def outbox(
        self, account: str | None = None, states: Collection[OutboxState] = ()
    ) -> list[OutboxRow]:
        return self._select(OutboxRow, "outbox", account, states)

    def add_outbox(self, values: NewSend, event: Event) -> int:
        """Add a send: `event` is SCHEDULE for one that waits, SEND for one that goes now."""
        self._check(OUTBOX, "outbox", None, event, values["state"])
        return self._insert("outbox", values)

    def update_outbox(
        self, outbox_id: int, values: SendChanges, event: Event | None = None
    ) -> None:
        """Change a send; `event` names what moves it when `values` holds a new state."""
        self._check(OUTBOX, "outbox", outbox_id, event, values.get("state"))
        self._update("outbox", outbox_id, values)

    def our_message_ids(self, account: str) -> set[str]:
        """Message-IDs of every draft and send we made: their copies in Sent are our touches."""
        rows = self.conn.execute(
            "SELECT message_id FROM drafts WHERE account = ? UNION SELECT message_id FROM outbox WHERE account = ?",
            (account, account),
        )
        return {r[0] for r in rows}

    def sent_times(self, account: str, since: str, pending: bool = True) -> list[datetime]:
        """When each of the account's recent sends left, and (with `pending`) when each
        scheduled one will."""
        states = [OutboxState.SENT, OutboxState.SENDING]
        states += [OutboxState.PENDING] if pending else []
        rows = self.conn.execute(
            "SELECT CASE WHEN state = ? THEN not_before ELSE updated_at END FROM outbox "
            f"WHERE account = ? AND state IN ({', '.join('?' for _ in states)}) AND updated_at >= ?",
            (OutboxState.PENDING.value, account, *(s.value for s in states), since),
        )
        return sorted(datetime.fromisoformat(r[0]) for r in rows)
