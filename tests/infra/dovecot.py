"""Start a private, throw-away Dovecot 2.3 (Debian 12) on 127.0.0.1 for tests.

Needs the Debian packages dovecot-core, dovecot-imapd, dovecot-lmtpd.
Works as root and as an ordinary user.  Dovecot refuses mail access with
uid 0 ("userdb returned 0 as uid"), so when the caller is root the whole
instance runs as an unprivileged account (default: nobody:nogroup).
"""
from __future__ import annotations

import ctypes
import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def dovecot_version() -> str:
    """The installed Dovecot version, e.g. "2.3.19.1"; the config template below is for 2.3 only."""
    out = subprocess.run([DOVECOT, "--version"], capture_output=True, text=True, check=True, timeout=10).stdout
    return out.split()[0]


def check_version() -> None:
    version = dovecot_version()
    if not version.startswith("2.3."):
        raise RuntimeError(
            f"Dovecot {version} is installed, but the test config template is for Dovecot 2.3 (Debian 12). "
            "Dovecot 2.4 (Debian 13) renamed most settings; port CONF_TEMPLATE in tests/infra/dovecot.py."
        )

CONF_TEMPLATE = """\
# Private test instance -- never reads /etc/dovecot
base_dir = {root}/run
state_dir = {root}/state
instance_name = {instance}
protocols = imap lmtp
listen = 127.0.0.1
ssl = {ssl}
{ssl_lines}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_username_format = %Ln
# failed logins answer after ~0.5 s instead of 2+ s (and growing)
auth_failure_delay = 0
# default 10 per user+IP: tests with many parallel connections would get refused
mail_max_userip_connections = 100
log_path = {root}/log/dovecot.log
info_log_path = {root}/log/dovecot.log
first_valid_uid = 1
mail_location = maildir:~/Maildir
mail_fsync = {fsync}
# the whole instance runs as this account; no chroot (needs root)
default_login_user = {user}
default_internal_user = {user}
default_internal_group = {group}

passdb {{
  driver = passwd-file
  # one file per user: a user added while running is seen at once
  # (a single shared passwd-file is re-checked at most once a second)
  args = scheme=PLAIN username_format=%n {root}/users/%n
}}
userdb {{
  driver = passwd-file
  args = username_format=%n {root}/users/%n
  default_fields = home={root}/mail/%n
}}

namespace inbox {{
  inbox = yes
  separator = /
  mailbox Drafts {{
    special_use = \\Drafts
    auto = subscribe
  }}
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
  mailbox Trash {{
    special_use = \\Trash
    auto = subscribe
  }}
  mailbox Junk {{
    special_use = \\Junk
    auto = subscribe
  }}
  mailbox Archive {{
    special_use = \\Archive
    auto = subscribe
  }}
}}

service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
  }}
}}
service lmtp {{
  unix_listener lmtp {{
    path = lmtp
    mode = 0666
  }}
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp_port}
  }}
}}
service anvil {{
  chroot =
  # disables the per-IP auth penalty (after a failed login every next login
  # from 127.0.0.1 would wait 4..15 s)
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service ipc {{
  chroot =
}}
service old-stats {{
  chroot =
}}
"""


_LIBC = ctypes.CDLL("libc.so.6", use_errno=True)  # load here: the child may not read /root/... after setuid


def _die_with_parent() -> None:
    """preexec_fn (runs after the uid switch): SIGTERM the Dovecot master if the test process dies."""
    PR_SET_PDEATHSIG = 1
    _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class DovecotServer:
    def __init__(self, users: dict[str, str], root: str | os.PathLike | None = None,
                 fsync: bool = False, tls_cert: str | None = None, tls_key: str | None = None,
                 run_as_if_root: tuple[str, str] = ("nobody", "nogroup")):
        # root must be reachable by the run-as account: pytest's tmp_path lives under
        # /tmp/pytest-of-root (mode 0700), which 'nobody' cannot enter -> use /tmp directly.
        self._own_root = root is None
        self.root = Path(root) if root else Path(tempfile.mkdtemp(prefix="dovecot-test-"))
        self.users = dict(users)
        self.fsync = fsync
        self.tls_cert, self.tls_key = tls_cert, tls_key
        if os.geteuid() == 0:
            self.run_user, self.run_group = run_as_if_root
        else:
            self.run_user = pwd.getpwuid(os.getuid()).pw_name
            self.run_group = grp.getgrgid(os.getgid()).gr_name
        self.proc: subprocess.Popen | None = None
        self.imap_port = self.imaps_port = self.lmtp_port = 0

    # -- paths -------------------------------------------------------------
    @property
    def conf(self) -> Path:
        return self.root / "dovecot.conf"

    @property
    def lmtp_socket(self) -> str:
        return str(self.root / "run" / "lmtp")

    @property
    def log(self) -> Path:
        return self.root / "log" / "dovecot.log"

    def maildir(self, user: str) -> Path:
        return self.root / "mail" / user / "Maildir"

    # -- lifecycle -----------------------------------------------------------
    def write_passwd(self) -> None:
        d = self.root / "users"
        d.mkdir(exist_ok=True)
        for u, pw in self.users.items():
            (d / u).write_text(f"{u}:{{PLAIN}}{pw}::::::\n")

    def add_user(self, user: str, password: str) -> None:
        self.users[user] = password
        self.write_passwd()
        self._chown()

    def _chown(self) -> None:
        if os.geteuid() != 0:
            return
        uid = pwd.getpwnam(self.run_user).pw_uid
        gid = grp.getgrnam(self.run_group).gr_gid
        for dirpath, dirnames, filenames in os.walk(self.root):
            os.chown(dirpath, uid, gid)
            for name in filenames:
                os.lchown(os.path.join(dirpath, name), uid, gid)

    def start(self, timeout: float = 15.0) -> "DovecotServer":
        check_version()
        for d in ("run", "state", "log", "mail", "users"):
            (self.root / d).mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        self.imap_port, self.lmtp_port = free_port(), free_port()
        self.imaps_port = free_port() if self.tls_cert else 0
        ssl_lines = ""
        if self.tls_cert:
            # copy so the run-as account can read them (a root-owned 0600 key is not readable)
            (self.root / "tls").mkdir(exist_ok=True)
            shutil.copy(self.tls_cert, self.root / "tls" / "cert.pem")
            shutil.copy(self.tls_key, self.root / "tls" / "key.pem")
            ssl_lines = f"ssl_cert = <{self.root}/tls/cert.pem\nssl_key = <{self.root}/tls/key.pem\n"
        self.conf.write_text(CONF_TEMPLATE.format(
            root=self.root, instance=f"dovecot-test-{self.imap_port}",
            ssl="yes" if self.tls_cert else "no", ssl_lines=ssl_lines,
            fsync="optimized" if self.fsync else "never",
            user=self.run_user, group=self.run_group,
            imap_port=self.imap_port, imaps_port=self.imaps_port, lmtp_port=self.lmtp_port))
        self.write_passwd()
        self._chown()
        kw = {}
        if os.geteuid() == 0:
            kw = dict(user=self.run_user, group=self.run_group, extra_groups=[])
        t0 = time.monotonic()
        # -F: stay in the foreground, so self.proc.pid is the master's pid
        with open(self.root / "log" / "master.out", "wb") as out:  # early errors land here
            self.proc = subprocess.Popen([DOVECOT, "-F", "-c", str(self.conf)],
                                         stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True,
                                         preexec_fn=_die_with_parent, **kw)
        try:
            self._wait_banner(("127.0.0.1", self.imap_port), b"* OK", t0 + timeout)
            self._wait_banner(("127.0.0.1", self.lmtp_port), b"220 ", t0 + timeout)
        except Exception:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - t0
        return self

    def _wait_banner(self, addr, prefix: bytes, deadline: float) -> None:
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                out = (self.root / "log" / "master.out").read_text(errors="replace")
                raise RuntimeError(f"dovecot exited {self.proc.returncode}: {out}\n{self._log_tail()}")
            try:
                with socket.create_connection(addr, timeout=2) as s:
                    if s.recv(200).startswith(prefix):
                        return
            except OSError as e:
                last = e
            time.sleep(0.02)
        raise TimeoutError(f"dovecot not ready on {addr}: {last}\n{self._log_tail()}")

    def _log_tail(self, n: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def stop(self, timeout: float = 10.0) -> None:
        if not self.proc or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)  # master stops its children and exits
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)  # our own session only
            self.proc.wait()

    def cleanup(self) -> None:
        """Stop and delete the instance directory (only if we created it)."""
        self.stop()
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def errors_in_log(self) -> list[str]:
        return [l for l in self._log_tail(10**9).splitlines() if ": Error:" in l or ": Fatal:" in l or ": Panic:" in l]

    def doveadm(self, *args: str) -> str:
        """Run doveadm against this instance, as its run user (root is refused)."""
        kw: dict = {}
        if os.geteuid() == 0:
            kw = dict(user=self.run_user, group=self.run_group, extra_groups=[])
        return subprocess.run(["doveadm", "-c", str(self.conf), *args], capture_output=True, text=True,
                              check=True, timeout=30, **kw).stdout

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
