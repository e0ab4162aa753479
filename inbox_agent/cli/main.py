"""The `inbox-agent` command: every command a person or a script needs.

Imports of heavy modules (openai, pystray, the mail server) happen inside the commands that need
them, so `inbox-agent --help` is fast and works without a display. `handle_error` is the one place
that turns a domain error into a sentence and an exit code.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from inbox_agent import __version__, clock, config, paths
from inbox_agent.errors import SafetyStop, UserError

log = logging.getLogger("inbox_agent")

Handler = Callable[[argparse.Namespace], int]


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False, default=str))


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


# -- commands --------------------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace) -> int:
    from inbox_agent.setup import wizard

    return wizard.run(args, wizard.console_for(args))


def cmd_check(args: argparse.Namespace) -> int:
    from inbox_agent.setup import check

    settings = config.load_settings()
    accounts = config.load_accounts(settings)
    if args.account or not accounts:
        accounts = [config.pick_account(accounts, args.account)]
    findings = check.run(accounts, settings)
    if args.json:
        _print_json([f.as_dict() for f in findings])
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


def cmd_sync(args: argparse.Namespace) -> int:
    engine = _engine(args)
    with engine.session() as client:
        new = engine.sync(client)
    print(f"{engine.account.name}: {new} new messages")
    return 0


def _thread_rows(engine: Any, as_of: datetime | None) -> list[dict[str, Any]]:
    from inbox_agent.tracker.threads import judge, last_human

    now = as_of or clock.now()
    user = engine.user_addresses()
    by_anchor: dict[str, dict[str, Any]] = {}
    for seq in engine.sequences():
        by_anchor[seq["anchor_message_id"]] = seq
    facts = engine.facts()
    rows = []
    for thread in engine.threads(as_of):
        last_word = last_human(thread)
        quiet = (
            facts[last_word.message_id].no_answer_expected
            if last_word and last_word.message_id in facts
            else ""
        )
        verdict = judge(thread, user, now, engine.account.cadence.cadence.gap_before(1), quiet)
        seq = (
            None
            if as_of
            else next((by_anchor[m] for m in reversed(thread.message_ids) if m in by_anchor), None)
        )
        last = last_human(thread) or thread.messages[-1]
        lookback = engine.account.cadence.lookback
        if verdict.awaiting and seq is None and last.date and lookback.after(last.date) < now:
            # quiet, but history: the baseline never nudges about it, so it is not waiting on us
            verdict = replace(
                verdict,
                awaiting=False,
                reason=f"{verdict.reason}; history (older than lookback {lookback}), never nudged",
            )
        rows.append(
            {
                "thread_id": thread.key,
                "account": engine.account.name,
                "subject": thread.subject,
                "message_ids": list(thread.message_ids),
                "last_message_id": thread.messages[-1].message_id,
                "last_from_user": last.from_addr in user,
                "awaiting": verdict.awaiting,
                "reason": verdict.reason,
                "state": seq["state"] if seq else ("awaiting" if verdict.awaiting else "untracked"),
                "sequence_id": seq["id"] if seq else None,
                "touches_sent": seq["touches_sent"] if seq else 0,
                "next_due_at": (
                    seq["next_due_at"]
                    if seq
                    else (verdict.due_at.isoformat() if verdict.due_at else None)
                ),
                "participants": list(thread.participants(user)),
            }
        )
    return rows


def cmd_threads(args: argparse.Namespace) -> int:
    engine = _engine(args)
    as_of = clock.parse_instant(args.as_of) if args.as_of else None
    rows = _thread_rows(engine, as_of)
    if args.awaiting:
        rows = [r for r in rows if r["awaiting"]]
    elif not args.all:
        rows = [r for r in rows if r["awaiting"] or r["sequence_id"] is not None]
    if args.json:
        _print_json(rows)
        return 0
    if not rows:
        print("no threads to show (try --all)")
    for r in rows:
        seq = f"#{r['sequence_id']}" if r["sequence_id"] else "  -"
        print(
            f"{seq:>5} {r['state']:<18} {r['subject'][:50]:<50} {', '.join(r['participants'][:2])}"
        )
        print(f"      {r['reason']}")
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
    failures = 0
    for account in accounts:
        try:
            report = Engine(account, settings, store).tick()
        except UserError as exc:
            failures += 1
            print(f"{account.name}: {exc}", file=sys.stderr)
            continue
        print(f"{account.name}: {report.summary()}")
    return 3 if failures else 0


def cmd_run(args: argparse.Namespace) -> int:
    if args.once:
        return _tick_all(args)
    from inbox_agent.desktop.daemon import run_forever

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
        _print_json(info)
        return 0
    if info["running"]:
        print(f"daemon: running (pid {info['pid']}, since {str(info['started_at'])[:19]})")
    else:
        print(
            "daemon: not running (start it: inbox-agent run; at login: inbox-agent autostart enable)"
        )
    if info["paused"]:
        print(f"paused since {info['paused_since']} (inbox-agent resume)")
    for a in info["accounts"]:
        watch = {
            "idle": "watching (IMAP IDLE push)",
            "polling": "watching (polling)",
            "connecting": "reconnecting",
            "held": "not watched until the problem below is fixed",
        }.get(a["watch"], "not watched now")
        print(f"{a['name']} ({a['email']}, {a['autonomy']} by default): {watch}")
        print(f"  last successful sync: {str(a['last_sync'] or 'never')[:19]}")
        print(f"  pending approvals: {a['pending_approvals']} (inbox-agent queue)")
        sends = a["scheduled_sends"]
        print(
            f"  scheduled sends: {len(sends)}"
            + (f", next at {sends[0]['send_at'][:16]}" if sends else "")
        )
        for p in a["problems"]:
            print(f"  PROBLEM: {p['message']}" + (f"\n    fix: {p['fix']}" if p["fix"] else ""))
        error = a["last_error"]
        print(
            f"  last error: {error['at'][:19]} {error['message']}"
            if error
            else "  last error: none"
        )
    if not accounts:
        print(f"no account is configured in {paths.accounts_dir()} (inbox-agent init)")
    print(f"log: {info['log_file']}")
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
        _print_json(info)
    elif info["enabled"]:
        print(f"enabled: {info['location']}")
        if info["problem"]:
            print(f"problem: {info['problem']}")
    else:
        print("disabled (inbox-agent autostart enable)")
    return 2 if info["problem"] else 0


def cmd_queue(args: argparse.Namespace) -> int:
    engine = _engine(args)
    rows = [
        {
            "id": d["id"],
            "sequence_id": d["sequence_id"],
            "touch": d["touch"],
            "subject": d["subject"],
            "to": d["recipients"],
            "drafter": d["drafter"],
            "created_at": d["created_at"],
            "body": d["body"],
        }
        for d in engine.queue()
    ]
    if args.json:
        _print_json(rows)
        return 0
    if not rows:
        print("nothing waits for your approval")
    for r in rows:
        print(f"{r['id']:>4}  {r['subject']}  → {', '.join(r['to'])}  (touch {r['touch']})")
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
            (
                s["id"]
                for s in engine.sequences()
                if target in (s["thread_key"], s["anchor_message_id"])
            ),
            -1,
        )
    )
    engine.dismiss(seq_id)
    print(f"dismissed thread {target}; no more nudges on it")
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
        _print_json(rows)
        return 0
    print(
        f"{engine.account.name}: the most specific scope wins (thread > contact > domain > folder > default)"
    )
    for row in rows:
        print(f"  {row['scope']:<40} {row['level']}")
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
        _print_json(rows)
        return 0
    for r in rows:
        change = (
            f"{r['state_before']}→{r['state_after']}"
            if r["state_before"] or r["state_after"]
            else ""
        )
        print(
            f"{r['at'][:19]} {r['actor']:<6} {r['action']:<14} #{r['sequence_id'] or '-'} {change:<28} {r['reason']}"
        )
    return 0


def cmd_voice(args: argparse.Namespace) -> int:
    from inbox_agent import voice
    from inbox_agent.voice import style, voicefile

    engine = _engine(args)
    name = engine.account.name
    profile = None if args.refresh else voicefile.load(name)
    if profile is None:  # learn it now: sync the headers, read the newest sent mail
        with engine.session() as client:
            engine.sync(client)
            profile = engine.voice_profile(client, refresh=True)
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
        _print_json(
            {
                "account": name,
                "file": str(file),
                "stale": stale,
                "traits": style.describe(profile),
                "profile": data,
            }
        )
        return 0
    window = f"{profile.oldest[:10]} … {profile.newest[:10]}" if profile.oldest else "undated"
    print(
        f"Voice profile for {name}, learned {profile.learned_at[:16].replace('T', ' ')} from "
        f"{profile.sample_size} of your sent messages ({window})"
    )
    print(f"kept in {file}; sent nowhere but your LLM endpoint, as examples in its prompts")
    if stale:
        print("more than a day old: it is learned again before the next draft (or use --refresh)")
    print()
    for row in style.describe(profile):
        print(f"{row['trait']:<28} {row['value']}")
        print(f"{'':<28}   from: {row['source']}")
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
        _print_json(rows)
    else:
        for row in rows:
            if row["ok"]:
                print(f"{row['file']}: {row['summary']}")
            else:
                print(
                    f"error: {row['file']}: {row['problem']}\n  fix: {row['fix']}", file=sys.stderr
                )
        if not files:
            print(f"no account files in {paths.accounts_dir()} (inbox-agent init)")
    return 0 if all(row["ok"] for row in rows) else 2


# -- wiring ----------------------------------------------------------------------------------------


INIT_HELP = (
    "set up an account: asks at a terminal (email, provider, password or OAuth sign-in, "
    "autonomy, LLM), takes flags in scripts, then runs check"
)


def _init_parser(p: argparse.ArgumentParser) -> None:
    from inbox_agent.config import providers  # data only: cheap

    p.add_argument("--email", help="the address you send from")
    p.add_argument(
        "--provider",
        choices=providers.keys(),
        help="the provider preset; default: from the email's domain (a company address at "
        "Google or Microsoft needs gmail or microsoft365)",
    )
    p.add_argument(
        "--name",
        "--account",
        dest="name",
        metavar="NAME",
        help="account name (the file is accounts/NAME.toml); default: the email's local part. "
        "With --oauth and an existing OAuth account: sign in again",
    )
    p.add_argument("--display-name", help="your name in From: on nudges")
    p.add_argument("--username", help="login name, when it is not the email address")
    servers = p.add_argument_group("servers (a preset fills these in)")
    servers.add_argument("--imap-host")
    servers.add_argument("--imap-port", type=int)
    servers.add_argument("--smtp-host")
    servers.add_argument("--smtp-port", type=int)
    servers.add_argument(
        "--security", choices=config.SECURITY_MODES, help="IMAP (and SMTP) connection security"
    )
    servers.add_argument("--smtp-security", choices=config.SECURITY_MODES)
    auth = p.add_argument_group("signing in")
    auth.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password or app password from standard input",
    )
    auth.add_argument(
        "--oauth",
        action="store_true",
        help="sign in with OAuth 2.0 (Gmail, Outlook, Microsoft 365)",
    )
    auth.add_argument("--client-id", help="your OAuth client ID (README: OAuth client IDs)")
    auth.add_argument(
        "--client-secret-stdin",
        action="store_true",
        help="read the OAuth client secret (Google's Desktop app clients have one) from stdin",
    )
    auth.add_argument(
        "--device",
        action="store_true",
        help="sign in with a code on another device (Microsoft only: no browser needed here)",
    )
    auth.add_argument("--tenant", help="Microsoft tenant: common (default), organizations, an ID")
    auth.add_argument("--oauth-authorize-url", help="OAuth server for a provider without a preset")
    auth.add_argument("--oauth-token-url")
    auth.add_argument("--oauth-device-url")
    rest = p.add_argument_group("behaviour")
    rest.add_argument("--autonomy", choices=config.AUTONOMY_LEVELS, help="default: manual")
    rest.add_argument("--llm-base-url", help="an OpenAI-compatible endpoint for the drafts")
    rest.add_argument("--llm-model")
    rest.add_argument("--no-llm", action="store_true", help="offline drafts (removes [llm])")
    rest.add_argument("--no-check", action="store_true", help="do not run check at the end")
    rest.add_argument("--force", action="store_true", help="replace an existing account file")
    rest.add_argument(
        "--non-interactive", action="store_true", help="never ask, even at a terminal"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="inbox-agent",
        description="Notices the threads you started that went quiet, and drafts a nudge in your voice.",
    )
    parser.add_argument("--version", action="version", version=f"inbox-agent {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens, to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(
        name: str, handler: Handler, help_text: str, account: bool = True
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        if account:
            p.add_argument(
                "--account", metavar="NAME", help="the account to use, when there are several"
            )
        p.set_defaults(handler=handler)
        return p

    _init_parser(command("init", cmd_init, INIT_HELP, account=False))
    p = command(
        "check",
        cmd_check,
        "log in to IMAP and SMTP (sending nothing), list capabilities and the folders it will "
        "use, test the LLM endpoint and model; every account unless --account",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p = command(
        "secret", cmd_secret, "store a password or API key in the OS keyring", account=False
    )
    secret_sub = p.add_subparsers(dest="secret_command", metavar="ACTION", required=True)
    s = secret_sub.add_parser(
        "set",
        help="store a secret (read from standard input when it is not a terminal)",
        description="store a secret (read from standard input when it is not a terminal)",
    )
    s.add_argument("name", help="account name, or 'llm' for the LLM API key")
    s.add_argument("kind", nargs="?", default="imap", choices=("imap", "smtp", "llm"))
    s.set_defaults(handler=cmd_secret)
    p = command("sync", cmd_sync, "fetch new message headers from IMAP into the local store")
    p.add_argument("--once", action="store_true", help="sync once and exit (the default)")
    p = command("threads", cmd_threads, "list tracked threads and whether each awaits a reply")
    p.add_argument("--awaiting", action="store_true", help="only threads that await a reply now")
    p.add_argument("--all", action="store_true", help="every thread, tracked or not")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument(
        "--as-of",
        metavar="ISO8601",
        help="answer as if the clock read this time, using only mail dated before it",
    )
    p = command("run", cmd_run, "run the daemon: sync, draft nudges, send what is approved")
    p.add_argument("--once", action="store_true", help="run one cycle and exit")
    p.add_argument(
        "--no-tray", action="store_true", help="run without the tray icon (servers, tests)"
    )
    p = command(
        "status",
        cmd_status,
        "is the daemon running; last sync, pending approvals, scheduled sends and last error",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    command(
        "pause",
        cmd_pause,
        "pause every account: mail is still read, nothing is drafted or sent (survives restarts)",
        account=False,
    )
    command("resume", cmd_pause, "undo `inbox-agent pause`", account=False)
    p = command(
        "autostart",
        cmd_autostart,
        "start the daemon at login (XDG autostart, a macOS LaunchAgent, or Windows' Run key)",
        account=False,
    )
    p.add_argument("action", choices=("enable", "disable", "status"))
    p.add_argument("--json", action="store_true", help="with status: print JSON")
    p = command("queue", cmd_queue, "list nudges waiting for your approval (Copilot)")
    p.add_argument("--json", action="store_true", help="print JSON")
    for name, handler, text in (
        ("approve", cmd_approve, "send a queued nudge (refused if anyone replied meanwhile)"),
        ("reject", cmd_reject, "drop a queued nudge and skip that touch"),
        ("undo", cmd_undo, "cancel a scheduled Autopilot send inside its undo window"),
    ):
        p = command(name, handler, text)
        p.add_argument("id", type=int, help="the draft id shown by `inbox-agent queue`")
    p = command("autonomy", cmd_autonomy, "show which autonomy level applies where, or set one")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(autonomy_command="show")
    autonomy_sub = p.add_subparsers(dest="autonomy_command", metavar="ACTION")
    a = autonomy_sub.add_parser(
        "set",
        help="set a level for a scope: thread:ID, contact:ADDRESS, domain:NAME, folder:NAME or default",
        description="set a level for a scope: thread:ID, contact:ADDRESS, domain:NAME, folder:NAME or default",
    )
    a.add_argument("scope", help="thread:ID, contact:ADDRESS, domain:NAME, folder:NAME or default")
    a.add_argument("level", choices=config.AUTONOMY_LEVELS)
    a.set_defaults(handler=cmd_autonomy)
    p = command("dismiss", cmd_dismiss, "stop following up a thread for good")
    p.add_argument("thread", help="sequence number or thread id from `inbox-agent threads`")
    p = command("audit", cmd_audit, "show the audit log, or verify its hash chain")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument(
        "--verify",
        action="store_true",
        help="check the hash chain; exit 5 if a row was edited, deleted or reordered",
    )
    p.add_argument("--since", metavar="ISO8601", help="only rows at or after this time")
    p.add_argument("--thread", type=int, metavar="ID", help="only rows about this sequence")
    p = command(
        "voice",
        cmd_voice,
        "show the style profile learned from your sent mail, and where each trait came from",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument(
        "--refresh",
        action="store_true",
        help="learn it again now from the newest 200 messages in Sent",
    )
    p = command(
        "demo",
        cmd_demo,
        "run against an embedded mail server with a sample mailbox (no account needed)",
        account=False,
    )
    p.add_argument(
        "--keep-running",
        action="store_true",
        help="keep the servers up so a mail client can look at the drafts",
    )
    p = command("config", cmd_config_validate, "check the config files", account=False)
    config_sub = p.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    v = config_sub.add_parser(
        "validate",
        help="read every config file and check that each account's secret is in the keyring "
        "(no network); exit 2 on any problem",
        description="read every config file and check that each account's secret is in the "
        "keyring (no network); exit 2 on any problem",
    )
    v.add_argument("--json", action="store_true", help="print JSON")
    v.set_defaults(handler=cmd_config_validate)
    return parser


def handle_error(exc: BaseException) -> int:
    """The one place that turns an error into a message and an exit code."""
    if isinstance(exc, UserError):
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    if isinstance(exc, SafetyStop):
        print(f"refused: {exc}", file=sys.stderr)
        return SafetyStop.exit_code
    if isinstance(exc, KeyboardInterrupt):
        return 130
    log.exception("unexpected error")
    print(f"error: {exc.__class__.__name__}: {exc} (run with -v for details)", file=sys.stderr)
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    handler: Handler = args.handler
    try:
        return handler(args)
    except (UserError, SafetyStop, KeyboardInterrupt) as exc:
        return handle_error(exc)
    except Exception as exc:  # the last line of defence; details go to the log
        return handle_error(exc)


if __name__ == "__main__":
    raise SystemExit(main())
