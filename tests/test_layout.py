"""The house rules that keep the layout true.

Each package names its public surface in `__all__` (written out here, as httpx's test does, so
that a change to a surface is a change to this file too); every name in it resolves, to an
attribute or to a submodule that callers import by name, and no other package imports anything
from it that its surface does not name. Each package says what it owns. A
package's `__init__` loads none of the heavy dependencies, so `inbox-agent --help` stays quick.
pyproject.toml lists every package, so none is missing from the wheel.
"""

from __future__ import annotations

import ast
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
        "toml_string",
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
        "llm_verdict",
        "make_drafter",
        "prepare",
        "similarity",
        "steering_in",
    ],
    "inbox_agent.engine": ["Engine", "Opener", "TickReport", "Undecided", "open_imap", "wakeup"],
    "inbox_agent.gate": [
        "DRAFT_STATE",
        "SEQUENCE_STATE",
        "Decision",
        "Rules",
        "check_level",
        "decide",
        "parse_scope",
    ],
    "inbox_agent.mail": [
        "addresses",
        "asks",
        "body",
        "classify",
        "compose",
        "expects",
        "headers",
        "language",
        "letter",
        "mime",
        "promise",
        "quote",
        "subject",
    ],
    "inbox_agent.sender": ["SendFailure", "Submission", "smtp_login", "submit"],
    "inbox_agent.setup": ["check", "console", "wizard"],
    "inbox_agent.store": [
        "ACTIVE_SEQUENCES",
        "ENDED_SEQUENCES",
        "OPEN_DRAFTS",
        "AuditRow",
        "DraftRow",
        "DraftState",
        "Event",
        "FolderRow",
        "OutboxRow",
        "OutboxState",
        "SequenceChanges",
        "SequenceRow",
        "SequenceState",
        "Store",
        "StoredMessage",
        "audit",
    ],
    "inbox_agent.sync": [
        "failures",
        "folder_sync",
        "folders",
        "idlewatch",
        "imap",
        "mailbox",
        "memory",
        "oauth",
        "signin",
    ],
    "inbox_agent.tracker": [
        "CONSECUTIVE_WINDOW",
        "DISMISS_KEYWORD",
        "FOLLOWUP_KEYWORD",
        "SUBJECT_WINDOW",
        "Action",
        "Assessment",
        "Context",
        "Due",
        "End",
        "Event",
        "Observe",
        "Pause",
        "Start",
        "Thread",
        "ThreadIndex",
        "Touched",
        "Wakeup",
        "as_of",
        "asked_from",
        "assess",
        "assessments",
        "bodies_needed",
        "build_threads",
        "decision",
        "habits",
        "is_headerless_reply",
        "last_human",
        "next_wakeup",
        "normalize_subject",
        "peer_key",
        "thread_from",
        "thread_order",
    ],
    "inbox_agent.voice": [
        "SAMPLE_LIMIT",
        "Brief",
        "Edit",
        "EditHabits",
        "Profile",
        "Sample",
        "SentMail",
        "brief",
        "from_json",
        "habits",
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


def _taken_from_other_packages() -> list[tuple[str, str, str, str]]:
    """(importing file, package, module or "", name) for each name a module of inbox_agent takes
    from a package other than its own, however it is spelled."""
    taken: list[tuple[str, str, str, str]] = []
    for path in sorted((ROOT / "inbox_agent").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        own = ".".join(parts[:2]) if len(parts) > 2 else ""
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases: dict[str, str] = {}  # `from inbox_agent import config` -> config.X below
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom) or not node.module:
                continue
            module = node.module.split(".")
            if node.module == "inbox_agent":
                for alias in node.names:
                    package = f"inbox_agent.{alias.name}"
                    if package in SURFACES and package != own:
                        aliases[alias.asname or alias.name] = package
            elif module[0] == "inbox_agent" and ".".join(module[:2]) in SURFACES:
                package = ".".join(module[:2])
                if package != own:
                    inner = ".".join(module[2:])
                    taken += [
                        (str(path.relative_to(ROOT)), package, inner, a.name) for a in node.names
                    ]
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
            ):
                taken.append((str(path.relative_to(ROOT)), aliases[node.value.id], "", node.attr))
    return taken


def test_other_packages_import_only_the_surface() -> None:
    outside = sorted(
        f"{file}: {package}{'.' + inner if inner else ''}.{name}"
        for file, package, inner, name in _taken_from_other_packages()
        if (inner.split(".")[0] if inner else name) not in SURFACES[package]
        and name not in SURFACES[package]
    )
    assert not outside, "imported past a package's __all__:\n" + "\n".join(outside)


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
