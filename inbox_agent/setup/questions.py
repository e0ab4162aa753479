"""The questions of `inbox-agent init`, one function per answer: the email address, the provider
preset, the servers, the account name, how to sign in (and the sign-in itself), the password, the
autonomy default and the LLM endpoint. Flags always win; at a terminal, only what the flags left
open is asked. `wizard.py` asks them in order and writes the result.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass

from inbox_agent import config
from inbox_agent.config import providers, secrets
from inbox_agent.errors import UserError
from inbox_agent.setup.console import Console, until
from inbox_agent.sync import oauth, signin

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


def ask_email(args: argparse.Namespace, console: Console) -> str:
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
    return until(console, lambda: console.ask("Email address", flag="--email"), valid).strip()


def ask_preset(args: argparse.Namespace, email: str, console: Console) -> providers.Preset:
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
    answer = until(
        console,
        lambda: console.ask(f"Provider ({choices})", found.key),
        lambda a: "" if a in set(providers.keys()) else f"{a!r} is not one of: {choices}",
    )
    return providers.get(answer)


def _security_of(port: int) -> str:
    return {993: "tls", 465: "tls", 143: "starttls", 587: "starttls", 25: "starttls"}.get(port, "")


def ask_server(
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
            until(
                console,
                lambda: console.ask(f"{label} port{hint}", str(default_port)),
                lambda a: (
                    "" if a.isdigit() and 0 < int(a) < 65536 else f"{a!r} is not a port number"
                ),
            )
        )
    security = security_flag or _security_of(port)
    if not security:
        security = until(
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


def ask_name(args: argparse.Namespace, email: str, console: Console) -> str:
    suggested = re.sub(r"[^a-z0-9_.-]+", "-", email.partition("@")[0].lower()).strip("-.") or "main"
    if args.name:
        return str(args.name)
    return until(
        console,
        lambda: console.ask("Account name (the file accounts/NAME.toml)", suggested),
        lambda a: (
            ""
            if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", a)
            else "use letters, digits, '.', '-' or '_'"
        ),
    )


def ask_auth(args: argparse.Namespace, preset: providers.Preset, console: Console) -> str:
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
    answer = until(
        console,
        lambda: console.ask("Choose", "1"),
        lambda a: (
            ""
            if a.isdigit() and 1 <= int(a) <= len(offered)
            else f"type a number from 1 to {len(offered)}"
        ),
    )
    return offered[int(answer) - 1]


def oauth_overrides(args: argparse.Namespace) -> dict[str, str]:
    pairs = {
        "tenant": args.tenant,
        "authorize_url": args.oauth_authorize_url,
        "token_url": args.oauth_token_url,
        "device_url": args.oauth_device_url,
    }
    return {k: v for k, v in pairs.items() if v}


def ask_client_id(args: argparse.Namespace, preset: providers.Preset, console: Console) -> str:
    if args.client_id:
        return str(args.client_id)
    server = preset.oauth_server
    if server and console.interactive:
        console.say(
            f"inbox-agent signs in with your own {server.name} OAuth client (the README's "
            f"'OAuth client IDs' says how to make one in a few minutes: {server.console_url})."
        )
    return until(
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


def sign_in(
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
        tokens = signin.sign_in_device(account.oauth, client_secret, console.say)
    else:
        tokens = signin.sign_in_browser(account.oauth, account.email, client_secret, console.say)
    console.say(f"signed in with {server.name}")
    return tokens


def ask_password(
    args: argparse.Namespace, preset: providers.Preset, email: str, console: Console
) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not console.interactive:
        return ""  # stored later with `inbox-agent secret set`
    kind = "App password" if providers.APP_PASSWORD in preset.auth else "Password"
    where = f" (make one at {preset.app_password_url})" if preset.app_password_url else ""
    return until(
        console,
        lambda: console.secret(f"{kind} for {email}{where}; it goes into the keyring"),
        lambda a: "" if a else "the password is empty",
    )


def ask_autonomy(args: argparse.Namespace, console: Console) -> str:
    if args.autonomy:
        return str(args.autonomy)
    if not console.interactive:
        return "manual"
    console.say(
        "What should happen to a nudge by default? (per contact or domain: later, with `inbox-agent autonomy set`)"
    )
    for level, text in AUTONOMY_HELP.items():
        console.say(f"  {level:<9}  {text}")
    return until(
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


def ask_llm(args: argparse.Namespace, console: Console) -> LlmChoice:
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
    model = until(
        console,
        lambda: console.ask("Model name", current.model),
        lambda a: "" if a else "a model name is needed (e.g. llama3.1)",
    )
    key = console.secret("API key (Enter if the endpoint needs none; it goes into the keyring)")
    return LlmChoice(True, url, model, key.strip())
