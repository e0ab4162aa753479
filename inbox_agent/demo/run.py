"""`inbox-agent demo`: the whole product against an embedded mail server, with no account.

A sample mailbox for alice@example.test is loaded into the embedded IMAP server: threads that were
answered, threads that went quiet, one that got an out-of-office, old history and a newsletter.
One daemon cycle runs with the offline drafter; then an independent IMAP connection reads Drafts
back, to show the nudges are really there, and the first one waiting for approval is printed in
full (greeting, text, sign-off and the quote of the message it follows up). With
`--keep-running`, a second shell can approve it: the demo lends its in-process keyring over a
socket in its own 0700 folder (`demo.keyring`), so the password is never written to a file.
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

from inbox_agent import clock, config, paths
from inbox_agent.config import secrets
from inbox_agent.demo.keyring import BACKEND, DemoKeyring, serve
from inbox_agent.mail.mime import parse
from inbox_agent.store import DraftRow

USER, DOMAIN = "alice", "example.test"
CONTACTS = ("bob", "carol", "dave", "erin", "frank", "grace")


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


def _monday_to_wednesday(day: datetime) -> datetime:
    """`day`, or the Wednesday before it: an ask sent then "by Friday" eight to twelve days ago
    is overdue whichever day of the week the demo runs on (sent on a Friday, its Friday would
    be the next one, and its nudge not due on a weekend)."""
    return day - timedelta(days=max(0, day.weekday() - 2))


def sample_mailbox(now: datetime) -> list[tuple[str, EmailMessage]]:
    """(folder, message) pairs: what alice's mailbox holds when the demo starts."""
    alice = ("Alice Example", f"alice@{DOMAIN}")
    people = {
        n: (f"{n.title()} {s}", f"{n}@{DOMAIN}")
        for n, s in zip(CONTACTS, ("Stone", "Diaz", "Okafor", "Weber", "Liu", "Kim"), strict=True)
    }
    day = timedelta(days=1)
    out: list[tuple[str, EmailMessage]] = []
    contract = _message(
        alice,
        [people["bob"][1]],
        "Q3 contract: redlines",
        "Hi Bob,\n\nAttached are our redlines on "
        "the Q3 contract. Could you confirm by Friday whether legal is fine with clause 7?\n\nThanks,\nAlice",
        _monday_to_wednesday(now - 8 * day),
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
    held = DemoKeyring()
    keyring.set_keyring(held)
    password = random_secrets.token_urlsafe(9)
    started = time.monotonic()
    # the sample's contacts have mailboxes too, so an approved nudge is delivered, not refused
    users = {USER: password, **{n: random_secrets.token_urlsafe(9) for n in CONTACTS}}
    with EmbeddedMailServer(users, domain=DOMAIN).start() as server:
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
        queued = engine.queue()
        for row in queued:
            print(f"queued for approval: #{row.id} {row.subject} → {', '.join(row.recipients)}")
        if queued:
            _show_first(server.host, server.imap_port, password, engine.folders.drafts, queued[0])
        print(f"finished in {time.monotonic() - started:.1f}s; state and audit log in {home}")
        if queued:
            print(
                f"\nTo approve #{queued[0].id} from a second shell while this demo keeps running:\n"
                f"  PYTHON_KEYRING_BACKEND={BACKEND} INBOX_AGENT_HOME={home} "
                f"inbox-agent approve {queued[0].id}"
                if keep_running
                else "\nTo approve it from a second shell, run `inbox-agent demo --keep-running`."
            )
        if keep_running:
            listener = serve(held, home)
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
            finally:
                listener.close()
        if not uids:
            print("no nudge reached Drafts: something is wrong; run with -v for details")
            return 1
    return 0


def _show_first(host: str, port: int, password: str, folder: str, row: DraftRow) -> None:
    """The first queued nudge as it sits in Drafts, read back over its own IMAP connection."""
    from imapclient import IMAPClient

    with IMAPClient(host, port=port, ssl=False, timeout=10) as client:
        client.login(USER, password)
        client.select_folder(folder, readonly=True)
        uids = client.search(["HEADER", "Message-ID", row.message_id])
        raw = bytes(client.fetch(uids, ["BODY.PEEK[]"])[uids[0]][b"BODY[]"]) if uids else b""
    msg = parse(raw)
    part = msg.get_body(preferencelist=("plain",))
    text = str(part.get_content()).replace("\r\n", "\n") if part is not None else row.body
    rule = "-" * 72
    print(
        f"\nThe first nudge, as it sits in Drafts (to {', '.join(row.recipients)}; Copilot: "
        f"waiting for your approval):\n{rule}\nSubject: {row.subject}\n\n{text.rstrip()}\n{rule}"
    )
