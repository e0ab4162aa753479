"""SMTP submission (aiosmtplib): logging in, submitting one message, and what a failure means
for the send (`SendFailure` says whether trying again can help; `SendRefused` is the server's
final no).
"""

from inbox_agent.sender.smtp import SendFailure, SendRefused, Submission, smtp_login, submit

__all__ = ["SendFailure", "SendRefused", "Submission", "smtp_login", "submit"]
