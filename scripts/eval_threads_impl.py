"""Load one Enron user's maildir into a private Dovecot (sent folders into Sent, everything else
into INBOX, duplicates included, as a real mailbox has them), sync it with inbox-agent, and report
how many of the user's outbound threads it finds, how many have a reply matched, and a sample of
20 decisions for a person to check. The last line printed is one JSON object."""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import sys
import tempfile
from collections import Counter
from datetime import timedelta
from pathlib import Path

import keyring

from inbox_agent import config, paths
from inbox_agent.config import secrets
from inbox_agent.engine import Engine
from inbox_agent.mail import headers
from inbox_agent.store.db import Store
from inbox_agent.tracker.start import judge
from inbox_agent.tracker.threads import last_human
from scripts.judgement_labels import SENT_FOLDERS
from tests.infra.dovecot import DovecotServer
from tests.infra.memkeyring import MemoryKeyring


def load(corpus: Path, maildir: Path) -> tuple[int, int, str]:
    """Copy the user's files into Maildir; returns (inbox count, sent count, the user's address)."""
    host = socket.gethostname()
    for folder in ("", ".Sent"):
        for sub in ("cur", "new", "tmp"):
            (maildir / folder / sub).mkdir(parents=True, exist_ok=True)
    counts = Counter[str]()
    senders = Counter[str]()
    for n, path in enumerate(sorted(p for p in corpus.rglob("*") if p.is_file())):
        top = path.relative_to(corpus).parts[0]
        target = ".Sent" if top in SENT_FOLDERS else ""
        raw = path.read_bytes()
        if target:
            senders[headers.parse(raw).from_addr] += 1
        (
            maildir / target / "cur" / f"{1_000_000 + n}.M{n}P{os.getpid()}.{host},S={len(raw)}:2,S"
        ).write_bytes(raw)
        counts[target or "INBOX"] += 1
    return counts["INBOX"], counts[".Sent"], senders.most_common(1)[0][0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--corpus", type=Path, required=True, help="e.g. ../shared/corpus/enron/allen-p"
    )
    parser.add_argument("--sample", type=int, default=20)
    args = parser.parse_args()
    server = DovecotServer({})
    server.start()
    home = tempfile.mkdtemp(prefix="eval-threads-")
    os.environ["INBOX_AGENT_HOME"] = home
    keyring.set_keyring(MemoryKeyring())
    try:
        server.add_user("user", "eval-pw")
        inbox, sent, address = load(args.corpus, server.maildir("user"))
        server.chown_tree()
        path = paths.accounts_dir() / "enron.toml"
        path.parent.mkdir(parents=True)
        path.write_text(
            f'email = "{address}"\n[imap]\nhost = "127.0.0.1"\nport = {server.imap_port}\nsecurity = "none"\n'
            'username = "user"\n[smtp]\nhost = "127.0.0.1"\nport = 9\nsecurity = "none"\n'
        )
        secrets.set_secret("enron", "imap", "eval-pw")
        settings = config.load_settings()
        engine = Engine(config.load_account(path, settings), settings, Store(paths.database_file()))
        with engine.session() as client:
            engine.sync(client)
        user = engine.user_addresses()
        threads = engine.threads()
        outbound = [t for t in threads if any(m.from_addr in user for m in t.messages)]
        answered = []
        for t in outbound:
            firsts = [i for i, m in enumerate(t.messages) if m.from_addr in user]
            if any(
                m.from_addr not in user and m.kind == "normal" for m in t.messages[firsts[0] + 1 :]
            ):
                answered.append(t)
        threaded_by_subject = sum(
            1
            for t in outbound
            if len(t.messages) > 1 and not any(m.in_reply_to or m.references for m in t.messages)
        )
        dated = [m.date for t in threads for m in t.messages if m.date]
        end = max(dated) + timedelta(days=1)
        cadence = engine.account.cadence.cadence
        rnd = random.Random(1)
        print(
            f"{args.corpus.name}: {inbox} INBOX files, {sent} Sent files; user {address}; "
            f"user addresses: {sorted(user)[:5]}",
            file=sys.stderr,
        )
        print(
            f"{len(threads)} threads, {len(outbound)} with the user writing, {len(answered)} of them answered; "
            f"{threaded_by_subject} multi-message outbound threads joined by subject alone",
            file=sys.stderr,
        )
        print(f"\nsample of {args.sample} decisions, as of {end:%Y-%m-%d}:", file=sys.stderr)
        for t in rnd.sample(outbound, min(args.sample, len(outbound))):
            last = last_human(t)
            verdict = judge(t, user, end, cadence)  # the mailbox alone: no lookback here
            people = ", ".join(t.participants(user)[:3])
            print(
                f"- [{len(t.messages)} msg] {t.subject[:60]!r} with {people[:70]}\n"
                f"    last by {last.from_addr if last else '?'}: awaiting={verdict.awaiting}: {verdict.reason}",
                file=sys.stderr,
            )
        print(
            json.dumps(
                {
                    "user": args.corpus.name,
                    "messages": inbox + sent,
                    "threads": len(threads),
                    "outbound_threads": len(outbound),
                    "answered": len(answered),
                    "answered_share": round(len(answered) / max(1, len(outbound)), 3),
                    "joined_by_subject": threaded_by_subject,
                }
            )
        )
    finally:
        server.cleanup()


if __name__ == "__main__":
    main()
