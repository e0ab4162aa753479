"""Config files: `inbox-agent.toml` (global) and one `accounts/<name>.toml` per account.

Reads and validates the TOML into the records of `model.py`. Every error names the file, the key and
the fix. Secrets never live here: passwords and API keys are in the OS keyring (see `secrets.py`).
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from datetime import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from inbox_agent import paths
from inbox_agent.cadence import Gap, parse_gap
from inbox_agent.config import providers
from inbox_agent.config.model import (
    AUTH_METHODS,
    AUTONOMY_LEVELS,
    SECURITY_MODES,
    UNSURE_CHOICES,
    Account,
    AutonomyConfig,
    CadenceConfig,
    LlmConfig,
    OAuthConfig,
    SendingConfig,
    ServerConfig,
    Settings,
    TrackingConfig,
    holiday_checker,
)
from inbox_agent.errors import ConfigError, UserError

_ACCOUNT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


class _Table:
    """A TOML table that knows its file and key path, so every complaint can name both."""

    def __init__(self, path: Path, data: Mapping[str, Any], prefix: str = "") -> None:
        self.path, self.data, self.prefix = path, data, prefix

    def key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def fail(self, name: str, problem: str, fix: str) -> ConfigError:
        return ConfigError(self.path, self.key(name), problem, fix)

    def table(self, name: str, required: bool = False) -> _Table:
        value = self.data.get(name)
        if value is None:
            if required:
                raise self.fail(
                    name, "this section is missing", f"add a [{self.key(name)}] section"
                )
            value = {}
        if not isinstance(value, dict):
            raise self.fail(name, "must be a table", f"write it as [{self.key(name)}]")
        return _Table(self.path, value, f"{self.key(name)}.")

    def text(self, name: str, default: str | None = None, choices: tuple[str, ...] = ()) -> str:
        value = self.data.get(name, default)
        if value is None:
            raise self.fail(name, "is missing", f'add {name} = "..."')
        if not isinstance(value, str):
            raise self.fail(name, f"must be a string, not {value!r}", f'write {name} = "..."')
        if choices and value not in choices:
            raise self.fail(name, f"is {value!r}", f"use one of: {', '.join(choices)}")
        return value

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        value = self.data.get(name, default)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise self.fail(name, f"is {value!r}", f"use a whole number from {low} to {high}")
        return value

    def flag(self, name: str, default: bool) -> bool:
        value = self.data.get(name, default)
        if not isinstance(value, bool):
            raise self.fail(name, f"is {value!r}", "use true or false")
        return value

    def gap(self, name: str, default: Gap) -> Gap:
        value = self.data.get(name)
        if value is None:
            return default
        return self._parse_gap(name, value)

    def _parse_gap(self, name: str, value: object) -> Gap:
        try:
            return parse_gap(str(value))
        except ValueError:
            raise self.fail(
                name, f"{value!r} is not a duration", 'write e.g. "90s", "4h", "3d" or "2bd"'
            ) from None

    def str_list(self, name: str) -> tuple[str, ...]:
        value = self.data.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(name, "must be a list of strings", f'write {name} = ["..."]')
        return tuple(value)

    def mapping(self, name: str, choices: tuple[str, ...], lower: bool = True) -> dict[str, str]:
        value = self.data.get(name, {})
        if not isinstance(value, dict):
            raise self.fail(name, "must be a table", f'write {name} = {{ "x@y.com" = "copilot" }}')
        for k, v in value.items():
            if v not in choices:
                raise ConfigError(
                    self.path,
                    f"{self.key(name)}.{k}",
                    f"is {v!r}",
                    f"use one of: {', '.join(choices)}",
                )
        return {(str(k).lower() if lower else str(k)): str(v) for k, v in value.items()}

    def unknown_keys(self, known: set[str]) -> None:
        for name in self.data:
            if name not in known:
                raise self.fail(
                    name,
                    "is not a known key",
                    "remove it or check the spelling against config.example.toml",
                )


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(
            path,
            "",
            "file not found",
            "run `inbox-agent init` or create it from config.example.toml",
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            path, "", f"not valid TOML ({exc})", "fix the syntax at that line"
        ) from None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _server(
    table: _Table,
    default_port: dict[str, int],
    preset: providers.Endpoint | None,
    username: str,
) -> ServerConfig:
    host = table.text("host", preset.host if preset else None)
    security = table.text("security", preset.security if preset else "tls", SECURITY_MODES)
    if security == "none" and not _is_loopback(host):
        raise table.fail(
            "security",
            f'"none" would send your password in clear text to {host}',
            'use "tls" or "starttls"; "none" is only allowed for 127.0.0.1 and localhost',
        )
    same = preset is not None and (host, security) == (preset.host, preset.security)
    port = table.integer(
        "port", preset.port if same and preset else default_port[security], 1, 65535
    )
    return ServerConfig(host, port, security, table.text("username", username))


_OAUTH_URLS = ("authorize_url", "token_url", "device_url")


def _oauth(table: _Table, preset: providers.Preset) -> OAuthConfig:
    table.unknown_keys({"client_id", "tenant", "scopes", *_OAUTH_URLS})
    base = preset.oauth_server or providers.OAuthEndpoints(
        key="custom",
        name="the OAuth server",
        authorize_url="",
        token_url="",
        device_url="",
        scopes=(),
        client_secret=False,
        redirect_host="127.0.0.1",
    )
    tenant = table.text("tenant", base.default_tenant)
    urls: dict[str, str] = {}
    for key in _OAUTH_URLS:
        url = table.text(key, getattr(base, key)).replace("{tenant}", tenant)
        if url and not (url.startswith("https://") or _is_loopback(urlsplit(url).hostname or "")):
            raise table.fail(key, f"{url!r} is not an https URL", 'write it as "https://..."')
        urls[key] = url
    if not urls["token_url"] or not (urls["authorize_url"] or urls["device_url"]):
        raise table.fail(
            "token_url",
            f"{preset.name} has no OAuth sign-in that inbox-agent knows",
            'give token_url and authorize_url, or use auth = "password" with an app password',
        )
    scopes = table.str_list("scopes") or base.scopes
    return OAuthConfig(
        table.text("client_id"),
        replace(
            base,
            scopes=tuple(scopes),
            authorize_url=urls["authorize_url"],
            token_url=urls["token_url"],
            device_url=urls["device_url"],
        ),
    )


def _cadence(table: _Table, base: CadenceConfig) -> CadenceConfig:
    touches = table.integer("touches", base.touches, 1, 7)
    raw_gaps = table.data.get("gaps")
    gaps = base.gaps
    if raw_gaps is not None:
        if not isinstance(raw_gaps, list) or not raw_gaps:
            raise table.fail(
                "gaps", "must be a non-empty list", 'write gaps = ["3bd", "5bd", "7bd"]'
            )
        gaps = tuple(table._parse_gap("gaps", g) for g in raw_gaps)
    table.unknown_keys({"touches", "gaps", "lookback", "quote"})
    return CadenceConfig(
        touches, gaps, table.gap("lookback", base.lookback), table.flag("quote", base.quote)
    )


def load_settings(path: Path | None = None) -> Settings:
    """Read the global file; a missing file means every default."""
    path = path or paths.global_config_file()
    if not path.exists():
        return Settings(path)
    root = _Table(path, read_toml(path))
    root.unknown_keys({"llm", "daemon", "cadence", "voice"})
    llm = root.table("llm")
    llm.unknown_keys({"base_url", "model", "timeout", "max_prompt_tokens"})
    timeout = llm.gap("timeout", Gap(30, "s"))
    if timeout.unit not in ("s", "m"):
        raise llm.fail("timeout", f"{timeout} is too long", 'use seconds or minutes, e.g. "30s"')
    seconds = timeout.span().total_seconds()
    llm_config = LlmConfig(
        llm.text("base_url", ""),
        llm.text("model", ""),
        seconds,
        llm.integer("max_prompt_tokens", 3000, 500, 200_000),
    )
    daemon = root.table("daemon")
    daemon.unknown_keys({"poll_interval"})
    return Settings(
        path,
        llm_config,
        daemon.gap("poll_interval", Gap(5, "m")),
        _cadence(root.table("cadence"), CadenceConfig()),
        _learn_from_edits(root.table("voice"), True),
    )


def _learn_from_edits(table: _Table, default: bool) -> bool:
    table.unknown_keys({"learn_from_edits"})
    return table.flag("learn_from_edits", default)


def load_account(path: Path, settings: Settings) -> Account:
    name = path.stem
    if not _ACCOUNT_NAME.match(name):
        raise ConfigError(
            path,
            "",
            f"{name!r} is not a usable account name",
            "rename the file to letters, digits, '.', '-' or '_'",
        )
    root = _Table(path, read_toml(path))
    root.unknown_keys(
        {
            "email",
            "display_name",
            "aliases",
            "folders",
            "provider",
            "auth",
            "imap",
            "smtp",
            "oauth",
            "autonomy",
            "cadence",
            "sending",
            "tracking",
            "voice",
        }
    )
    email = root.text("email")
    if not _EMAIL.match(email):
        raise root.fail(
            "email", f"{email!r} is not an email address", 'write email = "you@example.com"'
        )
    preset = providers.get(root.text("provider", providers.for_email(email).key, providers.keys()))
    auth = root.text("auth", "password", AUTH_METHODS)
    if auth == "password" and providers.OAUTH2 in preset.auth and len(preset.auth) == 1:
        raise root.fail(
            "auth",
            f"{preset.name} no longer accepts passwords over IMAP and SMTP",
            f"run `inbox-agent init --oauth --account {name}` (see the README: OAuth client IDs)",
        )
    if auth == "oauth2" and "oauth" not in root.data:
        raise root.fail(
            "auth",
            '"oauth2" needs an [oauth] section with your client_id',
            f'run `inbox-agent init --oauth --account {name}`, or add [oauth] client_id = "..."',
        )
    imap_table, smtp_table = (
        root.table("imap", required=preset.imap is None),
        root.table("smtp", required=preset.smtp is None),
    )
    imap_table.unknown_keys(
        {"host", "port", "security", "username", "sent_folder", "drafts_folder"}
    )
    smtp_table.unknown_keys({"host", "port", "security", "username", "saves_sent"})
    autonomy = root.table("autonomy")
    autonomy.unknown_keys({"default", "contacts", "domains", "folders"})
    return Account(
        name=name,
        path=path,
        email=email.lower(),
        display_name=root.text("display_name", ""),
        aliases=tuple(a.lower() for a in root.str_list("aliases")),
        imap=_server(
            imap_table,
            {"tls": 993, "starttls": 143, "none": 143},
            preset.imap,
            preset.imap_login(email),
        ),
        smtp=_server(smtp_table, {"tls": 465, "starttls": 587, "none": 587}, preset.smtp, email),
        autonomy=AutonomyConfig(
            autonomy.text("default", "manual", AUTONOMY_LEVELS),
            autonomy.mapping("contacts", AUTONOMY_LEVELS),
            autonomy.mapping("domains", AUTONOMY_LEVELS),
            autonomy.mapping("folders", AUTONOMY_LEVELS, lower=False),
        ),
        cadence=_cadence(root.table("cadence"), settings.cadence),
        folders=root.str_list("folders"),
        sent_folder=imap_table.text("sent_folder", ""),
        drafts_folder=imap_table.text("drafts_folder", ""),
        smtp_saves_sent=smtp_table.flag("saves_sent", preset.saves_sent),
        sending=_sending(root.table("sending")),
        tracking=_tracking(root.table("tracking")),
        provider=preset.key,
        auth=auth,
        oauth=_oauth(root.table("oauth"), preset) if "oauth" in root.data else None,
        learn_from_edits=_learn_from_edits(root.table("voice"), settings.learn_from_edits),
    )


def _tracking(table: _Table) -> TrackingConfig:
    table.unknown_keys({"unsure", "never", "ask_llm"})
    never = tuple(a.strip().lower() for a in table.str_list("never"))
    for who in never:
        if not (_EMAIL.match(who) or re.match(r"^@[^@\s]+\.[^@\s]+$", who)):
            raise table.fail(
                "never",
                f"{who!r} is neither an address nor a domain",
                'write never = ["mum@example.com", "@family.org"]',
            )
    return TrackingConfig(
        table.text("unsure", "skip", UNSURE_CHOICES), never, table.flag("ask_llm", True)
    )


_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def _sending(table: _Table) -> SendingConfig:
    table.unknown_keys(
        {"window", "timezone", "holidays", "undo", "spacing", "max_per_hour", "max_per_day"}
    )
    base = SendingConfig()
    window = base.window
    raw = table.text("window", "09:00-17:00")
    match = _WINDOW.match(raw)
    if not match or not (0 <= int(match.group(1)) < 24 and 0 <= int(match.group(3)) <= 24):
        raise table.fail("window", f"{raw!r} is not a time range", 'write window = "09:00-17:00"')
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    window = (time(h1, m1), time(min(h2, 23), m2 if h2 < 24 else 59))
    if window[0] >= window[1]:
        raise table.fail("window", f"{raw!r} ends before it starts", 'write window = "09:00-17:00"')
    zone = table.text("timezone", "")
    if zone:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise table.fail(
                "timezone", f"{zone!r} is not a time zone", 'use an IANA name like "Europe/Berlin"'
            ) from None
    holidays = table.text("holidays", "")
    if holidays:
        try:
            holiday_checker(holidays)
        except (NotImplementedError, KeyError, ValueError):
            raise table.fail(
                "holidays",
                f"{holidays!r} is not a known country or region",
                'use a code like "US", "GB" or "DE-BY"',
            ) from None
    return SendingConfig(
        window=window,
        timezone=zone,
        holidays=holidays,
        undo=table.gap("undo", base.undo),
        spacing=table.gap("spacing", base.spacing),
        max_per_hour=table.integer("max_per_hour", 10, 1, 1000),
        max_per_day=table.integer("max_per_day", 50, 1, 10_000),
    )


def load_accounts(settings: Settings) -> list[Account]:
    directory = paths.accounts_dir()
    return [load_account(p, settings) for p in sorted(directory.glob("*.toml"))]


def pick_account(accounts: list[Account], name: str | None) -> Account:
    """The account `--account` names, or the only one there is."""
    if not accounts:
        raise UserError(
            f"no account is configured in {paths.accounts_dir()}",
            "run `inbox-agent init` or copy config.example.toml to accounts/<name>.toml",
        )
    if name is None:
        if len(accounts) > 1:
            names = ", ".join(a.name for a in accounts)
            raise UserError(
                f"there are several accounts ({names})", "say which with --account NAME"
            )
        return accounts[0]
    for account in accounts:
        if account.name == name:
            return account
    raise UserError(
        f"no account named {name!r}", f"use one of: {', '.join(a.name for a in accounts)}"
    )
