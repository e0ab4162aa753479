"""Setting an account up: the `init` wizard (`wizard`) and `inbox-agent check`, which logs in
to both servers and tests the LLM endpoint without sending anything (`check`).
"""

__all__ = ["check", "wizard"]
