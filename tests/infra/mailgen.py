"""A realistic mailbox, generated: threads of 1–12 messages between the user and a few dozen
people, about 30% of it sent, some of it without threading headers (Outlook-era mail), some
auto-replies and list mail. Written straight into a Dovecot Maildir, which indexes it on the
first SELECT (far faster than APPEND). Deterministic for a given seed.
"""

from __future__ import annotations

import base64
import os
import random
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

DOMAIN = "example.test"
FIRST = [
    "Bob",
    "Carol",
    "Dave",
    "Erin",
    "Frank",
    "Grace",
    "Heidi",
    "Ivan",
    "Judy",
    "Mallory",
    "Niaj",
    "Olivia",
    "Peggy",
    "Rupert",
    "Sybil",
    "Trent",
    "Victor",
    "Walter",
    "Xena",
    "Yolanda",
    "Zoe",
    "Quinn",
    "Uma",
    "Kai",
]
TOPICS = [
    "Q3 contract",
    "Budget numbers",
    "Offsite venue",
    "Hello",
    "Question",
    "Slides for Thursday",
    "Invoice 4411",
    "Hiring plan",
    "Intro",
    "Lunch?",
    "Draft agreement",
    "Roadmap",
    "Travel",
    "Status",
]


@dataclass(frozen=True)
class Generated:
    folder: str  # "INBOX" or "Sent"
    raw: bytes
    message_id: str
    from_user: bool


def generate(
    n: int,
    user: str,
    seed: int = 7,
    end: datetime | None = None,
    sent_share: float = 0.3,
    headerless_share: float = 0.1,
    rich: bool = True,
) -> list[Generated]:
    """About `n` messages for `user`@example.test, oldest first, the newest ending at `end`."""
    rnd = random.Random(seed)
    me = f"{user}@{DOMAIN}"
    people = [
        (name, f"{name.lower()}{i}@{DOMAIN if i % 3 else 'partner.test'}")
        for i, name in enumerate(FIRST)
    ]
    end = end or datetime.now(UTC)
    start = end - timedelta(days=730)
    out: list[Generated] = []
    thread_no = 0
    while len(out) < n:
        thread_no += 1
        length = min(rnd.choice([1, 1, 2, 2, 3, 3, 4, 5, 6, 8, 12]), n - len(out))
        headerless = rnd.random() < headerless_share
        name, other = rnd.choice(people)
        topic = f"{rnd.choice(TOPICS)} #{thread_no}"
        when = start + timedelta(seconds=rnd.randrange(int((end - start).total_seconds() * 0.98)))
        outbound_first = rnd.random() < sent_share * 1.5
        refs: list[str] = []
        for i in range(length):
            mine = (i % 2 == 0) == outbound_first
            mid = f"<t{thread_no}.{i}.{seed}@{DOMAIN}>"
            lines = [
                f"Message-ID: {mid}",
                f"Date: {format_datetime(when)}",
                f"Subject: {'Re: ' if i else ''}{topic}",
            ]
            if mine:
                lines += [f"From: Alice Example <{me}>", f"To: {name} <{other}>"]
            else:
                lines += [f"From: {name} <{other}>", f"To: Alice Example <{me}>"]
            if i and not headerless:
                lines += [f"In-Reply-To: {refs[-1]}", f"References: {' '.join(refs[-10:])}"]
            if not mine and rnd.random() < 0.03:
                lines.append("Auto-Submitted: auto-replied")
            if not mine and i == 0 and rnd.random() < 0.05:
                lines.append(f"List-Id: <news.{DOMAIN}>")
            text = "\n".join(f"Line {k} about {topic}." for k in range(rnd.randint(3, 30)))
            if i:  # replies quote what they answer, as most clients do
                text += "\n\nOn an earlier day someone wrote:\n" + "\n".join(
                    f"> quoted line {k}" for k in range(rnd.randint(5, 60))
                )
            raw = _body(rnd, lines, text, rich)
            out.append(Generated("Sent" if mine else "INBOX", raw, mid, mine))
            refs.append(mid)
            when += timedelta(hours=rnd.randint(1, 96))
    return out


def _body(rnd: random.Random, lines: list[str], text: str, rich: bool) -> bytes:
    """Plain text; or, like most real mail, text+HTML alternatives and now and then an attachment."""
    if not rich or rnd.random() < 0.4:
        lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"]
        return ("\n".join(lines) + "\n\n" + text + "\n").encode()
    html = (
        "<html><body>"
        + "".join(f'<p style="font-family:Calibri">{t}</p>' for t in text.splitlines())
        + "</body></html>"
    )
    parts = [
        f"--alt\nContent-Type: text/plain; charset=utf-8\n\n{text}\n",
        f"--alt\nContent-Type: text/html; charset=utf-8\n\n{html}\n",
        "--alt--\n",
    ]
    alternative = "Content-Type: multipart/alternative; boundary=alt\n\n" + "".join(parts)
    if rnd.random() < 0.08:
        blob = base64.encodebytes(rnd.randbytes(rnd.randint(20_000, 200_000))).decode()
        mixed = (
            f"--mix\n{alternative}\n--mix\nContent-Type: application/pdf; name=report.pdf\n"
            f"Content-Transfer-Encoding: base64\n\n{blob}\n--mix--\n"
        )
        lines += ["MIME-Version: 1.0", "Content-Type: multipart/mixed; boundary=mix"]
        return ("\n".join(lines) + "\n\n" + mixed).encode()
    lines += ["MIME-Version: 1.0"]
    return ("\n".join(lines) + "\n" + alternative).encode()


def write_maildir(maildir: Path, messages: list[Generated]) -> None:
    """Put messages into INBOX and `.Sent` (Maildir++) as files Dovecot will index."""
    host = socket.gethostname()
    for folder in ("", ".Sent"):
        for sub in ("cur", "new", "tmp"):
            (maildir / folder / sub).mkdir(parents=True, exist_ok=True)
    base = 1_700_000_000
    for i, msg in enumerate(messages):
        folder = ".Sent" if msg.folder == "Sent" else ""
        name = f"{base + i}.M{i}P{os.getpid()}.{host},S={len(msg.raw)}:2,S"
        (maildir / folder / "cur" / name).write_bytes(msg.raw)
