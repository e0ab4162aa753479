"""The configuration as the rest of the program sees it: frozen records, checked once at load.

`load.py` builds these from the TOML files and rejects what it cannot honour; everything else reads
them and never touches a file. The constants name the values a key may take.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

from inbox_agent.cadence import Cadence, Gap, parse_gap
from inbox_agent.config import providers
from inbox_agent.window import SendPolicy

AUTONOMY_LEVELS = ("manual", "copilot", "autopilot")
SECURITY_MODES = ("tls", "starttls", "none")
AUTH_METHODS = ("password", "oauth2")
DEFAULT_GAPS = ("3bd", "5bd", "7bd")


@dataclass(frozen=True)
class ServerConfig:
    host: str
    port: int
    security: str
    username: str


@dataclass(frozen=True)
class OAuthConfig:
    """`[oauth]`: the user's own client ID, and the authorization server (the provider preset's,
    with the tenant filled in and any URL the file overrides)."""

    client_id: str
    server: providers.OAuthEndpoints


@dataclass(frozen=True)
class AutonomyConfig:
    default: str = "manual"
    contacts: Mapping[str, str] = field(default_factory=dict)
    domains: Mapping[str, str] = field(default_factory=dict)
    folders: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SendingConfig:
    """When Autopilot may send: `[sending]` in the account file."""

    window: tuple[time, time] = (time(9, 0), time(17, 0))
    timezone: str = ""  # IANA name; "" means this computer's zone
    holidays: str = ""  # a country (and subdivision) code for the `holidays` library: "US", "DE-BY"
    undo: Gap = Gap(10, "m")
    spacing: Gap = Gap(2, "m")
    max_per_hour: int = 10
    max_per_day: int = 50

    def policy(self) -> SendPolicy:
        zone: tzinfo = (
            ZoneInfo(self.timezone)
            if self.timezone
            else (datetime.now().astimezone().tzinfo or UTC)
        )
        return SendPolicy(
            start=self.window[0],
            end=self.window[1],
            zone=zone,
            is_holiday=holiday_checker(self.holidays),
            undo=self.undo.span(),
            spacing=self.spacing.span(),
            per_hour=self.max_per_hour,
            per_day=self.max_per_day,
        )


def holiday_checker(code: str) -> Callable[[date], bool]:
    """Whether a day is a public holiday in the `holidays` library's country (and subdivision)
    `code`; raises what that library raises for an unknown code."""
    if not code:
        return lambda _day: False
    import holidays  # only accounts that name a country need it

    country, _, subdivision = code.partition("-")
    calendar = holidays.country_holidays(country, subdiv=subdivision or None)
    return lambda day: day in calendar


UNSURE_CHOICES = ("skip", "draft")


@dataclass(frozen=True)
class TrackingConfig:
    """`[tracking]`: what to do with a message whose words leave it open whether it asked for an
    answer (`unsure`: "skip" lists it for you to decide, "draft" follows it up), and the people
    and domains (`never`: "mum@example.com", "@family.org") never to follow up with."""

    unsure: str = "skip"
    never: tuple[str, ...] = ()
    ask_llm: bool = True  # where an LLM is configured, ask it about the unsure ones (only those)


@dataclass(frozen=True)
class CadenceConfig:
    touches: int = 3
    gaps: tuple[Gap, ...] = tuple(parse_gap(g) for g in DEFAULT_GAPS)
    lookback: Gap = Gap(14, "d")
    quote: bool = True  # the nudge quotes the message it follows up

    @property
    def cadence(self) -> Cadence:
        return Cadence(self.touches, self.gaps)


@dataclass(frozen=True)
class Account:
    name: str
    path: Path
    email: str
    display_name: str
    aliases: tuple[str, ...]
    imap: ServerConfig
    smtp: ServerConfig
    autonomy: AutonomyConfig
    cadence: CadenceConfig
    folders: tuple[str, ...] = ()
    sent_folder: str = ""  # names the Sent folder where SPECIAL-USE and the usual names fail
    drafts_folder: str = ""
    smtp_saves_sent: bool = False
    sending: SendingConfig = SendingConfig()
    tracking: TrackingConfig = TrackingConfig()
    provider: str = "generic"  # a key of providers.PRESETS
    auth: str = "password"  # or "oauth2": the keyring holds a token set, not a password
    oauth: OAuthConfig | None = None
    learn_from_edits: bool = True  # [voice] learn_from_edits, the global setting unless set here

    @property
    def preset(self) -> providers.Preset:
        return providers.get(self.provider)

    @property
    def addresses(self) -> frozenset[str]:
        """Every address that is the user: the account's email and its aliases, lower-cased."""
        return frozenset(a.lower() for a in (self.email, *self.aliases))

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2].lower()


@dataclass(frozen=True)
class LlmConfig:
    base_url: str = ""
    model: str = ""
    timeout_s: float = 30.0
    max_prompt_tokens: int = 3000

    @property
    def enabled(self) -> bool:
        return bool(self.base_url and self.model)


@dataclass(frozen=True)
class Settings:
    """The global file: the LLM endpoint, the poll interval, and cadence defaults for accounts."""

    path: Path
    llm: LlmConfig = LlmConfig()
    poll_interval: Gap = Gap(5, "m")
    cadence: CadenceConfig = CadenceConfig()
    learn_from_edits: bool = True  # [voice]: learn the user's voice from their edits of nudges
