"""The `inbox-agent` command line: the parser and dispatch (`main`), what each command does
(`commands`) and how it prints (`render`). Nothing else imports it: `main` is the console
script and `python -m inbox_agent`; `build_parser` lets tests hold the README to the commands.
"""

from inbox_agent.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
