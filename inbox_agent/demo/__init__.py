"""`inbox-agent demo`: the whole product against an embedded IMAP and SMTP server (`embedded`,
pymap and aiosmtpd, imported only when the demo runs) with a sample mailbox (`run`).
"""

from inbox_agent.demo.run import run_demo

__all__ = ["run_demo"]
