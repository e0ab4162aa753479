"""Provider presets are data that the account file, folder discovery and login errors read."""

from __future__ import annotations

from pathlib import Path

import pytest

from inbox_agent import config
from inbox_agent.config import providers
from inbox_agent.errors import ConfigError
from inbox_agent.sync.folders import discover_folders
from inbox_agent.sync.memory import MemoryMailbox


@pytest.mark.parametrize(
    ("email", "key"),
    [
        ("someone@gmail.com", "gmail"),
        ("Someone@GoogleMail.com", "gmail"),
        ("a@hotmail.co.uk", "outlook"),
        ("a@outlook.com", "outlook"),
        ("a@live.com", "outlook"),
        ("it@contoso.onmicrosoft.com", "microsoft365"),
        ("a@icloud.com", "icloud"),
        ("a@me.com", "icloud"),
        ("a@fastmail.com", "fastmail"),
        ("a@yahoo.co.uk", "yahoo"),
        ("a@example.org", "generic"),
        ("a@notgmail.com", "generic"),
    ],
)
def test_the_preset_comes_from_the_domain(email: str, key: str) -> None:
    assert providers.for_email(email).key == key


@pytest.mark.parametrize("preset", providers.PRESETS, ids=lambda p: p.key)
def test_every_preset_is_complete_and_consistent(preset: providers.Preset) -> None:
    assert preset.auth and set(preset.auth) <= {"password", "app_password", "oauth2"}
    if preset is providers.GENERIC:
        assert preset.imap is None and preset.smtp is None
        return
    for endpoint in (preset.imap, preset.smtp):
        assert endpoint is not None and endpoint.security in ("tls", "starttls")
        assert endpoint.host and 0 < endpoint.port < 65536
    assert ("oauth2" in preset.auth) == bool(preset.oauth_server)
    assert preset.folders.get("sent") and preset.folders.get("drafts")
    if "app_password" in preset.auth:
        assert preset.app_password_url.startswith("https://")
    assert "{secret_set}" in preset.password_fix or "{init_oauth}" in preset.password_fix


def test_the_oauth_servers_are_the_documented_ones() -> None:
    google, microsoft = providers.GOOGLE, providers.MICROSOFT
    assert google.scopes == ("https://mail.google.com/",) and google.client_secret
    assert not google.device_url  # Google's device flow refuses the mail scope
    assert set(microsoft.scopes) == {
        "https://outlook.office.com/IMAP.AccessAsUser.All",
        "https://outlook.office.com/SMTP.Send",
        "offline_access",
    }
    assert not microsoft.client_secret and microsoft.redirect_host == "localhost"
    for server in (google, microsoft):
        assert all(u.startswith("https://") for u in (server.authorize_url, server.token_url))


def _account(tmp_path: Path, text: str, name: str = "main") -> config.Account:
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    return config.load_account(path, config.Settings(tmp_path / "none.toml"))


def test_a_gmail_account_needs_only_its_address(tmp_path: Path) -> None:
    account = _account(tmp_path, 'email = "me@gmail.com"\n')
    assert account.provider == "gmail" and account.preset.name == "Gmail"
    assert (account.imap.host, account.imap.port, account.imap.security) == (
        "imap.gmail.com",
        993,
        "tls",
    )
    assert (account.smtp.host, account.smtp.port) == ("smtp.gmail.com", 465)
    assert account.imap.username == "me@gmail.com" and account.smtp_saves_sent


def test_the_user_overrides_any_preset_value(tmp_path: Path) -> None:
    account = _account(
        tmp_path,
        'email = "me@company.example"\nprovider = "gmail"\n'
        '[smtp]\nsecurity = "starttls"\nsaves_sent = false\n[imap]\nusername = "other"\n',
    )
    assert account.provider == "gmail" and account.imap.username == "other"
    assert (account.smtp.host, account.smtp.port, account.smtp.security) == (
        "smtp.gmail.com",
        587,
        "starttls",
    )
    assert not account.smtp_saves_sent


def test_icloud_logs_in_to_imap_with_the_name_part(tmp_path: Path) -> None:
    account = _account(tmp_path, 'email = "emily@icloud.com"\n')
    assert account.imap.username == "emily" and account.smtp.username == "emily@icloud.com"
    assert account.smtp.port == 587 and account.smtp.security == "starttls"


def test_a_generic_account_still_needs_its_servers(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _account(tmp_path, 'email = "me@example.org"\n')
    assert caught.value.key == "imap" and "add a [imap] section" in caught.value.fix


@pytest.mark.parametrize(
    ("text", "key", "fix"),
    [
        ('email = "a@example.org"\nprovider = "gmial"\n', "provider", "use one of: gmail"),
        ('email = "a@outlook.com"\n', "auth", "inbox-agent init --oauth --account main"),
        ('email = "a@gmail.com"\nauth = "oauth2"\n', "auth", "[oauth] client_id"),
        (
            'email = "a@icloud.com"\nauth = "oauth2"\n[oauth]\nclient_id = "x"\n',
            "oauth.token_url",
            'auth = "password"',
        ),
        (
            'email = "a@gmail.com"\nauth = "oauth2"\n[oauth]\nclient_id = "x"\n'
            'token_url = "http://evil.example/token"\n',
            "oauth.token_url",
            "https://",
        ),
        ('email = "a@gmail.com"\nauth = "oauth2"\n[oauth]\n', "oauth.client_id", "client_id"),
    ],
)
def test_auth_and_provider_mistakes_name_key_and_fix(
    tmp_path: Path, text: str, key: str, fix: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        _account(tmp_path, text)
    assert caught.value.key == key and fix in caught.value.fix, str(caught.value)


def test_oauth_defaults_come_from_the_provider_with_the_tenant_filled_in(tmp_path: Path) -> None:
    account = _account(
        tmp_path,
        'email = "a@contoso.onmicrosoft.com"\nauth = "oauth2"\n'
        '[oauth]\nclient_id = "abc"\ntenant = "contoso.onmicrosoft.com"\n',
    )
    assert account.oauth is not None and account.oauth.client_id == "abc"
    assert account.oauth.server.token_url == (
        "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
    )
    assert account.smtp.host == "smtp.office365.com" and account.smtp.security == "starttls"


def test_rendered_account_files_read_back_even_with_quotes(tmp_path: Path) -> None:
    text = config.render_account(
        email="me@gmail.com",
        display_name='Ada "The Countess" Lovelace',
        imap=config.ServerConfig("imap.gmail.com", 993, "tls", "me@gmail.com"),
        smtp=config.ServerConfig("smtp.gmail.com", 465, "tls", "me@gmail.com"),
        provider="gmail",
        oauth_client_id="123.apps.googleusercontent.com",
    )
    account = _account(tmp_path, text)
    assert account.display_name == 'Ada "The Countess" Lovelace'
    assert account.auth == "oauth2" and account.oauth is not None
    assert account.oauth.client_id == "123.apps.googleusercontent.com"


@pytest.mark.parametrize(
    ("email", "names", "sent", "drafts"),
    [
        ("a@icloud.com", ["INBOX", "Sent", "Sent Messages", "Drafts"], "Sent Messages", "Drafts"),
        ("a@outlook.com", ["INBOX", "Sent", "Sent Items", "Drafts"], "Sent Items", "Drafts"),
        ("a@yahoo.com", ["INBOX", "Sent", "Draft", "Archive"], "Sent", "Draft"),
        ("a@example.org", ["INBOX", "Sent Items", "INBOX.Drafts"], "Sent Items", "INBOX.Drafts"),
    ],
)
def test_without_special_use_the_providers_own_names_come_first(
    tmp_path: Path, email: str, names: list[str], sent: str, drafts: str
) -> None:
    extra = 'auth = "oauth2"\n[oauth]\nclient_id = "x"\n' if email.endswith("outlook.com") else ""
    servers = '[imap]\nhost = "imap.example.org"\n[smtp]\nhost = "smtp.example.org"\n'
    account = _account(tmp_path, f'email = "{email}"\n{extra}{servers}')
    mailbox = MemoryMailbox()  # a LIST without SPECIAL-USE attributes
    for name in names:
        mailbox.create_folder(name, "\\HasNoChildren")
    folders = discover_folders(mailbox, account)
    assert (folders.sent, folders.drafts) == (sent, drafts)


def test_a_refused_password_is_explained_in_the_providers_words() -> None:
    message, fix = providers.login_refused(
        providers.get("gmail"),
        protocol="imap",
        host="imap.gmail.com",
        user="me@gmail.com",
        account="me",
        path="/x/me.toml",
        oauth=False,
    )
    assert message == "Gmail rejected the password for me@gmail.com"
    assert "app password" in fix and "`inbox-agent init --oauth --account me`" in fix
    assert "`inbox-agent secret set me imap`" in fix
