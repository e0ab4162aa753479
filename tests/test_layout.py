"""The house rules that keep the layout true.

Each package names its public surface in `__all__` (written out here, as httpx's test does, so
that a change to a surface is a change to this file too); every name in it resolves, to an
attribute or to a submodule that callers import by name. Each package says what it owns. A
package's `__init__` loads none of the heavy dependencies, so `inbox-agent --help` stays quick.
pyproject.toml lists every package, so none is missing from the wheel.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SURFACES: dict[str, list[str]] = {
    "inbox_agent": ["__version__"],
    "inbox_agent.cli": ["build_parser", "main"],
    "inbox_agent.config": [
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
    ],
    "inbox_agent.demo": ["run_demo"],
    "inbox_agent.desktop": ["autostart", "run", "status"],
    "inbox_agent.drafter": [
        "Draft",
        "DraftRequest",
        "Drafter",
        "LlmDrafter",
        "OfflineDrafter",
        "Quoted",
        "make_drafter",
        "prepare",
        "steering_in",
    ],
    "inbox_agent.engine": ["Engine", "TickReport"],
    "inbox_agent.gate": [
        "DRAFT_STATE",
        "SEQUENCE_STATE",
        "Decision",
        "Rules",
        "check_level",
        "decide",
        "parse_scope",
    ],
    "inbox_agent.mail": ["body", "classify", "compose", "headers", "language", "letter"],
    "inbox_agent.sender": ["SendFailure", "Submission", "smtp_login", "submit"],
    "inbox_agent.setup": ["check", "wizard"],
    "inbox_agent.store": ["Store", "StoredMessage", "audit"],
    "inbox_agent.sync": ["idlewatch", "imap", "oauth"],
    "inbox_agent.tracker": [
        "ACTIVE",
        "DISMISS_KEYWORD",
        "Action",
        "Due",
        "End",
        "Observe",
        "Pause",
        "Sequence",
        "Start",
        "Thread",
        "ThreadIndex",
        "Touched",
        "build_threads",
        "judge",
        "last_human",
        "plan",
    ],
    "inbox_agent.voice": [
        "SAMPLE_LIMIT",
        "Brief",
        "Profile",
        "SentMail",
        "brief",
        "from_json",
        "hand_nudges",
        "learn",
        "pick_examples",
        "plain_brief",
        "style",
        "to_json",
        "voicefile",
    ],
}

# What an eager import in a package's __init__ would drag into every command, `--help` included.
HEAVY = ("openai", "pystray", "pymap", "apscheduler", "mailparser")


def _packages_in_tree() -> set[str]:
    return {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "inbox_agent").rglob("__init__.py")
    }


def test_every_package_has_its_surface_written_here() -> None:
    assert set(SURFACES) == _packages_in_tree()


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_each_package_names_its_surface_and_says_what_it_owns(name: str) -> None:
    package = importlib.import_module(name)
    assert package.__doc__ and package.__doc__.strip(), f"{name} has no docstring"
    surface = getattr(package, "__all__", None)
    assert surface is not None, f"{name} has no __all__"
    assert list(surface) == SURFACES[name]
    for item in surface:
        if not hasattr(package, item):
            importlib.import_module(f"{name}.{item}")  # a submodule, imported by name
        assert hasattr(package, item), f"{name}.{item} does not resolve"


def test_package_inits_and_help_load_no_heavy_dependency() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(ROOT)
    imports = "; ".join(f"import {name}" for name in sorted(SURFACES))
    probe = f"import sys; {imports}; print(sorted(set(sys.modules) & set({HEAVY!r})))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", f"a package __init__ loads {done.stdout.strip()}"

    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "inbox_agent", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    loaded = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in done.stderr.splitlines()}
    assert not loaded & set(HEAVY), f"--help loads {sorted(loaded & set(HEAVY))}"


def test_pyproject_ships_every_package() -> None:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert set(setuptools["packages"]) == _packages_in_tree() | {"inbox_agent.prompts"}
    assert setuptools["package-dir"] == {"inbox_agent.prompts": "prompts"}
