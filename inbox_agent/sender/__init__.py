from inbox_agent.sender.smtp import (
    SendFailure,
    SendRefused,
    Submission,
    T,
    envelope,
    smtp_login,
    submit,
)

__all__ = [
    "SendFailure",
    "SendRefused",
    "Submission",
    "T",
    "envelope",
    "smtp_login",
    "submit",
]
