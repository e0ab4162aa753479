"""The configuration: frozen records (`model`), read and checked from TOML (`load`), written for a
new account (`render`); provider presets in `providers`, secrets in the keyring via `secrets`
(both imported by name; `secrets` brings in keyring)."""

from inbox_agent.config.load import load_account, load_accounts, load_settings, pick_account
from inbox_agent.config.model import (
    AUTONOMY_LEVELS,
    SECURITY_MODES,
    Account,
    AutonomyConfig,
    CadenceConfig,
    LlmConfig,
    OAuthConfig,
    SendingConfig,
    ServerConfig,
    Settings,
)
from inbox_agent.config.render import render_account, toml_string

__all__ = [
    "AUTONOMY_LEVELS",
    "SECURITY_MODES",
    "Account",
    "AutonomyConfig",
    "CadenceConfig",
    "LlmConfig",
    "OAuthConfig",
    "SendingConfig",
    "ServerConfig",
    "Settings",
    "load_account",
    "load_accounts",
    "load_settings",
    "pick_account",
    "providers",
    "render_account",
    "secrets",
    "toml_string",
]
