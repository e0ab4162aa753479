"""`inbox-agent demo`: the whole product against an embedded mail server, with no account.

A sample mailbox for alice@example.test is loaded into the embedded IMAP server: threads that were
answered, threads that went quiet, one that got an out-of-office, old history and a newsletter.
One daemon cycle runs with the offline drafter; then an independent IMAP connection reads Drafts
back, to show the nudges are really there.
"""

from __future__ import annotations

import os
import secrets as random_secrets
import tempfile
import time
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import keyring
from keyring.backend import KeyringBackend

from inbox_agent import clock, config, paths
from inbox_agent.config import secrets

USER, DOMAIN = "alice", "example.test"


class _DemoKeyring(KeyringBackend):
    """In-process keyring: the demo's throwaway password never touches the user's keyring."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._values: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._values.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._values[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self._values.pop((service, username), None)


def _message(
    sender: tuple[str, str],
    to: list[str],
    subject: str,
    body: str,
    when: datetime,
    reply_to: EmailMessage | None = None,
    extra: dict[str, str] | None = None,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"{sender[0]} <{sender[1]}>"
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid(domain=sender[1].rpartition("@")[2])
    if reply_to is not None:
        msg["In-Reply-To"] = reply_to["Message-ID"]
        msg["References"] = f"{reply_to.get('References', '')} {reply_to['Message-ID']}".strip()
    for key, value in (extra or {}).items():
        msg[key] = value
    msg.set_content(body)
    return msg


def sample_mailbox(now: datetime) -> list[tuple[str, EmailMessage]]:
    """(folder, message) pairs: what alice's mailbox holds when the demo starts."""
    alice = ("Alice Example", f"alice@{DOMAIN}")
    people = {
        n: (f"{n.title()} {s}", f"{n}@{DOMAIN}")
        for n, s in (
            ("bob", "Stone"),
            ("carol", "Diaz"),
            ("dave", "Okafor"),
            ("erin", "Weber"),
            ("frank", "Liu"),
            ("grace", "Kim"),
        )
    }
    day = timedelta(days=1)
    out: list[tuple[str, EmailMessage]] = []
    contract = _message(
        alice,
        [people["bob"][1]],
        "Q3 contract: redlines",
        "Hi Bob,\n\nAttached are our redlines on "
        "the Q3 contract. Could you confirm by Friday whether legal is fine with clause 7?\n\nThanks,\nAlice",
        now - 8 * day,
    )
    venue = _message(
        alice,
        [people["carol"][1]],
        "Offsite venue shortlist",
        "Hi Carol,\n\nHere are the three venues "
        "we liked. Which one should I book for the team offsite?\n\nBest,\nAlice",
        now - 6 * day,
    )
    budget = _message(
        alice,
        [people["dave"][1]],
        "Budget numbers for March",
        "Hi Dave,\n\nCan you send me the March budget numbers?\n\nThanks,\nAlice",
        now - 7 * day,
    )
    budget_reply = _message(
        people["dave"],
        [alice[1]],
        "Re: Budget numbers for March",
        "Sure, they are in the shared folder.\n\nDave",
        now - 5 * day,
        reply_to=budget,
    )
    intro = _message(
        alice,
        [people["erin"][1]],
        "Intro call next week?",
        "Hi Erin,\n\nWould you have 30 minutes next week for an intro call?\n\nBest,\nAlice",
        now - 2 * day,
    )
    ooo = _message(
        people["erin"],
        [alice[1]],
        "Out of office: Intro call next week?",
        "I am out of the office until next Monday with limited access to email.",
        now - 2 * day + timedelta(minutes=3),
        reply_to=intro,
        extra={"Auto-Submitted": "auto-replied"},
    )
    old = _message(
        alice,
        [people["frank"][1]],
        "Conference recap",
        "Hi Frank,\n\nAny thoughts on the recap?\n\nAlice",
        now - 40 * day,
    )
    fresh = _message(
        alice,
        [people["grace"][1]],
        "Slides for Thursday",
        "Hi Grace,\n\nCould you review the slides before Thursday?\n\nThanks,\nAlice",
        now - day,
    )
    news = _message(
        ("Weekly Digest", f"digest@news.{DOMAIN}"),
        [alice[1]],
        "This week in widgets",
        "Top stories...",
        now - 3 * day,
        extra={
            "List-Id": "<digest.news.example.test>",
            "List-Unsubscribe": "<mailto:u@news.example.test>",
        },
    )
    out += [
        ("Sent", contract),
        ("Sent", venue),
        ("Sent", budget),
        ("INBOX", budget_reply),
        ("Sent", intro),
        ("INBOX", ooo),
        ("Sent", old),
        ("Sent", fresh),
        ("INBOX", news),
    ]
    return out


def run_demo(keep_running: bool = False) -> int:
    from imapclient import IMAPClient

    from inbox_agent.demo.embedded import EmbeddedMailServer
    from inbox_agent.engine import Engine
    from inbox_agent.store.db import Store

    home = Path(tempfile.mkdtemp(prefix="inbox-agent-demo-"))
    os.environ["INBOX_AGENT_HOME"] = str(home)
    keyring.set_keyring(_DemoKeyring())
    password = random_secrets.token_urlsafe(9)
    started = time.monotonic()
    with EmbeddedMailServer({USER: password}, domain=DOMAIN).start() as server:
        now = clock.now()
        for folder, msg in sample_mailbox(now):
            date = datetime.strptime(str(msg["Date"]), "%a, %d %b %Y %H:%M:%S %z")
            flags = ["\\Seen"] if folder == "Sent" else []
            server.append(USER, folder, bytes(msg), flags, date)
        imap_server = config.ServerConfig(server.host, server.imap_port, "none", USER)
        smtp_server = config.ServerConfig(server.host, server.smtp_port, "none", USER)
        account_file = paths.accounts_dir() / "demo.toml"
        paths.private_file(account_file)
        text = config.render_account(
            email=f"{USER}@{DOMAIN}",
            display_name="Alice Example",
            imap=imap_server,
            smtp=smtp_server,
        )
        # bob gets Copilot (approval queue); everyone else gets the Manual default
        account_file.write_text(
            text.replace(
                'default = "manual"\n',
                f'default = "manual"\ncontacts = {{ "bob@{DOMAIN}" = "copilot" }}\n',
            )
        )
        secrets.set_secret("demo", "imap", password)
        settings = config.load_settings()
        account = config.load_account(account_file, settings)
        engine = Engine(account, settings, Store(paths.database_file()), actor="daemon")
        print(
            f"embedded IMAP on {server.host}:{server.imap_port}, SMTP on {server.host}:{server.smtp_port}; "
            f"sample mailbox for {USER}@{DOMAIN} loaded"
        )
        report = engine.tick()
        print(f"one cycle with the offline drafter: {report.summary()}")
        with IMAPClient(server.host, port=server.imap_port, ssl=False, timeout=10) as client:
            client.login(USER, password)
            client.select_folder(engine.folders.drafts, readonly=True)
            uids = client.search(["ALL"])
            fetched = client.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (SUBJECT TO)]"]) if uids else {}
        print(f"Drafts now holds {len(uids)} nudge(s), read back over a separate IMAP connection:")
        for data in fetched.values():
            lines = data[b"BODY[HEADER.FIELDS (SUBJECT TO)]"].decode(errors="replace").split("\r\n")
            print("   " + "  ".join(line for line in lines if line))
        for row in engine.queue():
            print(f"queued for approval: #{row.id} {row.subject} → {', '.join(row.recipients)}")
        print(f"finished in {time.monotonic() - started:.1f}s; state and audit log in {home}")
        if keep_running:
            print(
                "\nLook at the drafts in your own mail client (IMAP, no encryption, loopback only):\n"
                f"  host {server.host}  port {server.imap_port}  user {USER}  password {password}\n"
                f"  (SMTP: port {server.smtp_port})\n"
                f"Try: INBOX_AGENT_HOME={home} inbox-agent queue   (secrets live only in this process)\n"
                "Press Ctrl-C to stop."
            )
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                print("stopped")
        if not uids:
            print("no nudge reached Drafts: something is wrong; run with -v for details")
            return 1
    return 0
