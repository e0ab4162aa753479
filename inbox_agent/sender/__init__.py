from inbox_agent.sender.smtp import (
    SendFailure,
    Submission,
    T,
    envelope,
    smtp_login,
    submit,
)

__all__ = [
    "SendFailure",
    "Submission",
    "T",
    "envelope",
    "smtp_login",
    "submit",
]
