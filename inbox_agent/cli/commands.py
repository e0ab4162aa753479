"""The work behind each `inbox-agent` command: one `cmd_*` function per command.

`main.py` wires these to the argument parser; `render.py` prints what they find. Imports of heavy
modules (openai, pystray, the mail server) happen inside the commands that need them, so
`inbox-agent --help` is fast and works without a display. A command raises a domain error and
lets `main.handle_error` turn it into a sentence and an exit code.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Iterable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from inbox_agent import clock, config, paths
from inbox_agent.cli import render
from inbox_agent.errors import UserError

if TYPE_CHECKING:
    from inbox_agent.tracker.decision import Assessment


def _context(args: argparse.Namespace) -> tuple[config.Settings, config.Account]:
    settings = config.load_settings()
    return settings, config.pick_account(
        config.load_accounts(settings), getattr(args, "account", None)
    )


def _engine(args: argparse.Namespace, actor: str = "cli") -> Any:
    from inbox_agent.engine import Engine
    from inbox_agent.store.db import Store

    settings, account = _context(args)
    return Engine(account, settings, Store(paths.database_file()), actor=actor)


def cmd_init(args: argparse.Namespace) -> int:
    from inbox_agent.setup import wizard
    from inbox_agent.setup.console import console_for

    return wizard.run(args, console_for(args))


def cmd_check(args: argparse.Namespace) -> int:
    from inbox_agent.setup import check

    settings = config.load_settings()
    accounts = config.load_accounts(settings)
    if args.account or not accounts:
        accounts = [config.pick_account(accounts, args.account)]
    findings = check.run(accounts, settings)
    if args.json:
        render.print_json([f.as_dict() for f in findings])
    else:
        check.show(findings, several=len(accounts) > 1)
    return check.exit_code(findings)


def cmd_secret(args: argparse.Namespace) -> int:
    from inbox_agent.config import secrets

    value = (
        sys.stdin.readline().rstrip("\r\n")
        if not sys.stdin.isatty()
        else getpass.getpass(f"{args.kind} secret for {args.name}: ")
    )
    if not value:
        raise UserError(
            "no secret was given", "type it at the prompt, or pipe it on standard input"
        )
    secrets.set_secret(args.name, args.kind, value)
    print(f"stored the {args.kind} secret for {args.name} in the keyring ({secrets.SERVICE})")
    return 0


SYNC_BODIES = 5_000  # bodies `sync` reads at most (`tracker.bodies_needed`'s order)


def cmd_sync(args: argparse.Namespace) -> int:
    engine = _engine(args)
    with engine.session() as mailbox:
        new = engine.sync(mailbox)
        # what the daemon reads over its first cycles, at once: `threads` decides from it
        read = 0 if args.headers_only else engine.read_bodies(mailbox, limit=SYNC_BODIES)
    print(f"{engine.account.name}: {new} new messages, {read} bodies read")
    return 0


def thread_rows(
    found: Iterable[Assessment], account: str, user: frozenset[str]
) -> list[dict[str, Any]]:
    """What `threads` shows of each assessment (its JSON form)."""
    from inbox_agent.tracker.threads import last_human

    rows = []
    for a in found:
        thread, seq = a.thread, a.sequence
        last = last_human(thread) or thread.messages[-1]
        rows.append(
            {
                "thread_id": thread.key,
                "account": account,
                "subject": thread.subject,
                "message_ids": list(thread.message_ids),
                "last_message_id": thread.messages[-1].message_id,
                "last_from_user": last.from_addr in user,
                "awaiting": a.awaiting,
                "reason": a.reason,
                "state": a.state,
                "sequence_id": seq.id if seq else None,
                "touches_sent": seq.touches_sent if seq else 0,
                "next_due_at": a.due_at.isoformat() if a.due_at else None,
                "actions": [text for text in map(render.action, a.actions) if text],
                "participants": list(thread.participants(user)),
                "unread": a.unread,
                "expects": (
                    {
                        "outcome": a.verdict.outcome.value,
                        "kind": a.verdict.kind,
                        "quote": a.verdict.quote,
                        "reason": a.verdict.reason,
                    }
                    if a.verdict
                    else None
                ),
            }
        )
    return rows


def listed(
    rows: list[dict[str, Any]], awaiting: bool, everything: bool, unsure: bool = False
) -> list[dict[str, Any]]:
    """The rows `threads` lists: `--awaiting` those awaiting a reply, `--unsure` those left for
    you to decide, `--all` every one, by default those awaiting, followed or unsure."""
    if awaiting:
        return [r for r in rows if r["awaiting"]]
    if unsure:
        return [r for r in rows if r["state"] == "unsure"]
    if everything:
        return rows
    return [
        r for r in rows if r["awaiting"] or r["sequence_id"] is not None or r["state"] == "unsure"
    ]


def cmd_threads(args: argparse.Namespace) -> int:
    engine = _engine(args)
    as_of = clock.parse_instant(args.as_of) if args.as_of else None
    rows = thread_rows(engine.assessments(as_of), engine.account.name, engine.user_addresses())
    rows = listed(rows, args.awaiting, args.all, args.unsure)
    if args.json:
        render.print_json(rows)
        return 0
    render.threads(rows)
    return 0


def _tick_all(args: argparse.Namespace) -> int:
    from inbox_agent.engine import Engine
    from inbox_agent.store.db import Store

    settings = config.load_settings()
    accounts = config.load_accounts(settings)
    if args.account:
        accounts = [config.pick_account(accounts, args.account)]
    if not accounts:
        config.pick_account(accounts, None)
    store = Store(paths.database_file())
    worst = 0  # the exit code of the worst failure: a missing folder (2) is the user's to fix
    for account in accounts:
        try:
            engine = Engine(account, settings, store)
            report = last = engine.tick()
            for _ in range(1000):  # what a cycle left for the next (`TickReport.again`): now, too
                if not last.again():
                    break
                last = engine.tick()
                report.new_messages += last.new_messages
                report.bodies_read += last.bodies_read
                report.started += last.started
                report.counts.update(last.counts)
            for left in ("deferred", "unread"):  # what is left is what the last cycle left
                report.counts[left] = last.counts[left]
        except UserError as exc:
            worst = max(worst, exc.exit_code)
            print(f"{account.name}: {exc}", file=sys.stderr)
            continue
        print(f"{account.name}: {report.summary()}")
    return worst


def cmd_run(args: argparse.Namespace) -> int:
    if args.once:
        return _tick_all(args)
    from inbox_agent.desktop.run import run_forever

    return run_forever(args.account, tray=not args.no_tray)


def cmd_status(args: argparse.Namespace) -> int:
    from inbox_agent.desktop import status
    from inbox_agent.store.db import Store

    settings = config.load_settings()
    accounts = config.load_accounts(settings)
    if args.account:
        accounts = [config.pick_account(accounts, args.account)]
    info = status.report(Store(paths.database_file()), accounts)
    if args.json:
        render.print_json(info)
        return 0
    render.status(info, any_account=bool(accounts))
    return 0


def cmd_pause(args: argparse.Namespace) -> int:
    from inbox_agent.desktop import status

    status.set_paused(args.command == "pause", "cli")
    if args.command == "pause":
        print("paused: mail is still read, but nothing is drafted or sent (inbox-agent resume)")
    else:
        print("resumed: a running daemon picks this up within a minute")
    return 0


def cmd_autostart(args: argparse.Namespace) -> int:
    from inbox_agent.desktop import autostart

    if args.action == "enable":
        entry = autostart.enable()
        print(f"enabled: {entry.location} runs `{' '.join(entry.argv)}` at login")
        return 0
    if args.action == "disable":
        entry, existed = autostart.disable()
        print(f"disabled: removed {entry.location}" if existed else "autostart was not enabled")
        return 0
    info = autostart.status()
    if args.json:
        render.print_json(info)
    else:
        render.autostart(info)
    return 2 if info["problem"] else 0


def cmd_queue(args: argparse.Namespace) -> int:
    engine = _engine(args)
    rows = [
        {
            "id": d.id,
            "sequence_id": d.sequence_id,
            "touch": d.touch,
            "subject": d.subject,
            "to": list(d.recipients),
            "drafter": d.drafter,
            "created_at": d.created_at.isoformat(),
            "body": d.body,
        }
        for d in engine.queue()
    ]
    if args.json:
        render.print_json(rows)
        return 0
    render.queue(rows)
    return 0


def cmd_approve(args: argparse.Namespace) -> int:
    _engine(args).approve(args.id)
    print(f"sent draft {args.id}")
    return 0


def cmd_reject(args: argparse.Namespace) -> int:
    _engine(args).reject(args.id)
    print(f"rejected draft {args.id}; it was removed from Drafts unless you had edited it")
    return 0


def cmd_undo(args: argparse.Namespace) -> int:
    _engine(args).undo(args.id)
    print(f"undone: draft {args.id} will not be sent")
    return 0


def cmd_dismiss(args: argparse.Namespace) -> int:
    engine = _engine(args)
    target = args.thread
    seq_id = (
        int(target)
        if target.isdigit()
        else next(
            (s.id for s in engine.sequences() if target in (s.thread_key, s.anchor_message_id)),
            -1,
        )
    )
    engine.dismiss(seq_id)
    print(f"dismissed thread {target}; no more nudges on it")
    return 0


def cmd_follow_up(args: argparse.Namespace) -> int:
    message_id = _engine(args).decide(args.thread, follow=True)
    print(f"following up {args.thread} (your message {message_id}) whatever its words say")
    return 0


def cmd_never(args: argparse.Namespace) -> int:
    message_id = _engine(args).decide(args.thread, follow=False)
    print(f"never following up {args.thread} (your message {message_id})")
    return 0


def cmd_autonomy(args: argparse.Namespace) -> int:
    engine = _engine(args)
    if args.autonomy_command == "set":
        try:
            engine.set_autonomy(args.scope, args.level)
        except ValueError as exc:
            raise UserError(str(exc), "see `inbox-agent autonomy --help`") from None
        print(f"{args.scope}: {args.level}")
        return 0
    rows = [{"scope": scope, "level": level} for scope, level in engine.rules().listing()]
    if getattr(args, "json", False):
        render.print_json(rows)
        return 0
    render.autonomy(engine.account.name, rows)
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from inbox_agent.store import audit
    from inbox_agent.store.db import Store

    store = Store(paths.database_file())
    if args.verify:
        problems = audit.verify(store)
        for problem in problems:
            print(problem, file=sys.stderr)
        count = len(store.audit_rows())
        print(f"audit log: {count} rows, {'BROKEN' if problems else 'intact'}")
        return 5 if problems else 0
    rows = store.audit_rows(getattr(args, "account", None), args.thread, args.since)
    if args.json:
        render.print_json([asdict(r) for r in rows])
        return 0
    render.audit(rows)
    return 0


def cmd_voice(args: argparse.Namespace) -> int:
    from inbox_agent import voice
    from inbox_agent.voice import style, voicefile

    engine = _engine(args)
    name = engine.account.name
    if args.forget_edits:
        with engine.store.tx():
            gone = engine.store.forget_edits(name)
        print(f"forgot {gone} edit(s) of {name}'s nudges")
    learned = voicefile.edit_habits(engine.store, engine.account)
    edits = [asdict(row) for row in learned.learned] if learned else []
    if not engine.account.learn_from_edits:
        edits = [
            {
                "trait": "edits",
                "value": "(not learned)",
                "messages": [],
                "source": "learning from edits is off ([voice] learn_from_edits)",
            }
        ]
    profile = None if args.refresh else voicefile.load(name)
    if profile is None:  # learn it now: sync the headers, read the newest sent mail
        with engine.session() as mailbox:
            engine.sync(mailbox)
            profile = engine.voice_profile(mailbox, refresh=True)
    if profile is None:
        raise UserError(
            f"could not learn a voice profile for {name}",
            "run `inbox-agent voice --refresh -v` to see why",
        )
    file = voicefile.path(name)
    stale = voicefile.is_stale(profile, clock.now())
    if args.json:
        data = voice.to_json(profile)
        data["samples"] = [  # which messages, not what they say
            {k: v for k, v in s.items() if k not in ("text", "core")} for s in data["samples"]
        ]
        render.print_json(
            {
                "account": name,
                "file": str(file),
                "stale": stale,
                "traits": style.describe(profile),
                "edits": edits,
                "profile": data,
            }
        )
        return 0
    render.voice(name, profile, file, stale, style.describe(profile), edits)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from inbox_agent.demo.run import run_demo

    return run_demo(keep_running=args.keep_running)


def cmd_config_validate(args: argparse.Namespace) -> int:
    from inbox_agent.config import secrets
    from inbox_agent.errors import ConfigError

    rows: list[dict[str, Any]] = []

    def problem(path: object, exc: UserError) -> None:
        text = exc.message.removeprefix(f"{path}: ")  # a ConfigError names its file itself
        rows.append({"file": str(path), "ok": False, "problem": text, "fix": exc.fix})

    try:
        settings = config.load_settings()
        rows.append(
            {
                "file": str(settings.path),
                "ok": True,
                "summary": "ok" if settings.path.exists() else "not present: every default",
            }
        )
    except ConfigError as exc:
        problem(exc.path, exc)
        settings = config.Settings(paths.global_config_file())
    files = sorted(paths.accounts_dir().glob("*.toml"))
    for path in files:
        try:
            account = config.load_account(path, settings)
        except ConfigError as exc:
            problem(path, exc)
            continue
        try:
            stored = secrets.get_secret(account.name, "imap")
        except UserError as exc:
            problem(path, exc)
            continue
        if not stored:
            how = (
                f"sign in: `inbox-agent init --oauth --account {account.name}`"
                if account.auth == "oauth2"
                else f"`inbox-agent secret set {account.name} imap`"
            )
            what = "OAuth sign-in" if account.auth == "oauth2" else "password"
            problem(path, UserError(f"no {what} is stored in the keyring", how))
            continue
        rows.append(
            {
                "file": str(path),
                "ok": True,
                "summary": f"ok ({account.email}, {account.preset.name}, "
                f"{'OAuth' if account.auth == 'oauth2' else 'password'}, {account.autonomy.default})",
            }
        )
    if args.json:
        render.print_json(rows)
    else:
        render.config_files(rows, any_file=bool(files))
    return 0 if all(row["ok"] for row in rows) else 2
