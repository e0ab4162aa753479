"""Provider presets, as data: where each big mailbox provider's servers are and how they behave.

A preset fills in what a person should not have to look up (hosts, ports, security, the login
name), and records the quirks that change what inbox-agent does or says: the folder names to try
when the server does not flag its special folders (RFC 6154 SPECIAL-USE), whether the server files
a Sent copy of what SMTP submitted, whether it rewrites Message-IDs, whether it has thread ids
(Gmail's X-GM-THRID) and CONDSTORE, and how many connections it allows. Code reads these fields;
it never asks "is this Gmail?".

The preset is picked from the email domain (`for_email`) and can be named in the account file
(`provider = "gmail"`), which is how a Google Workspace or Microsoft 365 address at a company
domain gets its preset. Every value can still be overridden in `[imap]` and `[smtp]`.

Sources (checked 2026): Gmail IMAP extensions and XOAUTH2 pages on developers.google.com;
Microsoft's "Authenticate an IMAP, POP or SMTP connection using OAuth" and "POP, IMAP, and SMTP
settings for Outlook.com"; Apple's iCloud Mail server settings; Fastmail's "Server names and
ports"; public capability captures collected in shared/notes/commercial-peers.md §2.4-2.7.
Values marked "unverified" below come from secondary sources only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

PASSWORD, APP_PASSWORD, OAUTH2 = "password", "app_password", "oauth2"


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    security: str  # "tls" (implicit TLS), "starttls" or "none"


@dataclass(frozen=True)
class OAuthEndpoints:
    """An OAuth 2.0 authorization server for IMAP/SMTP XOAUTH2 (the user brings the client ID).

    `{tenant}` in a URL is replaced by the account's `[oauth] tenant` (Microsoft only)."""

    key: str
    name: str
    authorize_url: str
    token_url: str
    device_url: str  # "" when the provider's device flow does not allow the mail scope
    scopes: tuple[str, ...]
    # Google's "Desktop app" clients come with a secret the token endpoint insists on (Google
    # says it is not treated as confidential); Microsoft's public clients must send none.
    client_secret: bool
    # Where the browser is sent back to: Google accepts any loopback port on 127.0.0.1 without
    # registration; Microsoft matches `http://localhost` (registered once) on any port.
    redirect_host: str
    extra_params: Mapping[str, str] = field(default_factory=dict)
    default_tenant: str = ""
    console_url: str = ""  # where a client ID is made; the README walks through it


GOOGLE = OAuthEndpoints(
    key="google",
    name="Google",
    authorize_url="https://accounts.google.com/o/oauth2/v2/auth",
    token_url="https://oauth2.googleapis.com/token",
    # Google's device flow only grants a short allow-list of scopes; https://mail.google.com/
    # is not on it ("invalid_scope"), so Gmail needs the browser flow.
    device_url="",
    scopes=("https://mail.google.com/",),
    client_secret=True,
    redirect_host="127.0.0.1",
    # offline + consent: a refresh token every time, also when the user signed in before
    extra_params=MappingProxyType({"access_type": "offline", "prompt": "consent"}),
    console_url="https://console.cloud.google.com/auth/clients",
)

MICROSOFT = OAuthEndpoints(
    key="microsoft",
    name="Microsoft",
    authorize_url="https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize",
    token_url="https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
    device_url="https://login.microsoftonline.com/{tenant}/oauth2/v2.0/devicecode",
    scopes=(
        "https://outlook.office.com/IMAP.AccessAsUser.All",
        "https://outlook.office.com/SMTP.Send",
        "offline_access",
    ),
    client_secret=False,
    redirect_host="localhost",
    default_tenant="common",
    console_url="https://entra.microsoft.com/#view/Microsoft_AAD_RegisteredApps/ApplicationsListBlade",
)

OAUTH_SERVERS: Mapping[str, OAuthEndpoints] = MappingProxyType(
    {GOOGLE.key: GOOGLE, MICROSOFT.key: MICROSOFT}
)


@dataclass(frozen=True)
class Preset:
    key: str
    name: str
    domains: tuple[str, ...]  # exact domains; an entry starting with "." matches subdomains
    imap: Endpoint | None  # None: the user says (generic IMAP)
    smtp: Endpoint | None
    auth: tuple[str, ...]  # what the provider accepts, the recommended one first
    oauth: str = ""  # a key of OAUTH_SERVERS
    # The IMAP login name: "email", or "local" for the part before the @ (iCloud's documented
    # form). SMTP always logs in with the full address.
    imap_username: str = "email"
    # Names to try, by role, when the server flags no special folders
    folders: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    saves_sent: bool = False  # the server files a copy of what SMTP submitted in Sent
    rewrites_message_id: bool = False  # the Message-ID we wrote is not the one recipients see
    thread_id: str = ""  # a server-side thread id fetched with the headers
    condstore: bool | None = None  # None: not documented
    special_use: bool | None = None  # advertises SPECIAL-USE; None: not documented
    max_connections: int = 0  # simultaneous IMAP connections per account; 0: not documented
    app_password_url: str = ""
    # What to do when the server refuses a password; {secret_set} and {init_oauth} are filled in
    password_fix: str = ""
    notes: tuple[str, ...] = ()

    def imap_login(self, email: str) -> str:
        return email.partition("@")[0] if self.imap_username == "local" else email

    @property
    def oauth_server(self) -> OAuthEndpoints | None:
        return OAUTH_SERVERS.get(self.oauth)

    def matches(self, domain: str) -> bool:
        domain = domain.lower()
        return any(domain.endswith(d) if d.startswith(".") else domain == d for d in self.domains)


def _folders(**names: tuple[str, ...]) -> Mapping[str, tuple[str, ...]]:
    return MappingProxyType(names)


PRESETS: tuple[Preset, ...] = (
    Preset(
        key="gmail",
        name="Gmail",
        domains=("gmail.com", "googlemail.com"),
        imap=Endpoint("imap.gmail.com", 993, "tls"),
        smtp=Endpoint("smtp.gmail.com", 465, "tls"),
        auth=(OAUTH2, APP_PASSWORD),
        oauth="google",
        # German and UK accounts once had "[Google Mail]/..." instead of "[Gmail]/..."
        folders=_folders(
            sent=("[Gmail]/Sent Mail", "[Google Mail]/Sent Mail"),
            drafts=("[Gmail]/Drafts", "[Google Mail]/Drafts"),
            all=("[Gmail]/All Mail", "[Google Mail]/All Mail"),
        ),
        saves_sent=True,
        thread_id="X-GM-THRID",
        condstore=True,
        special_use=True,
        max_connections=15,
        app_password_url="https://myaccount.google.com/apppasswords",
        password_fix=(
            "use an app password from https://myaccount.google.com/apppasswords (2-Step "
            "Verification must be on) with {secret_set}, or sign in with {init_oauth}"
        ),
        notes=("labels are folders: only [Gmail]/All Mail is synced, each message once",),
    ),
    Preset(
        key="outlook",
        name="Outlook.com",
        domains=(
            "outlook.com",
            "hotmail.com",
            "live.com",
            "msn.com",
            "passport.com",
            "hotmail.co.uk",
            "hotmail.fr",
            "hotmail.de",
            "hotmail.it",
            "hotmail.es",
            "live.co.uk",
            "live.fr",
            "live.de",
            "live.nl",
            "outlook.de",
            "outlook.fr",
            "outlook.es",
            "outlook.it",
        ),
        imap=Endpoint("outlook.office365.com", 993, "tls"),
        smtp=Endpoint("smtp-mail.outlook.com", 587, "starttls"),
        # basic authentication for IMAP/SMTP ended for personal accounts on 16 Sep 2024, and
        # app passwords do not bring it back
        auth=(OAUTH2,),
        oauth="microsoft",
        folders=_folders(sent=("Sent Items", "Sent"), drafts=("Drafts",), archive=("Archive",)),
        saves_sent=True,
        rewrites_message_id=True,
        condstore=False,
        special_use=False,
        max_connections=16,  # Exchange's default per user (unverified for outlook.com)
        password_fix="Outlook.com no longer accepts passwords: sign in with {init_oauth}",
        notes=(
            "IMAP must be switched on once: Outlook.com Settings > Mail > Forwarding and IMAP",
            "the server rewrites the Message-ID of mail sent by SMTP",
        ),
    ),
    Preset(
        key="microsoft365",
        name="Microsoft 365",
        domains=(".onmicrosoft.com",),
        imap=Endpoint("outlook.office365.com", 993, "tls"),
        smtp=Endpoint("smtp.office365.com", 587, "starttls"),
        # Exchange Online switched basic auth off for IMAP in 2022; SMTP AUTH with a password
        # is off by default for new tenants
        auth=(OAUTH2,),
        oauth="microsoft",
        folders=_folders(sent=("Sent Items", "Sent"), drafts=("Drafts",), archive=("Archive",)),
        saves_sent=True,
        rewrites_message_id=False,  # unverified for Exchange Online; outlook.com does
        condstore=False,
        special_use=False,
        max_connections=16,
        password_fix="Exchange Online refuses passwords for IMAP: sign in with {init_oauth}",
        notes=(
            "your tenant's admin may have to allow IMAP and SMTP AUTH for the mailbox, "
            "and to consent to the app",
        ),
    ),
    Preset(
        key="icloud",
        name="iCloud Mail",
        domains=("icloud.com", "me.com", "mac.com"),
        imap=Endpoint("imap.mail.me.com", 993, "tls"),
        smtp=Endpoint("smtp.mail.me.com", 587, "starttls"),
        auth=(APP_PASSWORD,),
        imap_username="local",
        folders=_folders(sent=("Sent Messages", "Sent"), drafts=("Drafts",), archive=("Archive",)),
        saves_sent=False,
        max_connections=5,  # unverified
        app_password_url="https://account.apple.com/account/manage",
        password_fix=(
            "use an app-specific password (https://account.apple.com > Sign-In and Security) "
            "with {secret_set}; if that is refused too, set [imap] username to your full address"
        ),
    ),
    Preset(
        key="fastmail",
        name="Fastmail",
        domains=(
            "fastmail.com",
            "fastmail.fm",
            "fastmail.net",
            "fastmail.org",
            "fastmail.us",
            "fastmail.to",
            "messagingengine.com",
            "sent.com",
        ),
        imap=Endpoint("imap.fastmail.com", 993, "tls"),
        smtp=Endpoint("smtp.fastmail.com", 465, "tls"),
        auth=(APP_PASSWORD,),
        folders=_folders(sent=("Sent",), drafts=("Drafts",), archive=("Archive",)),
        saves_sent=False,  # unverified
        condstore=True,
        special_use=True,
        app_password_url="https://app.fastmail.com/settings/security/apps",
        password_fix=(
            "use an app password (Settings > Privacy & Security > Manage app passwords) with "
            "{secret_set}; your normal Fastmail password never works over IMAP"
        ),
    ),
    Preset(
        key="yahoo",
        name="Yahoo Mail",
        domains=(
            "yahoo.com",
            "ymail.com",
            "rocketmail.com",
            "yahoo.co.uk",
            "yahoo.fr",
            "yahoo.de",
            "yahoo.es",
            "yahoo.it",
            "yahoo.ca",
            "yahoo.com.au",
            "yahoo.co.jp",
        ),
        imap=Endpoint("imap.mail.yahoo.com", 993, "tls"),
        smtp=Endpoint("smtp.mail.yahoo.com", 465, "tls"),
        auth=(APP_PASSWORD,),
        folders=_folders(sent=("Sent",), drafts=("Draft", "Drafts"), archive=("Archive",)),
        saves_sent=False,  # unverified
        condstore=False,  # a proprietary XYMHIGHESTMODSEQ instead
        max_connections=10,  # unverified
        app_password_url="https://login.yahoo.com/account/security",
        password_fix=(
            "use an app password (Account security > Generate app password; 2-step "
            "verification must be on) with {secret_set}"
        ),
    ),
    Preset(
        key="generic",
        name="generic IMAP",
        domains=(),
        imap=None,
        smtp=None,
        auth=(PASSWORD,),
    ),
)

GENERIC = PRESETS[-1]
_BY_KEY: Mapping[str, Preset] = MappingProxyType({p.key: p for p in PRESETS})


def keys() -> tuple[str, ...]:
    return tuple(_BY_KEY)


def get(key: str) -> Preset:
    """The preset named `key` (KeyError when there is none; config.py turns that into advice)."""
    return _BY_KEY[key]


def for_email(email: str) -> Preset:
    """The preset for an address's domain, or the generic one. Company domains hosted by Google
    or Microsoft cannot be told from the address: name the provider for those."""
    domain = email.rpartition("@")[2].lower().strip()
    return next((p for p in PRESETS if p.matches(domain)), GENERIC)


def login_refused(
    preset: Preset, *, protocol: str, host: str, user: str, account: str, path: str, oauth: bool
) -> tuple[str, str]:
    """(message, fix) for a login the server refused, in the provider's words."""
    init_oauth = f"`inbox-agent init --oauth --account {account}`"
    secret_set = f"`inbox-agent secret set {account} {protocol}`"
    if oauth:
        return (
            f"{host} rejected the OAuth sign-in for {user}",
            f"sign in again with {init_oauth}; check that {protocol.upper()} access is "
            "switched on for the mailbox",
        )
    if preset.password_fix:
        return (
            f"{preset.name} rejected the password for {user}",
            preset.password_fix.format(secret_set=secret_set, init_oauth=init_oauth),
        )
    return (
        f"{host} rejected the login for {user}",
        f"check [{protocol}] username in {path} and store the right password with {secret_set}",
    )
