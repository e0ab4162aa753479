"""`inbox-agent init`: the first account, asked for at a terminal or given as flags by a script.

The steps, in order: the email address; the provider preset (from the domain, or named); the
servers (only for a provider without a preset); the account name; how to sign in (a password or
app password, or OAuth with the user's own client ID, by browser or device code); the autonomy
default; the LLM endpoint (or none: offline drafts). Nothing is written until every answer is in
and the sign-in worked; then the account file, the keyring entry and the `[llm]` table of the
global file are written, and `check` runs.

`init --oauth --account NAME` on an existing OAuth account only signs in again (after a revoked
token) and leaves the file alone.

A `Console` is the seam: `Terminal` asks a person, `Script` takes only flags and says which flag
is missing. Flags always win; at a terminal, only what the flags left open is asked.
"""

from __future__ import annotations

import argparse
import getpass
import re
import sys
import tempfile
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from inbox_agent import config, paths
from inbox_agent.config import providers, secrets
from inbox_agent.config.render import toml_string
from inbox_agent.errors import ConfigError, UserError
from inbox_agent.setup import check
from inbox_agent.sync import oauth

AUTONOMY_HELP = {
    "manual": "nudges are saved to your Drafts folder; you send them yourself",
    "copilot": "nudges are saved to Drafts and wait for your approval (tray or `inbox-agent approve`)",
    "autopilot": "nudges are sent on their own inside your send window, after a 10-minute undo window",
}
AUTH_HELP = {
    providers.OAUTH2: "OAuth: sign in with {oauth} in a browser; needs your own client ID "
    "(README: OAuth client IDs)",
    providers.APP_PASSWORD: "app password: a password made for this app in your account's "
    "security settings",
    providers.PASSWORD: "password: your mailbox password",
}


class Console(Protocol):
    interactive: bool

    def ask(self, prompt: str, default: str = "", flag: str = "") -> str: ...

    def secret(self, prompt: str, flag: str = "") -> str: ...

    def say(self, text: str) -> None: ...


class Terminal:
    """A person at a terminal: prompts on stdout, answers from stdin, secrets unechoed."""

    interactive = True

    def ask(self, prompt: str, default: str = "", flag: str = "") -> str:
        answer = input(f"{prompt}{f' [{default}]' if default else ''}: ").strip()
        return answer or default

    def secret(self, prompt: str, flag: str = "") -> str:
        return getpass.getpass(f"{prompt}: ")

    def say(self, text: str) -> None:
        print(text, flush=True)


class Script:
    """No terminal: every answer comes from a flag or a default."""

    interactive = False

    def ask(self, prompt: str, default: str = "", flag: str = "") -> str:
        if default:
            return default
        raise UserError(
            f"{prompt} is needed", f"pass {flag or 'it as a flag'} (see `inbox-agent init --help`)"
        )

    def secret(self, prompt: str, flag: str = "") -> str:
        raise UserError(
            f"{prompt} is needed", f"pass {flag or 'it as a flag'} and pipe it on standard input"
        )

    def say(self, text: str) -> None:
        print(text, flush=True)


def console_for(args: argparse.Namespace) -> Console:
    return Terminal() if sys.stdin.isatty() and not args.non_interactive else Script()


# -- the steps -------------------------------------------------------------------------------------


def _until(console: Console, ask: Callable[[], str], valid: Callable[[str], str]) -> str:
    """Ask until `valid` accepts (it returns "" or a complaint); a script gets one try."""
    for _ in range(5 if console.interactive else 1):
        answer = ask()
        problem = valid(answer)
        if not problem:
            return answer
        if not console.interactive:
            raise UserError(problem, "see `inbox-agent init --help`")
        console.say(f"  {problem}")
    raise UserError("no usable answer after five tries", "run `inbox-agent init` again")


def _email(args: argparse.Namespace, console: Console) -> str:
    def valid(text: str) -> str:
        return (
            ""
            if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text)
            else f"{text!r} is not an email address"
        )

    if args.email:
        problem = valid(args.email)
        if problem:
            raise UserError(problem, "pass --email you@example.com")
        return str(args.email).strip()
    return _until(console, lambda: console.ask("Email address", flag="--email"), valid).strip()


def _preset(args: argparse.Namespace, email: str, console: Console) -> providers.Preset:
    if args.provider:
        return providers.get(args.provider)
    found = providers.for_email(email)
    if not console.interactive:
        return found
    choices = ", ".join(providers.keys())
    console.say(
        f"Provider: {found.name if found is not providers.GENERIC else 'none recognised (generic IMAP)'}. "
        f"A company address at Google or Microsoft needs gmail or microsoft365 here."
    )
    answer = _until(
        console,
        lambda: console.ask(f"Provider ({choices})", found.key),
        lambda a: "" if a in set(providers.keys()) else f"{a!r} is not one of: {choices}",
    )
    return providers.get(answer)


def _security_of(port: int) -> str:
    return {993: "tls", 465: "tls", 143: "starttls", 587: "starttls", 25: "starttls"}.get(port, "")


def _server(
    args: argparse.Namespace,
    console: Console,
    kind: str,
    preset: providers.Endpoint | None,
    domain: str,
    username: str,
) -> config.ServerConfig:
    """One server: the preset's, with any flag overriding it; asked for when there is no preset."""
    host_flag, port_flag = getattr(args, f"{kind}_host"), getattr(args, f"{kind}_port")
    security_flag = (args.smtp_security if kind == "smtp" else None) or args.security
    default_port = {"imap": 993, "smtp": 465}[kind]
    if preset is not None:
        host = host_flag or preset.host
        security = security_flag or preset.security
        same = (host, security) == (preset.host, preset.security)
        port = port_flag or (preset.port if same else _default_port(kind, security))
        return config.ServerConfig(host, port, security, args.username or username)
    label = kind.upper()
    host = host_flag or console.ask(f"{label} server", f"{kind}.{domain}", f"--{kind}-host")
    if port_flag:
        port = port_flag
    elif security_flag:
        port = _default_port(kind, security_flag)
    else:
        hint = " (993 = TLS, 143 = STARTTLS)" if kind == "imap" else " (465 = TLS, 587 = STARTTLS)"
        port = int(
            _until(
                console,
                lambda: console.ask(f"{label} port{hint}", str(default_port)),
                lambda a: (
                    "" if a.isdigit() and 0 < int(a) < 65536 else f"{a!r} is not a port number"
                ),
            )
        )
    security = security_flag or _security_of(port)
    if not security:
        security = _until(
            console,
            lambda: console.ask(
                f"{label} security on port {port} (tls, starttls, none)", "tls", "--security"
            ),
            lambda a: (
                ""
                if a in config.SECURITY_MODES
                else f"use one of: {', '.join(config.SECURITY_MODES)}"
            ),
        )
    return config.ServerConfig(host, port, security, args.username or username)


def _default_port(kind: str, security: str) -> int:
    return {"imap": {"tls": 993}, "smtp": {"tls": 465}}[kind].get(
        security, 143 if kind == "imap" else 587
    )


def _name(args: argparse.Namespace, email: str, console: Console) -> str:
    suggested = re.sub(r"[^a-z0-9_.-]+", "-", email.partition("@")[0].lower()).strip("-.") or "main"
    if args.name:
        return str(args.name)
    return _until(
        console,
        lambda: console.ask("Account name (the file accounts/NAME.toml)", suggested),
        lambda a: (
            ""
            if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", a)
            else "use letters, digits, '.', '-' or '_'"
        ),
    )


def _auth(args: argparse.Namespace, preset: providers.Preset, console: Console) -> str:
    custom_oauth = bool(args.oauth_token_url)
    if args.oauth:
        if not (preset.oauth or custom_oauth):
            raise UserError(
                f"{preset.name} has no OAuth sign-in that inbox-agent knows",
                "leave out --oauth and use an app password (--password-stdin, or at the prompt)",
            )
        return providers.OAUTH2
    offered = [a for a in preset.auth if a != providers.OAUTH2 or preset.oauth or custom_oauth]
    if custom_oauth and providers.OAUTH2 not in offered:
        offered.insert(0, providers.OAUTH2)
    if args.password_stdin or len(offered) == 1 or not console.interactive:
        if args.password_stdin and offered == [providers.OAUTH2]:
            raise UserError(
                f"{preset.name} does not accept passwords any more",
                "leave out --password-stdin and pass --oauth --client-id ID",
            )
        return providers.PASSWORD if args.password_stdin else offered[0]
    server = preset.oauth_server.name if preset.oauth_server else "your provider"
    console.say(f"How should inbox-agent sign in to {preset.name}?")
    for number, method in enumerate(offered, 1):
        console.say(f"  {number}. {AUTH_HELP[method].format(oauth=server)}")
    answer = _until(
        console,
        lambda: console.ask("Choose", "1"),
        lambda a: (
            ""
            if a.isdigit() and 1 <= int(a) <= len(offered)
            else f"type a number from 1 to {len(offered)}"
        ),
    )
    return offered[int(answer) - 1]


def _oauth_overrides(args: argparse.Namespace) -> dict[str, str]:
    pairs = {
        "tenant": args.tenant,
        "authorize_url": args.oauth_authorize_url,
        "token_url": args.oauth_token_url,
        "device_url": args.oauth_device_url,
    }
    return {k: v for k, v in pairs.items() if v}


def _client_id(args: argparse.Namespace, preset: providers.Preset, console: Console) -> str:
    if args.client_id:
        return str(args.client_id)
    server = preset.oauth_server
    if server and console.interactive:
        console.say(
            f"inbox-agent signs in with your own {server.name} OAuth client (the README's "
            f"'OAuth client IDs' says how to make one in a few minutes: {server.console_url})."
        )
    return _until(
        console,
        lambda: console.ask("OAuth client ID", flag="--client-id"),
        lambda a: "" if a.strip() else "the client ID is needed",
    ).strip()


def _client_secret(
    args: argparse.Namespace, account: config.Account, console: Console, again: bool
) -> str:
    assert account.oauth is not None
    if args.client_secret_stdin:
        return sys.stdin.readline().strip()
    stored = secrets.get_secret(account.name, "imap") if again else None
    if stored:  # signing in again with the same client: keep the secret of the last sign-in
        try:
            return oauth.TokenSet.from_secret(stored).client_secret
        except ValueError:
            pass
    if not account.oauth.server.client_secret:
        return ""
    return console.secret(
        "OAuth client secret (shown next to the client ID; kept in the keyring)",
        "--client-secret-stdin",
    ).strip()


def _sign_in(
    args: argparse.Namespace, account: config.Account, console: Console, again: bool = False
) -> oauth.TokenSet:
    assert account.oauth is not None
    client_secret = _client_secret(args, account, console, again)
    server = account.oauth.server
    device = args.device
    if not device and console.interactive and server.device_url and server.authorize_url:
        device = (
            console.ask("Is there a web browser on this computer? (y/n)", "y")
            .lower()
            .startswith("n")
        )
    if device:
        tokens = oauth.sign_in_device(account.oauth, client_secret, console.say)
    else:
        tokens = oauth.sign_in_browser(account.oauth, account.email, client_secret, console.say)
    console.say(f"signed in with {server.name}")
    return tokens


def _password(
    args: argparse.Namespace, preset: providers.Preset, email: str, console: Console
) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not console.interactive:
        return ""  # stored later with `inbox-agent secret set`
    kind = "App password" if providers.APP_PASSWORD in preset.auth else "Password"
    where = f" (make one at {preset.app_password_url})" if preset.app_password_url else ""
    return _until(
        console,
        lambda: console.secret(f"{kind} for {email}{where}; it goes into the keyring"),
        lambda a: "" if a else "the password is empty",
    )


def _autonomy(args: argparse.Namespace, console: Console) -> str:
    if args.autonomy:
        return str(args.autonomy)
    if not console.interactive:
        return "manual"
    console.say(
        "What should happen to a nudge by default? (per contact or domain: later, with `inbox-agent autonomy set`)"
    )
    for level, text in AUTONOMY_HELP.items():
        console.say(f"  {level:<9}  {text}")
    return _until(
        console,
        lambda: console.ask("Default autonomy", "manual"),
        lambda a: (
            ""
            if a in config.AUTONOMY_LEVELS
            else f"use one of: {', '.join(config.AUTONOMY_LEVELS)}"
        ),
    )


@dataclass(frozen=True)
class LlmChoice:
    change: bool
    base_url: str = ""
    model: str = ""
    api_key: str = ""


def _llm(args: argparse.Namespace, console: Console) -> LlmChoice:
    if args.no_llm:
        return LlmChoice(True)
    if args.llm_base_url or args.llm_model:
        if not (args.llm_base_url and args.llm_model):
            raise UserError("--llm-base-url and --llm-model go together", "pass both, or --no-llm")
        return LlmChoice(True, args.llm_base_url, args.llm_model)
    if not console.interactive:
        return LlmChoice(False)
    current = config.load_settings().llm
    console.say(
        "Nudges can be written by any OpenAI-compatible endpoint (a local Ollama at "
        "http://localhost:11434/v1 keeps everything on this computer), or offline from a template."
    )
    url = console.ask("LLM base URL, or 'none' for offline drafts", current.base_url or "none")
    if url.lower() in ("none", "offline", ""):
        return LlmChoice(True)
    model = _until(
        console,
        lambda: console.ask("Model name", current.model),
        lambda a: "" if a else "a model name is needed (e.g. llama3.1)",
    )
    key = console.secret("API key (Enter if the endpoint needs none; it goes into the keyring)")
    return LlmChoice(True, url, model, key.strip())


# -- writing ---------------------------------------------------------------------------------------


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
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body.rstrip() + "\n" if body else "", encoding="utf-8")
    config.load_settings(path)  # what we wrote must read back


def run(args: argparse.Namespace, console: Console) -> int:
    secrets.get_secret(args.name or "init", "imap")  # no usable keyring: say so before asking
    existing = paths.accounts_dir() / f"{args.name}.toml" if args.name else None
    if args.oauth and existing is not None and existing.exists() and not args.force:
        return _sign_in_again(args, existing, console)
    email = _email(args, console)
    display_name = args.display_name or (
        console.ask("Your name, as recipients should see it", "") if console.interactive else ""
    )
    preset = _preset(args, email, console)
    domain = email.rpartition("@")[2]
    imap = _server(args, console, "imap", preset.imap, domain, preset.imap_login(email))
    smtp = _server(args, console, "smtp", preset.smtp, domain, email)
    name = _name(args, email, console)
    path = paths.accounts_dir() / f"{name}.toml"
    replace = console.interactive and path.exists() and not args.force
    if replace and console.ask(f"{path} exists. Replace it? (y/n)", "n").lower().startswith("y"):
        args.force = True
    if path.exists() and not args.force:
        raise UserError(
            f"{path} already exists", "pass --force to replace it, or choose another --name"
        )
    auth = _auth(args, preset, console)
    client_id = _client_id(args, preset, console) if auth == providers.OAUTH2 else ""

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
            oauth_overrides=_oauth_overrides(args),
        )

    account = _probe(name, account_text("manual"))
    secret = (
        _sign_in(args, account, console).to_secret()
        if account.auth == providers.OAUTH2
        else _password(args, preset, email, console)
    )
    autonomy = _autonomy(args, console)
    llm = _llm(args, console)
    if secret:  # first: a keyring that refuses leaves no account file without its secret
        secrets.set_secret(name, "imap", secret)
    path.parent.mkdir(parents=True, exist_ok=True)
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
    tokens = _sign_in(args, account, console, again=True)
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
