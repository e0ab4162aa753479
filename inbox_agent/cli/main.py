"""The `inbox-agent` command line: the parser, its subcommands and help texts, and dispatch.

This module only wires: each subcommand names its handler in `commands.py`, which does the work.
Imports of heavy modules (openai, pystray, the mail server) happen inside those handlers, so
`inbox-agent --help` is fast and works without a display. `handle_error` is the one place that
turns a domain error into a sentence and an exit code.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence

from inbox_agent import __version__, config
from inbox_agent.cli.commands import (
    cmd_approve,
    cmd_audit,
    cmd_autonomy,
    cmd_autostart,
    cmd_check,
    cmd_config_validate,
    cmd_demo,
    cmd_dismiss,
    cmd_follow_up,
    cmd_init,
    cmd_never,
    cmd_pause,
    cmd_queue,
    cmd_reject,
    cmd_run,
    cmd_secret,
    cmd_status,
    cmd_sync,
    cmd_threads,
    cmd_undo,
    cmd_voice,
)
from inbox_agent.errors import SafetyStop, UserError

log = logging.getLogger("inbox_agent")

Handler = Callable[[argparse.Namespace], int]


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
    p = command(
        "sync",
        cmd_sync,
        "fetch new message headers from IMAP into the local store, then the bodies that "
        "`threads` needs to decide (the user's own recent last messages, answers, bounces)",
    )
    p.add_argument("--once", action="store_true", help="sync once and exit (the default)")
    p.add_argument("--headers-only", action="store_true", help="fetch the headers and read no body")
    p = command("threads", cmd_threads, "list tracked threads and whether each awaits a reply")
    p.add_argument("--awaiting", action="store_true", help="only threads that await a reply now")
    p.add_argument(
        "--unsure",
        action="store_true",
        help="only threads whose last message may or may not ask for an answer: yours to decide",
    )
    p.add_argument("--all", action="store_true", help="every thread, tracked or not")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument(
        "--as-of",
        metavar="ISO8601",
        help="answer as if the clock read this time: the mail dated before it, and the "
        "followed threads as the audit log has them then",
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
    p = command(
        "follow-up", cmd_follow_up, "follow up a thread whatever its last message's words say"
    )
    p.add_argument("thread", help="thread id (or a Message-ID in it) from `inbox-agent threads`")
    p = command("never", cmd_never, "never follow up a thread, whatever its words say")
    p.add_argument("thread", help="thread id (or a Message-ID in it) from `inbox-agent threads`")
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
    p.add_argument(
        "--forget-edits",
        action="store_true",
        help="forget what was learned from your edits of nudges (the texts kept in the database)",
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
    # a second guard for what paths.private_* does not make (a log rotation, a temp file):
    # nothing this command creates is readable by others
    umask = os.umask(0o077)
    try:
        return handler(args)
    except (UserError, SafetyStop, KeyboardInterrupt) as exc:
        return handle_error(exc)
    except Exception as exc:  # the last line of defence; details go to the log
        return handle_error(exc)
    finally:
        os.umask(umask)


if __name__ == "__main__":
    raise SystemExit(main())
