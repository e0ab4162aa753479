"""Tiny SMTP submission server for tests: AUTH PLAIN/LOGIN, hands local mail to Dovecot LMTP."""
import asyncio, smtplib, socket, ssl
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword, SMTP

class LmtpRelayHandler:
    def __init__(self, lmtp_target, local_domains, users):
        self.lmtp_target = lmtp_target      # ("127.0.0.1", port) or "/path/to/lmtp.sock"
        self.local_domains = {d.lower() for d in local_domains}
        self.users = users                   # {"alice": "alicepw", ...}
        self.external = []                   # captured (mail_from, rcpts, data) for non-local rcpts
        self.delivered = []

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword):
            user = auth_data.login.decode()
            user = user.split("@", 1)[0]
            if self.users.get(user) == auth_data.password.decode():
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local, _, domain = address.rpartition("@")
        if domain.lower() in self.local_domains and local.lower() not in self.users:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def _lmtp_deliver(self, mail_from, rcpts, data):
        if isinstance(self.lmtp_target, str):
            client = smtplib.LMTP(self.lmtp_target)
        else:
            client = smtplib.LMTP(*self.lmtp_target)
        try:
            return client.sendmail(mail_from, rcpts, data)  # {} if all accepted
        finally:
            client.quit()

    async def handle_DATA(self, server, session, envelope):
        local, external = [], []
        for r in envelope.rcpt_tos:
            (local if r.rpartition("@")[2].lower() in self.local_domains else external).append(r)
        if external:
            self.external.append((envelope.mail_from, external, envelope.original_content))
        if local:
            loop = asyncio.get_running_loop()
            try:
                refused = await loop.run_in_executor(
                    None, self._lmtp_deliver, envelope.mail_from, local, envelope.original_content)
            except smtplib.SMTPRecipientsRefused as e:
                return "550 5.1.1 all recipients refused: %r" % (e.recipients,)
            except smtplib.SMTPDataError as e:
                return "%d %s" % (e.smtp_code, e.smtp_error.decode(errors="replace"))
            if refused:
                return "451 4.3.0 some recipients refused: %r" % (refused,)
            self.delivered.append((envelope.mail_from, local))
        return "250 Message accepted for delivery"

def start_submission_server(lmtp_target, users, local_domains=("example.test",), port=0,
                            tls_context=None, require_auth=True):
    if not port:  # aiosmtpd's Controller cannot use port 0 (it self-connects to check readiness)
        s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    handler = LmtpRelayHandler(lmtp_target, local_domains, users)
    kw = dict(authenticator=handler.authenticate, auth_required=require_auth,
              auth_require_tls=tls_context is not None)
    if tls_context is not None:
        kw.update(tls_context=tls_context, require_starttls=True)
    ctrl = Controller(handler, hostname="127.0.0.1", port=port, ready_timeout=5.0, **kw)
    ctrl.start()
    return ctrl, handler
