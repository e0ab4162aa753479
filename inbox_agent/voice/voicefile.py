"""The style profile on disk, and learning it again from the Sent folder when it is a day old.

The profile lives in `<data dir>/voice/<account>.json`, readable by the user only. Besides the
learned habits it keeps the new text (no quotes, no signature block) of up to `SAMPLE_LIMIT` of
the user's own recent sent messages: drafts show two or three of them to the model as examples.
It is read and written only here, and sent nowhere but the configured LLM endpoint.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path

from inbox_agent import paths, voice
from inbox_agent.config import Account
from inbox_agent.store.db import Store
from inbox_agent.sync.mailbox import Mailbox
from inbox_agent.tracker.threads import Thread
from inbox_agent.voice.edits import Edit, EditHabits, habits

log = logging.getLogger(__name__)

REFRESH = timedelta(days=1)
_MAX_BYTES = 65_536  # the start of a message is where its new text is


def path(account: str) -> Path:
    return paths.data_dir() / "voice" / f"{account}.json"


def load(account: str) -> voice.Profile | None:
    """The stored profile, or None when there is none or it cannot be read (logged)."""
    file = path(account)
    if not file.is_file():
        return None
    try:
        return voice.from_json(json.loads(file.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        log.warning("%s: cannot read the voice profile (%s); it will be learned again", file, exc)
        return None


def save(account: str, profile: voice.Profile) -> Path:
    """Write atomically, readable by the user only: it holds excerpts of their mail."""
    file = path(account)
    paths.private_dir(file.parent)
    tmp = file.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(voice.to_json(profile), out, ensure_ascii=False, indent=1)
    os.replace(tmp, file)
    return file


def is_stale(profile: voice.Profile | None, now: datetime) -> bool:
    if profile is None:
        return True
    try:
        return now - datetime.fromisoformat(profile.learned_at) >= REFRESH
    except ValueError:
        return True


def learn_from_mailbox(
    mailbox: Mailbox,
    store: Store,
    account: Account,
    sent_folder: str,
    user: frozenset[str],
    threads_of: Callable[[Iterable[str]], Iterable[Thread]],
    now: datetime,
) -> voice.Profile:
    """A profile from the newest messages in Sent that the user wrote (never our own nudges).
    Only those rows are read, and only their threads (`threads_of` their Message-IDs), to tell
    the user's own follow-ups: a big mailbox costs what its newest Sent messages cost."""
    from inbox_agent.mail.body import text_of  # mail-parser is slow to import

    ours = frozenset(store.our_message_ids(account.name))
    # a few more than the sample: forwards without a word of their own are skipped
    wanted = voice.SAMPLE_LIMIT + voice.SAMPLE_LIMIT // 4
    newest = [
        m
        for m in store.newest_sent(account.name, sent_folder, user, wanted + len(ours))
        if not m.header.agent_id and m.header.message_id not in ours
    ][:wanted]
    recipients = {a for m in newest for a in m.header.to}
    display = store.display_names(account.name, recipients)
    bodies = mailbox.fetch_bodies(sent_folder, sorted(m.uid for m in newest), _MAX_BYTES)
    followups = voice.hand_nudges(threads_of([m.header.message_id for m in newest]), user, ours)
    mails = [
        voice.SentMail(
            message_id=m.header.message_id,
            date=m.header.date,
            to=m.header.to,
            subject=m.header.subject,
            text=text_of(bodies[m.uid]),
            names={a: display[a] for a in m.header.to if a in display},
            followup=m.header.message_id in followups,
        )
        for m in newest
        if m.uid in bodies
    ]
    return voice.learn(mails, _names(account), now)


def current(
    mailbox: Mailbox,
    store: Store,
    account: Account,
    sent_folder: str,
    user: frozenset[str],
    threads_of: Callable[[Iterable[str]], Iterable[Thread]],
    now: datetime,
    refresh: bool = False,
) -> voice.Profile | None:
    """The stored profile, learned again first when it is missing, a day old, or `refresh`.
    A failure to learn keeps the old profile (or none): drafting never waits on it."""
    profile = load(account.name)
    if not refresh and not is_stale(profile, now):
        return profile
    try:
        learned = learn_from_mailbox(mailbox, store, account, sent_folder, user, threads_of, now)
    except Exception:  # a bad mailbox or a dropped connection costs the refresh, not the draft
        log.warning("%s: could not learn the voice profile", account.name, exc_info=True)
        return profile
    save(account.name, learned)
    log.info("%s: voice profile learned from %d messages", account.name, learned.sample_size)
    return learned


def _names(account: Account) -> list[str]:
    names = [account.display_name, account.email.split("@")[0].replace(".", " ")]
    return [n for n in names if n]


def edit_habits(store: Store, account: Account) -> EditHabits | None:
    """What the user's edits of our nudges taught (None: none yet, or learning from edits is
    off with `[voice] learn_from_edits = false`)."""
    if not account.learn_from_edits:
        return None
    found = [
        Edit(
            r["message_id"],
            r["at"],
            r["kind"],
            tuple(r["recipients"]),
            r["subject"],
            r["drafted"],
            r["written"],
        )
        for r in store.edits(account.name)
    ]
    return habits(found, _names(account)) if found else None
