"""SMTP submission (aiosmtplib): logging in, submitting one message, and what a failure means
for the send. The failures themselves are in the error tree (`errors.SendFailure`,
`errors.SendRefused`); `SendFailure` is here too for callers that catch it around a submit.
"""

from inbox_agent.sender.smtp import SendFailure, Submission, smtp_login, submit

__all__ = ["SendFailure", "Submission", "smtp_login", "submit"]
