"""A tiny SMTP submission server for tests that delivers local mail into Dovecot by LMTP.

Owns: the in-process aiosmtpd server (AUTH PLAIN/LOGIN against the live user table it is handed,
normally the very dict `DovecotServer.users`), the hand-off to Dovecot LMTP, and the capture of
mail for other domains (kept in `handler.external`, sent nowhere). Dovecot's own `submission`
service only relays to another MTA, and LMTP is not SMTP, hence this small bridge.

Delivery is synchronous: a message is in the recipient's INBOX before the client gets its 250.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from collections.abc import Iterable, Mapping
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.infra.dovecot import free_port

LmtpTarget = str | tuple[str, int]  # unix socket path, or ("127.0.0.1", port)


class LmtpRelayHandler:
    """aiosmtpd handler: authenticate, check local recipients, deliver by LMTP."""

    def __init__(
        self, lmtp_target: LmtpTarget, local_domains: Iterable[str], users: Mapping[str, str]
    ) -> None:
        self.lmtp_target = lmtp_target
        self.local_domains = {d.lower() for d in local_domains}
        self.users = users  # live: read on every AUTH and RCPT, so users added later work
        # (mail_from, [rcpt, ...], raw bytes) for recipients outside local_domains
        self.external: list[tuple[str, list[str], bytes]] = []
        # (mail_from, [local rcpt, ...], raw bytes) for each message handed to LMTP
        self.delivered: list[tuple[str, list[str], bytes]] = []

    def _is_local(self, address: str) -> bool:
        return address.rpartition("@")[2].lower() in self.local_domains

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            # like Dovecot's %Ln: "Alice@Example.Test" logs in as "alice"
            login = auth_data.login.decode().split("@", 1)[0].lower()
            expected = self.users.get(login)
            if expected is not None and expected == auth_data.password.decode():
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        local = address.rpartition("@")[0].lower()
        if self._is_local(address) and local not in self.users:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def _lmtp_deliver(self, mail_from: str, rcpts: list[str], data: bytes) -> dict[str, Any]:
        if isinstance(self.lmtp_target, str):
            client = smtplib.LMTP(self.lmtp_target, timeout=30)
        else:
            client = smtplib.LMTP(*self.lmtp_target, timeout=30)
        try:
            return dict(client.sendmail(mail_from, rcpts, data))  # {} when all were accepted
        finally:
            client.quit()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        mail_from = str(envelope.mail_from)
        data: bytes = envelope.original_content or b""
        local = [r for r in envelope.rcpt_tos if self._is_local(r)]
        external = [r for r in envelope.rcpt_tos if not self._is_local(r)]
        if external:
            self.external.append((mail_from, external, data))
        if local:
            loop = asyncio.get_running_loop()
            # smtplib blocks; keep the server's event loop free for other connections
            try:
                refused = await loop.run_in_executor(
                    None, self._lmtp_deliver, mail_from, local, data
                )
            except smtplib.SMTPRecipientsRefused as e:
                return f"550 5.1.1 all recipients refused: {e.recipients!r}"
            except smtplib.SMTPDataError as e:
                error = e.smtp_error
                text = error.decode(errors="replace") if isinstance(error, bytes) else error
                return f"{e.smtp_code} {text}"
            except OSError as e:  # Dovecot is down (fault tests): a temporary failure
                return f"451 4.3.0 LMTP unavailable: {e}"
            if refused:
                return f"451 4.3.0 some recipients refused: {refused!r}"
            self.delivered.append((mail_from, local, data))
        return "250 Message accepted for delivery"


class SubmissionServer:
    """A running submission server: `.port`, `.handler` (`.delivered`, `.external`), `.stop()`."""

    def __init__(self, controller: Controller, handler: LmtpRelayHandler, port: int) -> None:
        self.controller = controller
        self.handler = handler
        self.port = port
        self.host = "127.0.0.1"

    def stop(self) -> None:
        self.controller.stop()


def start_submission_server(
    lmtp_target: LmtpTarget,
    users: Mapping[str, str],
    local_domains: Iterable[str] = ("example.test",),
    port: int = 0,
    tls_context: ssl.SSLContext | None = None,
    require_auth: bool = True,
) -> SubmissionServer:
    """Start on 127.0.0.1; AUTH is checked against `users` (pass Dovecot's live dict)."""
    # aiosmtpd's Controller cannot take port 0: it self-connects to the port to check readiness
    port = port or free_port()
    handler = LmtpRelayHandler(lmtp_target, local_domains, users)
    kwargs: dict[str, Any] = {
        "authenticator": handler.authenticate,
        "auth_required": require_auth,
        "auth_require_tls": tls_context is not None,
    }
    if tls_context is not None:
        kwargs.update(tls_context=tls_context, require_starttls=True)
    controller = Controller(handler, hostname="127.0.0.1", port=port, ready_timeout=5.0, **kwargs)
    controller.start()
    return SubmissionServer(controller, handler, port)
