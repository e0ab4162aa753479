"""Who answers the `init` wizard's questions: a `Console` is the seam. `Terminal` asks a person,
`Script` takes only flags and says which flag is missing; `until` asks again while an answer is
not usable (a script gets one try).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from typing import Protocol

from inbox_agent.errors import UserError


class Console(Protocol):
    interactive: bool

    def ask(self, prompt: str, default: str = "", flag: str = "") -> str: ...

    def secret(self, prompt: str, flag: str = "") -> str: ...

    def say(self, text: str) -> None: ...


class Terminal:
    """A person at a terminal: prompts on stdout, answers from stdin, secrets unechoed."""

    interactive = True

    def ask(self, prompt: str, default: str = "", flag: str = "") -> str:
        answer = input(f"{prompt}{f' [{default}]' if default else ''}: ").strip()
        return answer or default

    def secret(self, prompt: str, flag: str = "") -> str:
        return getpass.getpass(f"{prompt}: ")

    def say(self, text: str) -> None:
        print(text, flush=True)


class Script:
    """No terminal: every answer comes from a flag or a default."""

    interactive = False

    def ask(self, prompt: str, default: str = "", flag: str = "") -> str:
        if default:
            return default
        raise UserError(
            f"{prompt} is needed", f"pass {flag or 'it as a flag'} (see `inbox-agent init --help`)"
        )

    def secret(self, prompt: str, flag: str = "") -> str:
        raise UserError(
            f"{prompt} is needed", f"pass {flag or 'it as a flag'} and pipe it on standard input"
        )

    def say(self, text: str) -> None:
        print(text, flush=True)


def console_for(args: argparse.Namespace) -> Console:
    return Terminal() if sys.stdin.isatty() and not args.non_interactive else Script()


def until(console: Console, ask: Callable[[], str], valid: Callable[[str], str]) -> str:
    """Ask until `valid` accepts (it returns "" or a complaint); a script gets one try."""
    for _ in range(5 if console.interactive else 1):
        answer = ask()
        problem = valid(answer)
        if not problem:
            return answer
        if not console.interactive:
            raise UserError(problem, "see `inbox-agent init --help`")
        console.say(f"  {problem}")
    raise UserError("no usable answer after five tries", "run `inbox-agent init` again")
