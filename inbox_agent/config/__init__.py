"""The configuration: frozen records (`model`), read and checked from TOML (`load`), written for a
new account (`render`); provider presets in `providers`, secrets in the keyring via `secrets`."""

from inbox_agent.config.load import (
    load_account,
    load_accounts,
    load_settings,
    pick_account,
    read_toml,
)
from inbox_agent.config.model import (
    AUTH_METHODS,
    AUTONOMY_LEVELS,
    DEFAULT_GAPS,
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
from inbox_agent.config.render import render_account

__all__ = [
    "AUTH_METHODS",
    "AUTONOMY_LEVELS",
    "DEFAULT_GAPS",
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
    "read_toml",
    "render_account",
]
