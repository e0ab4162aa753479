from inbox_agent.demo.run import (
    run_demo,
    sample_mailbox,
)

__all__ = [
    "run_demo",
    "sample_mailbox",
]
