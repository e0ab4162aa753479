"""The wheel as a person gets it: built from the tree, installed into a clean venv, run from
outside the source tree.

An editable install and `PYTHONPATH=.` both read the checkout, so only this test sees what
`pip install .` or `pipx install .` really ships: every module, and the prompt templates that
the LLM drafter needs (without them it raises FileNotFoundError). One nudge is drafted through
the real openai client against the loopback server; then a file in `<config>/prompts/` must
still win over the shipped template.

Dependencies come from the package index through pip's cache, so a second run installs offline.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.infra.llm_server import DEFAULT_MODEL, FakeLlm

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent

# Runs inside the clean venv, with its working directory outside the tree: only the installed
# package can be imported. Prints one JSON line.
DRAFT_ONE = r"""
import json, sys
from pathlib import Path

import inbox_agent
from inbox_agent import paths
from inbox_agent.config import LlmConfig
from inbox_agent.drafter import DraftRequest, LlmDrafter, Quoted

base_url = sys.argv[1]
request = DraftRequest(
    touch=1, touches=3, kind="bump", subject="Q3 contract", user_name="Alice Example",
    recipient_name="Bob", language="en",
    thread=(Quoted("Alice Example <alice@example.test>", True, "2024-03-01 09:00",
                   "Q3 contract", "Can you sign the Q3 contract?"),),
)
drafter = LlmDrafter(LlmConfig(base_url=base_url, model=sys.argv[2], timeout_s=20), None)
shipped = drafter.draft(request)
override = paths.config_dir() / "prompts" / "bump.md"
override.parent.mkdir(parents=True)
override.write_text("OVERRIDE-MARKER: nudge $recipient_name.\n\n$thread\n", encoding="utf-8")
overridden = drafter.draft(request)
package = Path(inbox_agent.__file__).parent
print(json.dumps({
    "package": str(package),
    "modules": sorted(str(p.relative_to(package)) for p in package.rglob("*.py")),
    "templates": sorted(p.name for p in (package / "prompts").glob("*.md")),
    "drafters": [shipped.drafter, overridden.drafter],
    "notes": [shipped.note, overridden.note],
}))
"""

_NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", "*.egg-info", "build", "dist", ".*_cache", ".hypothesis"
)


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment without anything that points Python at the checkout or the shared venv."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP"}
    }
    env["PYTHONNOUSERSITE"] = "1"
    return {**env, **extra}


def _run(
    args: list[str | Path], timeout: float, env: dict[str, str], cwd: Path | None = None
) -> str:
    done = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd
    )
    assert done.returncode == 0, (
        f"{Path(args[0]).name} {args[1]} … failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    return done.stdout


def test_the_installed_wheel_drafts_with_its_shipped_templates(
    tmp_path: Path, llm_server: FakeLlm
) -> None:
    # built from a copy: setuptools writes build/ and *.egg-info beside the sources it builds
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=_NOT_SOURCE)
    dist = tmp_path / "dist"
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, source],
        timeout=300,
        env=_clean_env(),
    )
    (wheel,) = dist.glob("inbox_agent-*.whl")

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", venv], timeout=120, env=_clean_env())
    python = venv / "bin" / "python"
    _run([python, "-m", "pip", "install", "-q", wheel], timeout=600, env=_clean_env())

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = _clean_env(INBOX_AGENT_HOME=str(tmp_path / "home"))
    # -I: neither the working directory nor PYTHON* variables reach sys.path
    out = _run(
        [python, "-I", "-c", DRAFT_ONE, llm_server.base_url, DEFAULT_MODEL],
        timeout=120,
        cwd=outside,
        env=env,
    )
    result = json.loads(out.strip().splitlines()[-1])

    assert Path(result["package"]).is_relative_to(venv), result["package"]
    in_tree = sorted(
        str(p.relative_to(ROOT / "inbox_agent")) for p in ROOT.glob("inbox_agent/**/*.py")
    )
    assert result["modules"] == sorted([*in_tree, "prompts/__init__.py"])
    assert result["templates"] == sorted(p.name for p in (ROOT / "prompts").glob("*.md"))

    # both drafts came from the model, not from the offline fallback
    assert result["drafters"] == [f"llm:{DEFAULT_MODEL}"] * 2, result["notes"]
    chats = [r for r in llm_server.requests if r["path"].endswith("/chat/completions")]
    assert len(chats) == 2
    system, user = (m["content"] for m in chats[0]["body"]["messages"])
    assert system.startswith("You write short follow-up emails")  # system.md
    assert user.startswith(
        "This is follow-up 1 of 3 to Bob on a thread that went quiet."
    )  # bump.md
    assert "Can you sign the Q3 contract?" in user
    _, user = (m["content"] for m in chats[1]["body"]["messages"])
    assert user.startswith("OVERRIDE-MARKER: nudge Bob.")

    # the console script is there and answers
    help_text = _run([venv / "bin" / "inbox-agent", "--help"], timeout=60, cwd=outside, env=env)
    assert "usage: inbox-agent" in help_text
