"""One account's cycle: sync the mailbox, plan, and carry out the plan; and the user's commands.

This is the I/O edge around the pure middle (`tracker`, `sequence`, `gate`, `compose`). Each state
change is written in one transaction together with its audit row. A send is bracketed by an
outbox row committed as `sending` before SMTP and as `sent` after it, and is preceded by a fresh
re-sync of every watched folder: a reply that landed before submission cancels the send.
"""

from __future__ import annotations

import hashlib
import logging
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from typing import Any

from imapclient import IMAPClient

from inbox_agent import clock, gate
from inbox_agent.config import secrets
from inbox_agent.config.load import Account, Settings
from inbox_agent.drafter.writers import (
    Drafter,
    Quoted,
    first_name,
    make_drafter,
    prepare,
    steering_in,
)
from inbox_agent.engine.outbox import Outbox
from inbox_agent.errors import NotFound
from inbox_agent.mail import classify, compose
from inbox_agent.mail.classify import BodyFacts
from inbox_agent.mail.headers import AGENT_HEADER, Header
from inbox_agent.sender.smtp import SendFailure
from inbox_agent.store import audit
from inbox_agent.store.db import Store
from inbox_agent.sync import imap
from inbox_agent.tracker.sequence import (
    ACTIVE,
    DISMISS_KEYWORD,
    Due,
    End,
    Observe,
    Pause,
    Sequence,
    Start,
    Touched,
    plan,
)
from inbox_agent.tracker.threads import Thread, ThreadIndex, build_threads, last_human

log = logging.getLogger(__name__)

UNDO_WINDOW = timedelta(minutes=10)  # the default; accounts set [sending] undo
OPEN_DRAFT_STATES = ("saved", "queued", "scheduled")


def normalized_sha256(raw: bytes) -> str:
    """A hash that survives the line-ending rewrites servers make to stored messages."""
    return hashlib.sha256(raw.replace(b"\r\n", b"\n").rstrip()).hexdigest()


@dataclass
class TickReport:
    new_messages: int = 0
    started: int = 0
    counts: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        c = self.counts
        parts = [
            f"{self.new_messages} new messages synced",
            f"{self.started} threads newly tracked",
        ]
        parts.append(f"{c['due']} quiet long enough for a nudge")
        parts.append(f"{c['saved'] + c['queued'] + c['scheduled']} nudges saved to Drafts")
        labels = {
            "queued": "queued for approval",
            "scheduled": "scheduled to send",
            "sent": "sent",
            "paused": "paused by an out-of-office",
            "replied": "ended by a reply",
            "bounced": "ended by a bounce",
            "opted_out": "ended by an opt-out",
            "exhausted": "ended after the last touch",
            "cancelled": "sends cancelled",
        }
        parts += [f"{c[key]} {label}" for key, label in labels.items() if c[key]]
        return ", ".join(parts)


class Engine:
    """Works on one account. Opens an IMAP session per unit of work and closes it after."""

    def __init__(
        self,
        account: Account,
        settings: Settings,
        store: Store,
        drafter: Drafter | None = None,
        actor: str = "daemon",
    ) -> None:
        self.account, self.settings, self.store, self.actor = account, settings, store, actor
        self._drafter = drafter
        self._folders: imap.Folders | None = None
        self._index: ThreadIndex | None = None
        self._index_rowid = 0
        self._index_generation = -1

    @property
    def outbox(self) -> Outbox:
        return Outbox(self)

    @property
    def drafter(self) -> Drafter:
        if self._drafter is None:
            key = (
                secrets.get_secret(self.account.name, "llm") if self.settings.llm.enabled else None
            )
            self._drafter = make_drafter(self.settings.llm, key)
        return self._drafter

    @contextmanager
    def session(self) -> Iterator[IMAPClient]:
        with imap.session(
            self.account, secrets.require_secret(self.account.name, "imap")
        ) as client:
            if self._folders is None:
                self._folders = imap.discover_folders(client, self.account)
            yield client

    @property
    def folders(self) -> imap.Folders:
        assert self._folders is not None, "open a session first"
        return self._folders

    # -- reading the mailbox ---------------------------------------------------------------------
    def sync(self, client: IMAPClient) -> int:
        stamp = clock.now().isoformat()
        first = not self.store.has_synced(self.account.name)
        progress = _progress_bar if first and sys.stderr.isatty() else None
        new = sum(
            imap.sync_folder(client, self.store, self.account.name, name, role, stamp, progress).new
            for name, role in self.folders.watched()
        )
        if progress is not None:
            sys.stderr.write("\n")
        return new

    def user_addresses(self) -> frozenset[str]:
        """The account's addresses, plus every From address seen in its Sent folder."""
        seen = (
            self.store.senders_in(self.account.name, self._folders.sent) if self._folders else set()
        )
        return self.account.addresses | frozenset(seen)

    def facts(self) -> dict[str, BodyFacts]:
        return {
            mid: BodyFacts.from_json(data)
            for mid, data in self.store.facts(self.account.name).items()
        }

    def index(self, rebuild: bool = False) -> ThreadIndex:
        """The thread index, rebuilt when messages were forgotten, else extended with new rows."""
        generation = self.store.generation
        if rebuild or self._index is None or generation != self._index_generation:
            self._index, self._index_rowid, self._index_generation = ThreadIndex(), 0, generation
            for mid, data in self.store.facts(self.account.name).items():
                if data.get("bounced_message_id"):
                    self._index.link(mid, data["bounced_message_id"])
        for rowid, m in self.store.messages_since(self.account.name, self._index_rowid):
            self._index_rowid = max(self._index_rowid, rowid)
            if "\\Draft" not in m.flags:
                self._index.add(m.header)
        return self._index

    def threads(self, as_of: datetime | None = None) -> list[Thread]:
        if as_of is None:
            return self.index().threads()
        headers: list[Header] = []
        for m in self.store.messages(self.account.name):
            if "\\Draft" in m.flags or m.header.date is None or m.header.date > as_of:
                continue
            headers.append(m.header)
        links = {
            mid: f.bounced_message_id for mid, f in self.facts().items() if f.bounced_message_id
        }
        return build_threads(headers, links)

    def sequences(self, states: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        return self.store.sequences(self.account.name, states)

    def read_bodies(self, client: IMAPClient, limit: int = 100) -> int:
        """Read the bodies that classification needs and not more: inbound mail on followed
        threads, bounces, and the user's own last message on threads that may start a sequence."""
        known = self.store.facts(self.account.name)
        user, now = self.user_addresses(), clock.now()
        lookback = self.account.cadence.lookback
        followed = {
            mid for s in self.sequences(ACTIVE) for mid in (s["anchor_message_id"], *s["seen_ids"])
        }
        wanted: dict[str, tuple[Header, bool]] = {}
        for thread in self.index().threads():
            recent = [m for m in thread.messages if m.date is None or lookback.after(m.date) >= now]
            if any(mid in followed for mid in thread.message_ids):
                for m in recent:
                    if m.from_addr not in user and m.message_id not in known:
                        wanted[m.message_id] = (m, False)
                continue
            for m in recent:
                if m.kind == "bounce" and m.message_id not in known:
                    wanted[m.message_id] = (m, False)
            last = last_human(thread)
            if last is None or last not in recent or last.from_addr not in user:
                continue
            if last.message_id not in known:
                wanted[last.message_id] = (last, True)
            for m in thread.messages[thread.messages.index(last) + 1 :]:
                if m.kind == "auto_reply" and m.message_id not in known:
                    wanted[m.message_id] = (m, False)  # its return date decides when to start
        if not wanted:
            return 0
        newest = sorted(wanted.values(), key=lambda item: item[0].date or now, reverse=True)[:limit]
        places = self.store.locate(self.account.name, [h.message_id for h, _ in newest])
        by_folder: dict[str, dict[int, tuple[Header, bool]]] = {}
        for h, from_user in newest:
            if h.message_id in places:
                folder, uid, _size = places[h.message_id]
                by_folder.setdefault(folder, {})[uid] = (h, from_user)
        stamp = now.isoformat()
        read = 0
        for folder, members in by_folder.items():
            bodies = imap.fetch_bodies(client, folder, sorted(members))
            with self.store.tx():
                for uid, raw in bodies.items():
                    h, from_user = members[uid]
                    found = classify.read(raw, h.kind, h.date or now, h.subject, from_user)
                    self.store.save_facts(self.account.name, h.message_id, found.to_json(), stamp)
                    if found.bounced_message_id:
                        self.index().link(h.message_id, found.bounced_message_id)
                    read += 1
        return read

    # -- the cycle -------------------------------------------------------------------------------
    def tick(self) -> TickReport:
        report = TickReport()
        with self.session() as client:
            self.outbox.recover(client)
            self._recover_drafts(client)
            report.new_messages = self.sync(client)
            self.read_bodies(client)
            self._act(client, report)
            self.outbox.flush(client, report)
        return report

    def plan_for(self, threads: list[Thread], sequences: list[dict[str, Any]]) -> list[Any]:
        cadence = self.account.cadence
        return plan(
            threads,
            [Sequence.from_row(r) for r in sequences],
            user=self.user_addresses(),
            now=clock.now(),
            cadence=cadence.cadence,
            lookback=cadence.lookback,
            our_ids=frozenset(self.store.our_message_ids(self.account.name)),
            facts=self.facts(),
            opted_out=frozenset(self.store.opt_outs(self.account.name)),
            dismissed=frozenset(self.store.message_ids_flagged(self.account.name, DISMISS_KEYWORD)),
        )

    def _act(self, client: IMAPClient, report: TickReport) -> None:
        for action in self.plan_for(self.threads(), self.sequences()):
            try:
                self._execute(client, action, report)
            except (SendFailure, OSError) as exc:
                log.error("%s: %s failed: %s", self.account.name, type(action).__name__, exc)

    def execute(self, client: IMAPClient, action: Any) -> None:
        """Carry out one planned action outside a tick (the pre-send check does)."""
        self._execute(client, action, TickReport())

    def _execute(self, client: IMAPClient, action: Any, report: TickReport) -> None:
        now = clock.now().isoformat()
        name = self.account.name
        if isinstance(action, Start):
            thread = action.thread
            with self.store.tx():
                seq_id = self.store.add_sequence(
                    {
                        "account": name,
                        "anchor_message_id": action.anchor_message_id,
                        "thread_key": thread.key,
                        "subject": thread.subject,
                        "state": "waiting",
                        "touches_sent": 0,
                        "last_touch_at": action.last_touch_at.isoformat(),
                        "next_due_at": action.next_due_at.isoformat(),
                        "seen_ids": list(thread.message_ids),
                        "participants": list(thread.participants(self.user_addresses())),
                        "reason": action.reason,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                audit.record(
                    self.store,
                    actor=self.actor,
                    action="track",
                    account=name,
                    sequence_id=seq_id,
                    message_id=action.anchor_message_id,
                    after="waiting",
                    reason=action.reason,
                )
            report.started += 1
            if action.paused:
                report.counts["paused"] += 1
        elif isinstance(action, End):
            self._end(
                client,
                action.sequence_id,
                action.state,
                action.reason,
                action.message_id,
                actor="user" if action.by_user else None,
            )
            report.counts[action.state] += 1
        elif isinstance(action, Pause):
            seq = self.sequence_row(action.sequence_id)
            with self.store.tx():
                self.store.update_sequence(
                    seq["id"],
                    {
                        "next_due_at": action.until.isoformat(),
                        "updated_at": now,
                        "seen_ids": [*seq["seen_ids"], action.message_id],
                        "reason": action.reason,
                    },
                )
                audit.record(
                    self.store,
                    actor=self.actor,
                    action="pause",
                    account=name,
                    sequence_id=seq["id"],
                    message_id=action.message_id,
                    before=seq["state"],
                    after=seq["state"],
                    reason=action.reason,
                )
            report.counts["paused"] += 1
        elif isinstance(action, Touched):
            seq = self.sequence_row(action.sequence_id)
            self._discard_open_drafts(client, seq["id"], "you wrote on the thread yourself")
            with self.store.tx():
                self.store.update_sequence(
                    seq["id"],
                    {
                        "touches_sent": seq["touches_sent"] + 1,
                        "last_touch_at": action.at.isoformat(),
                        "state": "waiting",
                        "next_due_at": action.next_due_at.isoformat(),
                        "seen_ids": [*seq["seen_ids"], action.message_id],
                        "updated_at": now,
                        "reason": "you wrote on the thread by hand",
                    },
                )
                audit.record(
                    self.store,
                    actor="user",
                    action="touch_by_hand",
                    account=name,
                    sequence_id=seq["id"],
                    message_id=action.message_id,
                    before=seq["state"],
                    after="waiting",
                    reason="a message you sent yourself counts as a touch; the clock restarts from it",
                )
        elif isinstance(action, Observe):
            with self.store.tx():
                self.store.update_sequence(
                    action.sequence_id, {"seen_ids": sorted(action.seen_ids), "updated_at": now}
                )
        elif isinstance(action, Due):
            report.counts["due"] += 1
            state = self._draft_nudge(client, action)
            if state:
                report.counts[state] += 1

    def sequence_row(self, sequence_id: int) -> dict[str, Any]:
        seq = self.store.sequence(sequence_id)
        if seq is None:
            raise NotFound(
                f"no thread with id {sequence_id}", "list them with `inbox-agent threads`"
            )
        return seq

    # -- drafting --------------------------------------------------------------------------------
    def _draft_nudge(self, client: IMAPClient, action: Due) -> str | None:
        seq = next(
            (
                s
                for s in self.sequences(ACTIVE)
                if s["anchor_message_id"] == action.anchor_message_id
            ),
            None,
        )
        if seq is None or seq["state"] != "waiting":
            return None
        anchor = next(m for m in action.thread.messages if m.message_id == action.anchor_message_id)
        user = self.user_addresses()
        rcpt = compose.recipients(anchor, user)
        if not rcpt.all:
            return None
        cadence = self.account.cadence.cadence
        quoted = self._thread_text(client, action.thread)
        request = prepare(
            touch=action.touch,
            touches=cadence.touches,
            kind=cadence.touch_kind(action.touch),
            subject=anchor.subject,
            user_name=self.account.display_name or self.account.email,
            to=rcpt.to,
            recipient_name=self._name_of(action.thread, rcpt.to[0]),
            thread=quoted,
            profile=self.voice_profile(client),
            earlier_nudges=[
                d["body"]
                for d in self.store.drafts(self.account.name)
                if d["sequence_id"] == seq["id"]
            ],
            budget_tokens=self.settings.llm.max_prompt_tokens,
            exclude=action.thread.message_ids,
        )
        draft = self.drafter.draft(request)
        decision = gate.decide(
            self.rules(),
            rcpt.all,
            threads=(str(seq["id"]), action.thread.key),
            folders=self._folders_of(action.thread),
        )
        downgrade = (
            self._downgrade(seq["id"], quoted, draft.downgrade)
            if decision.level == "autopilot"
            else ""
        )
        if downgrade:
            decision = gate.Decision("copilot", f"{decision.scope}, kept off Autopilot")
        when = clock.now()
        agent_id = compose.new_agent_id()
        msg = compose.build(
            anchor=anchor,
            user=user,
            from_addr=self.account.email,
            from_name=self.account.display_name,
            body=draft.body,
            when=when,
            agent_id=agent_id,
            html=self._is_html(client, anchor),
        )
        raw = msg.as_bytes(policy=policy.SMTP)
        draft_state, seq_state = (
            gate.DRAFT_STATE[decision.level],
            gate.SEQUENCE_STATE[decision.level],
        )
        now = when.isoformat()
        # the row first (as `saving`), then APPEND, then the row's real state: a crash in between
        # leaves a row that the next tick reconciles with Drafts, never an orphan draft
        with self.store.tx():
            draft_id = self.store.add_draft(
                {
                    "account": self.account.name,
                    "sequence_id": seq["id"],
                    "touch": action.touch,
                    "message_id": str(msg["Message-ID"]),
                    "agent_id": agent_id,
                    "folder": self.folders.drafts,
                    "uidvalidity": None,
                    "uid": None,
                    "subject": str(msg["Subject"]),
                    "body": draft.body,
                    "raw_sha256": normalized_sha256(raw),
                    "recipients": list(rcpt.all),
                    "autonomy": decision.level,
                    "drafter": draft.drafter,
                    "html": int(msg.is_multipart()),
                    "state": "saving",
                    "created_at": now,
                    "updated_at": now,
                }
            )
        uid = imap.append(client, self.folders.drafts, raw, [b"\\Draft", b"\\Seen"], when)
        with self.store.tx():
            self.store.update_draft(draft_id, {"uid": uid, "state": draft_state})
            if decision.level == "autopilot":
                self.store.add_outbox(
                    {
                        "account": self.account.name,
                        "draft_id": draft_id,
                        "sequence_id": seq["id"],
                        "message_id": str(msg["Message-ID"]),
                        "state": "pending",
                        "not_before": self.outbox.send_time(
                            seq, list(action.thread.messages), rcpt.to[0]
                        ).isoformat(),
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            self.store.update_sequence(seq["id"], {"state": seq_state, "updated_at": now})
            if downgrade:
                audit.record(
                    self.store,
                    actor=self.actor,
                    action="downgrade",
                    account=self.account.name,
                    sequence_id=seq["id"],
                    draft_id=draft_id,
                    message_id=str(msg["Message-ID"]),
                    before="autopilot",
                    after="copilot",
                    reason=f"{downgrade}; this nudge waits for your approval",
                )
            audit.record(
                self.store,
                actor=self.actor,
                action="draft",
                account=self.account.name,
                sequence_id=seq["id"],
                draft_id=draft_id,
                message_id=str(msg["Message-ID"]),
                before="waiting",
                after=seq_state,
                reason=f"touch {action.touch} of {cadence.touches}; {decision.level} ({decision.scope}); "
                f"written by {draft.drafter}",
            )
        return draft_state

    def _recover_drafts(self, client: IMAPClient) -> None:
        """Rows left `saving` by a crash around the APPEND: adopt the draft if it reached Drafts,
        else let the sequence draft it again. Either way nothing is left behind unowned."""
        for row in self.store.drafts(self.account.name, ("saving",)):
            seq = self.store.sequence(row["sequence_id"])
            uids = imap.find(client, row["folder"], row["message_id"])
            now = clock.now().isoformat()
            with self.store.tx():
                if uids and seq is not None and seq["state"] == "waiting":
                    level = row["autonomy"]
                    self.store.update_draft(
                        row["id"],
                        {"uid": uids[0], "state": gate.DRAFT_STATE[level], "updated_at": now},
                    )
                    self.store.update_sequence(
                        seq["id"], {"state": gate.SEQUENCE_STATE[level], "updated_at": now}
                    )
                    if level == "autopilot":
                        self.store.add_outbox(
                            {
                                "account": self.account.name,
                                "draft_id": row["id"],
                                "sequence_id": seq["id"],
                                "message_id": row["message_id"],
                                "state": "pending",
                                "not_before": self.outbox.send_time(
                                    seq, [], row["recipients"][0]
                                ).isoformat(),
                                "created_at": now,
                                "updated_at": now,
                            }
                        )
                    action, after, why = (
                        "draft",
                        gate.SEQUENCE_STATE[level],
                        "adopted after an interruption",
                    )
                else:
                    self.store.update_draft(row["id"], {"state": "abandoned", "updated_at": now})
                    action, after, why = (
                        "draft_abandoned",
                        seq["state"] if seq else "",
                        "interrupted before it reached Drafts; it will be drafted again",
                    )
                audit.record(
                    self.store,
                    actor=self.actor,
                    action=action,
                    account=self.account.name,
                    sequence_id=row["sequence_id"],
                    draft_id=row["id"],
                    message_id=row["message_id"],
                    before="waiting",
                    after=after,
                    reason=why,
                )

    def _folders_of(self, thread: Thread) -> tuple[str, ...]:
        places = self.store.locate(self.account.name, thread.message_ids)
        return tuple(dict.fromkeys(folder for folder, _uid, _size in places.values()))

    def _is_html(self, client: IMAPClient, anchor: Header) -> bool:
        """Was the user's own message HTML? Then the nudge carries an HTML part too."""
        place = self.store.locate(self.account.name, [anchor.message_id]).get(anchor.message_id)
        if place is None:
            return False
        head = imap.fetch_bodies(client, place[0], [place[1]], max_bytes=4096).get(place[1], b"")
        return b"text/html" in head.lower()

    def _name_of(self, thread: Thread, address: str) -> str:
        for m in thread.messages:
            if m.from_addr == address and m.from_name:
                return first_name(m.from_name)
        return first_name("", address)

    def _thread_text(self, client: IMAPClient, thread: Thread) -> tuple[Quoted, ...]:
        """The thread's messages as quoted data, oldest first: the first one and the newest seven."""
        from inbox_agent.mail.body import text_of  # mail-parser is only needed when drafting

        chosen = list(thread.messages)
        chosen = chosen if len(chosen) <= 8 else [chosen[0], *chosen[-7:]]
        places = self.store.locate(self.account.name, [m.message_id for m in chosen])
        by_folder: dict[str, dict[int, str]] = {}
        for mid, (folder, uid, _size) in places.items():
            by_folder.setdefault(folder, {})[uid] = mid
        texts: dict[str, str] = {}
        for folder, members in by_folder.items():
            for uid, raw in imap.fetch_bodies(client, folder, sorted(members)).items():
                texts[members[uid]] = text_of(raw)
        user = self.user_addresses()
        return tuple(
            Quoted(
                author=f"{m.from_name} <{m.from_addr}>" if m.from_name else m.from_addr,
                from_user=m.from_addr in user,
                date=f"{m.date:%Y-%m-%d %H:%M}" if m.date else "",
                subject=m.subject,
                text=texts.get(m.message_id, ""),
            )
            for m in chosen
        )

    def voice_profile(self, client: IMAPClient, refresh: bool = False) -> Any:
        """The style profile (`voice.Profile`), learned again from Sent when a day old."""
        from inbox_agent.voice import voicefile

        return voicefile.current(
            client,
            self.store,
            self.account,
            self.folders.sent,
            self.user_addresses(),
            self.threads(),
            clock.now(),
            refresh,
        )

    def _downgrade(self, sequence_id: int, thread: tuple[Quoted, ...], drafter_reason: str) -> str:
        """Why this thread's nudge must not go out on Autopilot, or "" when it may."""
        phrase = steering_in(thread)
        if phrase:
            return f'an inbound message on the thread tries to steer the agent ("{phrase}")'
        if drafter_reason:
            return drafter_reason
        earlier = [
            r for r in self.store.audit_rows(sequence_id=sequence_id) if r["action"] == "downgrade"
        ]
        first = earlier[0]["reason"].split("; this nudge waits")[0] if earlier else ""
        return f"this thread was taken off Autopilot before: {first}" if first else ""

    # -- endings and drafts ------------------------------------------------------------------------
    def _end(
        self,
        client: IMAPClient,
        sequence_id: int,
        state: str,
        reason: str,
        message_id: str = "",
        actor: str | None = None,
    ) -> None:
        seq = self.sequence_row(sequence_id)
        self._discard_open_drafts(client, sequence_id, reason)
        now = clock.now().isoformat()
        with self.store.tx():
            self.store.update_sequence(
                sequence_id,
                {
                    "state": state,
                    "next_due_at": None,
                    "reason": reason,
                    "updated_at": now,
                    "seen_ids": sorted({*seq["seen_ids"], *([message_id] if message_id else [])}),
                },
            )
            if state == "opted_out" and message_id:
                for sender in self.store.messages_with_ids(self.account.name, [message_id])[:1]:
                    self.store.add_opt_out(
                        self.account.name, sender.header.from_addr, message_id, now
                    )
            audit.record(
                self.store,
                actor=actor or self.actor,
                action="end",
                account=self.account.name,
                sequence_id=sequence_id,
                message_id=message_id,
                before=seq["state"],
                after=state,
                reason=reason,
            )

    def _discard_open_drafts(self, client: IMAPClient, sequence_id: int, reason: str) -> None:
        for draft in self.store.drafts(self.account.name, OPEN_DRAFT_STATES):
            if draft["sequence_id"] == sequence_id:
                self.remove_draft(client, draft, "cancelled", reason)

    def locate_draft(
        self, client: IMAPClient, draft: dict[str, Any]
    ) -> tuple[int, bytes, tuple[bytes, ...]] | None:
        """Our draft in Drafts: by UID, Message-ID or our header; else the user's replacement of
        it (mail clients save an edited draft as a new message replying to the same original)."""
        folder = draft["folder"]
        uids = [draft["uid"]] if draft["uid"] else []
        uids += imap.find(client, folder, draft["message_id"])
        uids += imap.find_header(client, folder, AGENT_HEADER, draft["agent_id"])
        seq = self.store.sequence(draft["sequence_id"])
        if seq is not None:
            uids += sorted(
                imap.find_header(client, folder, "In-Reply-To", seq["anchor_message_id"]),
                reverse=True,
            )
        for uid in dict.fromkeys(uids):
            fetched = imap.fetch_raw(client, folder, uid)
            if fetched and (
                uid == draft["uid"]
                or b"\\Draft" in fetched[1]
                or draft["message_id"].encode() in fetched[0]
            ):
                return uid, fetched[0], fetched[1]
        return None

    def draft_unchanged(self, raw: bytes, draft: dict[str, Any]) -> bool:
        return normalized_sha256(raw) == str(draft["raw_sha256"])

    def remove_draft(
        self, client: IMAPClient, draft: dict[str, Any], new_state: str, reason: str
    ) -> None:
        """Delete our draft from Drafts, unless the user changed it: then it is theirs to keep."""
        found = self.locate_draft(client, draft)
        action, note = "draft_removed", reason
        if found is None:
            new_state, note = "gone", f"{reason}; the draft was already gone from {draft['folder']}"
        elif normalized_sha256(found[1]) != draft["raw_sha256"] or b"\\Draft" not in found[2]:
            action, note = (
                "draft_kept",
                f"{reason}; you edited the draft, so it stays in {draft['folder']}",
            )
        else:
            imap.delete(client, draft["folder"], found[0])
        now = clock.now().isoformat()
        with self.store.tx():
            self.store.update_draft(draft["id"], {"state": new_state, "updated_at": now})
            for row in self.store.outbox(self.account.name, ("pending",)):
                if row["draft_id"] == draft["id"]:
                    self.store.update_outbox(
                        row["id"], {"state": "cancelled", "updated_at": now, "last_error": reason}
                    )
            audit.record(
                self.store,
                actor=self.actor,
                action=action,
                account=self.account.name,
                sequence_id=draft["sequence_id"],
                draft_id=draft["id"],
                message_id=draft["message_id"],
                before=draft["state"],
                after=new_state,
                reason=note,
            )

    # -- the user's commands -----------------------------------------------------------------------
    def queue(self) -> list[dict[str, Any]]:
        return self.store.drafts(self.account.name, ("queued",))

    def _open_draft(self, draft_id: int, states: tuple[str, ...]) -> dict[str, Any]:
        draft = self.store.draft(draft_id)
        if draft is None or draft["account"] != self.account.name:
            raise NotFound(f"no draft with id {draft_id}", "list them with `inbox-agent queue`")
        if draft["state"] not in states:
            raise NotFound(
                f"draft {draft_id} is {draft['state']}, not waiting for you",
                "see `inbox-agent queue`",
            )
        return draft

    def approve(self, draft_id: int) -> None:
        draft = self._open_draft(draft_id, ("queued", "saved"))
        with self.session() as client:
            self.outbox.send(client, draft)

    def reject(self, draft_id: int, reason: str = "rejected by you") -> None:
        draft = self._open_draft(draft_id, ("queued", "saved", "scheduled"))
        with self.session() as client:
            self.remove_draft(client, draft, "rejected", reason)
            self.outbox.skip_touch(
                self.store.draft(draft_id) or draft, f"{reason}; this touch is skipped", "rejected"
            )

    def undo(self, draft_id: int) -> None:
        self._open_draft(draft_id, ("scheduled",))
        row = next(
            (o for o in self.store.outbox(self.account.name) if o["draft_id"] == draft_id), None
        )
        if row is None or row["state"] != "pending":
            raise NotFound(
                f"draft {draft_id} is no longer waiting to be sent",
                "see `inbox-agent audit --thread`",
            )
        self.reject(draft_id, "send undone by you")

    def dismiss(self, sequence_id: int) -> None:
        seq = self.sequence_row(sequence_id)
        if seq["account"] != self.account.name or seq["state"] not in ACTIVE:
            raise NotFound(
                f"thread {sequence_id} is not being followed up", "see `inbox-agent threads`"
            )
        with self.session() as client:
            self._end(client, sequence_id, "dismissed", "dismissed by you")

    def rules(self) -> gate.Rules:
        return gate.Rules.merge(
            self.account.autonomy, self.store.autonomy_overrides(self.account.name)
        )

    def set_autonomy(self, scope: str, level: str) -> None:
        kind, value = gate.parse_scope(scope)
        gate.check_level(level)
        canonical = "default" if kind == "default" else f"{kind}:{value}"
        before = dict(self.rules().listing()).get(canonical, "")
        with self.store.tx():
            self.store.set_autonomy(self.account.name, canonical, level, clock.now().isoformat())
            audit.record(
                self.store,
                actor=self.actor,
                action="autonomy",
                account=self.account.name,
                sequence_id=int(value) if kind == "thread" and value.isdigit() else None,
                before=before,
                after=level,
                reason=f"{canonical} set to {level}",
            )


def _plain_body(msg: Any) -> str:
    if not isinstance(msg, EmailMessage):
        return ""
    part = msg.get_body(preferencelist=("plain",))
    return str(part.get_content()) if part is not None else ""


_started: dict[str, float] = {}


def _progress_bar(folder: str, done: int, total: int) -> None:
    """A one-line progress bar with an ETA, for the first sync of a big mailbox on a terminal."""
    start = _started.setdefault(folder, time.monotonic())
    elapsed = time.monotonic() - start
    eta = elapsed / done * (total - done) if done else 0.0
    filled = int(30 * done / total) if total else 30
    sys.stderr.write(
        f"\r{folder[:20]:<20} [{'#' * filled}{'.' * (30 - filled)}] {done}/{total} ETA {eta:4.0f}s"
    )
    sys.stderr.flush()
