"""Setting an account up: the `init` wizard (`wizard`, asking the `questions` of whoever answers:
a person at a terminal or a script's flags, through `console`) and `inbox-agent check`, which
logs in to both servers and tests the LLM endpoint without sending anything (`check`).

The surface is modules; the CLI imports the one a command needs.
"""

__all__ = ["check", "console", "wizard"]
