"""The corpus side of `scripts/eval_voice`: one Enron user's mail read once, and their real
follow-ups found in it (see the rules in `eval_voice_impl`'s docstring, steps 1 and 2)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

from inbox_agent.mail import headers
from inbox_agent.mail.body import new_text, readable_text
from inbox_agent.tracker.threads import build_threads, normalize_subject
from scripts.judgement_labels import SENT_FOLDERS, USERS

_X_NAME = re.compile(r"\s*<[^>]*>\s*")
_QUOTED_FROM = re.compile(r"^[ \t>]*From:[ \t]*(.+)$", re.M)
GAP = (timedelta(hours=20), timedelta(days=45))


def assistants(user: str) -> frozenset[str]:
    """The addresses of the owner's assistants in the mailbox (`judgement_labels.USERS` lists
    them with the owner's own: those without the owner's surname, "kay.chapman" for
    delainey-d). Their messages are not the owner's voice: never learned from, never scored."""
    surname = user.partition("-")[0]
    return frozenset(a for a in USERS.get(user, ()) if surname not in a.partition("@")[0])


@dataclass(frozen=True)
class Mail:
    header: headers.Header
    text: str  # new text, quotes cut
    quoted_from: str  # who the first quoted block is from ("" when none)
    to_name: str
    from_name: str


@dataclass
class User:
    name: str
    addresses: frozenset[str]
    names: list[str]
    mails: list[Mail] = field(default_factory=list)  # unique, oldest first

    @property
    def own(self) -> list[Mail]:
        return [m for m in self.mails if m.header.from_addr in self.addresses and m.header.to]


def _x_name(raw: str) -> str:
    return _X_NAME.sub(" ", raw).strip().strip("'\"")


def read_user(corpus: Path) -> User:
    """One user's mail, each message once (the copy in a sent folder preferred)."""
    found: dict[tuple[str, str, str, str], tuple[Mail, int]] = {}  # the copy, its folder's rank
    for path in sorted(p for p in corpus.rglob("*") if p.is_file()):
        raw = path.read_bytes()
        header = headers.parse(raw)
        block = raw.split(b"\n\n", 1)[0].decode("latin-1")
        if not header.from_addr:  # Exchange's "k..allen@enron.com" is no addr-spec: taken as is
            sender = re.search(r"^From:[^\n]*?([\w.+-]+@[\w.-]+)", block, re.M)
            header = replace(header, from_addr=sender.group(1).lower() if sender else "")
        x_from = re.search(r"^X-From: (.*)$", block, re.M)
        x_to = re.search(r"^X-To: (.*)$", block, re.M)
        whole = readable_text(raw)
        text = new_text(whole)
        rest = whole[len(text) :] if whole.startswith(text) else whole.replace(text, "", 1)
        quoted = _QUOTED_FROM.search(rest)
        mail = Mail(
            header,
            text,
            quoted.group(1).strip() if quoted else "",
            _x_name(x_to.group(1)) if x_to else "",
            _x_name(x_from.group(1)) if x_from else "",
        )
        # Enron's copies of one message can differ by 12 h (12:36 in one folder, 00:36 in another)
        when = header.date.replace(hour=header.date.hour % 12) if header.date else None
        key = (
            str(when),
            " ".join(header.subject.split()).lower(),
            header.from_addr,
            " ".join(text.split())[:200],
        )
        top = path.relative_to(corpus).parts[0]
        rank = SENT_FOLDERS.index(top) if top in SENT_FOLDERS else len(SENT_FOLDERS)
        if key not in found or rank < found[key][1]:
            found[key] = (mail, rank)
    sent_ones = [m for m, rank in found.values() if rank < len(SENT_FOLDERS)]
    senders = Counter(m.header.from_addr for m in sent_ones)
    total = sum(senders.values())
    helpers = assistants(corpus.name)
    addresses = frozenset(
        a for a, n in senders.items() if a and n >= total * 0.05 and a not in helpers
    )
    names = Counter(
        m.from_name for m in sent_ones if m.header.from_addr in addresses and m.from_name
    )
    mails = sorted((m for m, _ in found.values() if m.header.date), key=lambda m: m.header.date)  # type: ignore[arg-type,return-value]
    return User(corpus.name, addresses, [n for n, _ in names.most_common(2)], mails)


def _is_users(who: str, user: User) -> bool:
    """Does a quoted "From:" line name the user (an address of theirs, or their surname)?"""
    low = who.lower()
    surnames = {n.replace(",", " ").split()[0].lower() for n in user.names if n.split()}
    words_in = set(re.findall(r"[a-z]{3,}", low))
    return any(a and a in low for a in user.addresses) or bool(surnames & words_in)


def followups(user: User) -> list[tuple[Mail, Mail]]:
    """(the user's message, their own later follow-up of it) pairs, by the rules above."""
    by_id = {m.header.message_id: m for m in user.mails}
    pairs: list[tuple[Mail, Mail]] = []
    for thread in build_threads(m.header for m in user.mails):
        people = [m for m in thread.messages if m.kind == "normal" and m.message_id in by_id]
        for a, b in pairwise(people):
            first, then = by_id[a.message_id], by_id[b.message_id]
            if a.from_addr not in user.addresses or b.from_addr not in user.addresses:
                continue
            if not (a.date and b.date and GAP[0] <= b.date - a.date <= GAP[1]):
                continue
            if not set(b.to) & set(a.to + a.cc) or set(b.to) - set(a.to + a.cc):
                continue
            if not then.text.strip() or " ".join(then.text.split()) == " ".join(first.text.split()):
                continue
            if then.quoted_from and not _is_users(then.quoted_from, user):
                continue  # an answer to inbound mail the mailbox lost
            pairs.append((first, then))
    # the Outlook habit: a reply to one's own message, found by what it quotes
    paired = {then.header.message_id for _, then in pairs}
    own = [m for m in user.own if m.header.date]
    for then in own:
        h = then.header
        if h.message_id in paired or not then.quoted_from or not _is_users(then.quoted_from, user):
            continue
        subject = normalize_subject(h.subject)
        earlier = [
            m
            for m in own
            if normalize_subject(m.header.subject) == subject
            and set(m.header.to) & set(h.to)
            and not set(h.to) - set(m.header.to + m.header.cc)
            and GAP[0] <= h.date - m.header.date <= GAP[1]  # type: ignore[operator]
        ]
        if earlier and then.text.strip():
            pairs.append((earlier[-1], then))
    return pairs


def users_under(corpus: Path) -> list[Path]:
    if any((corpus / f).is_dir() for f in SENT_FOLDERS):
        return [corpus]
    return sorted(
        p for p in corpus.iterdir() if p.is_dir() and any((p / f).is_dir() for f in SENT_FOLDERS)
    )
