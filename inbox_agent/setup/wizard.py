"""`inbox-agent init`: the first account, asked for at a terminal or given as flags by a script.

The steps, in order: the email address; the provider preset (from the domain, or named); the
servers (only for a provider without a preset); the account name; how to sign in (a password or
app password, or OAuth with the user's own client ID, by browser or device code); the autonomy
default; the LLM endpoint (or none: offline drafts). Nothing is written until every answer is in
and the sign-in worked; then the account file, the keyring entry and the `[llm]` table of the
global file are written, and `check` runs.

`init --oauth --account NAME` on an existing OAuth account only signs in again (after a revoked
token) and leaves the file alone.

The questions are `questions.py`; who answers them (a person or a script's flags) is
`console.py`. This module asks them in order and writes what they gave.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import tomllib
from pathlib import Path

from inbox_agent import config, paths
from inbox_agent.config import providers, secrets
from inbox_agent.config.render import toml_string
from inbox_agent.errors import ConfigError, UserError
from inbox_agent.setup import check
from inbox_agent.setup.console import Console
from inbox_agent.setup.questions import (
    LlmChoice,
    ask_auth,
    ask_autonomy,
    ask_client_id,
    ask_email,
    ask_llm,
    ask_name,
    ask_password,
    ask_preset,
    ask_server,
    oauth_overrides,
    sign_in,
)


def _probe(name: str, text: str) -> config.Account:
    """Read an account file's text the way `load_account` will, before anything is written."""
    with tempfile.TemporaryDirectory(prefix="inbox-agent-init-") as scratch:
        path = Path(scratch) / f"{name}.toml"
        path.write_text(text, encoding="utf-8")
        try:
            return config.load_account(path, config.load_settings())
        except ConfigError as exc:
            raise UserError(
                f"these answers do not make a usable account: {exc.message}", exc.fix
            ) from None


def write_llm(path: Path, choice: LlmChoice) -> None:
    """Replace the `[llm]` table of the global file (keeping its other keys and tables)."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    old = tomllib.loads(text).get("llm", {}) if text else {}
    kept = {k: v for k, v in old.items() if k not in ("base_url", "model")}
    lines, skipping = [], False
    for line in text.splitlines():
        header = re.match(r"^\s*\[([^\]]+)\]", line)
        if header:
            skipping = header.group(1).strip() == "llm"
        if not skipping:
            lines.append(line)
    body = "\n".join(lines).rstrip()
    if choice.base_url:
        q = toml_string
        table = f"[llm]\nbase_url = {q(choice.base_url)}\nmodel = {q(choice.model)}\n"
        table += "".join(f"{k} = {q(v) if isinstance(v, str) else v}\n" for k, v in kept.items())
        body = f"{table}\n{body}" if body else table
    paths.private_file(path)
    path.write_text(body.rstrip() + "\n" if body else "", encoding="utf-8")
    config.load_settings(path)  # what we wrote must read back


def run(args: argparse.Namespace, console: Console) -> int:
    secrets.get_secret(args.name or "init", "imap")  # no usable keyring: say so before asking
    existing = paths.accounts_dir() / f"{args.name}.toml" if args.name else None
    if args.oauth and existing is not None and existing.exists() and not args.force:
        return _sign_in_again(args, existing, console)
    email = ask_email(args, console)
    display_name = args.display_name or (
        console.ask("Your name, as recipients should see it", "") if console.interactive else ""
    )
    preset = ask_preset(args, email, console)
    domain = email.rpartition("@")[2]
    imap = ask_server(args, console, "imap", preset.imap, domain, preset.imap_login(email))
    smtp = ask_server(args, console, "smtp", preset.smtp, domain, email)
    name = ask_name(args, email, console)
    path = paths.accounts_dir() / f"{name}.toml"
    replace = console.interactive and path.exists() and not args.force
    if replace and console.ask(f"{path} exists. Replace it? (y/n)", "n").lower().startswith("y"):
        args.force = True
    if path.exists() and not args.force:
        raise UserError(
            f"{path} already exists", "pass --force to replace it, or choose another --name"
        )
    auth = ask_auth(args, preset, console)
    client_id = ask_client_id(args, preset, console) if auth == providers.OAUTH2 else ""

    def account_text(autonomy: str) -> str:
        return config.render_account(
            email=email,
            display_name=display_name,
            imap=imap,
            smtp=smtp,
            autonomy=autonomy,
            smtp_saves_sent=preset.saves_sent,
            provider=preset.key,
            oauth_client_id=client_id,
            oauth_overrides=oauth_overrides(args),
        )

    account = _probe(name, account_text("manual"))
    secret = (
        sign_in(args, account, console).to_secret()
        if account.auth == providers.OAUTH2
        else ask_password(args, preset, email, console)
    )
    autonomy = ask_autonomy(args, console)
    llm = ask_llm(args, console)
    if secret:  # first: a keyring that refuses leaves no account file without its secret
        secrets.set_secret(name, "imap", secret)
    paths.private_file(path)
    path.write_text(account_text(autonomy), encoding="utf-8")
    account = config.load_account(path, config.load_settings())
    console.say(f"wrote {path}")
    if secret:
        what = "sign-in" if client_id else "password"
        console.say(f"stored the {what} in the keyring ({secrets.SERVICE}: {name}:imap)")
    if llm.change and (llm.base_url or paths.global_config_file().exists()):
        write_llm(paths.global_config_file(), llm)
        if llm.api_key:
            secrets.set_secret(name, "llm", llm.api_key)
        console.say(
            f"LLM: {llm.base_url} ({llm.model}), in {paths.global_config_file()}"
            if llm.base_url
            else "LLM: none, nudges are written offline"
        )
    if not secret:
        console.say(
            f"next: `inbox-agent secret set {name} imap`, then `inbox-agent check --account {name}`"
        )
        return 0
    return _check(args, account, console)


def _sign_in_again(args: argparse.Namespace, path: Path, console: Console) -> int:
    account = config.load_account(path, config.load_settings())
    if account.auth != providers.OAUTH2 or account.oauth is None:
        raise UserError(
            f"{path} signs in with a password, not OAuth",
            f"store a new password with `inbox-agent secret set {account.name} imap`, or "
            "pass --force to replace the account",
        )
    console.say(f"Signing in again for {account.email} ({account.oauth.server.name}).")
    tokens = sign_in(args, account, console, again=True)
    secrets.set_secret(account.name, "imap", tokens.to_secret())
    path.touch()  # a daemon that held back after the refused sign-in tries again
    console.say(f"stored the new sign-in in the keyring ({secrets.SERVICE}: {account.name}:imap)")
    return _check(args, account, console)


def _check(args: argparse.Namespace, account: config.Account, console: Console) -> int:
    if args.no_check:
        console.say(f"next: `inbox-agent check --account {account.name}`")
        return 0
    console.say("checking (logs in to IMAP and SMTP, sends nothing):")
    findings = check.run([account], config.load_settings())
    check.show(findings, several=False)
    code = check.exit_code(findings)
    if code:
        console.say(
            f"the account is saved; fix the problem above, then run `inbox-agent check --account {account.name}`"
        )
    else:
        console.say(
            "ready. Next: `inbox-agent sync --once`, `inbox-agent threads --awaiting`, then `inbox-agent run`"
        )
    return code
