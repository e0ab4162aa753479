"""A private, throw-away Dovecot 2.3 (Debian 12) on 127.0.0.1 for tests.

Owns: the instance directory (its own mkdtemp under /tmp), the config, the process, users
(one passwd-file each) and `doveadm` on the instance. Needs the Debian packages dovecot-core,
dovecot-imapd and dovecot-lmtpd (scripts/test installs them). It never reads /etc/dovecot.

Works as root and as an ordinary user. Dovecot refuses mail access with uid 0 ("userdb returned
0 as uid", only at the first mailbox command), so when the caller is root the whole instance
runs as nobody:nogroup and its directory is chowned to that account.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from tests.infra.banner import wait_banner
from tests.infra.process import die_with_parent, end, kill

CONF_TEMPLATE_2_3 = """\
# Private test instance -- never reads /etc/dovecot
base_dir = {root}/run
state_dir = {root}/state
instance_name = {instance}
protocols = imap lmtp
listen = 127.0.0.1
ssl = {ssl}
{ssl_lines}
disable_plaintext_auth = no
auth_mechanisms = plain login{extra_mechanisms}
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

{oauth2_passdb}passdb {{
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


def dovecot_binary() -> str:
    """Path of the `dovecot` executable, or a RuntimeError that says how to install it."""
    found = shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin:/sbin")
    if not found:
        raise RuntimeError(
            "dovecot is not installed; run scripts/test (it installs the Debian packages) or "
            "apt-get install dovecot-core dovecot-imapd dovecot-lmtpd"
        )
    return found


def dovecot_version() -> str:
    """The installed Dovecot version, e.g. "2.3.19.1"."""
    out = subprocess.run(
        [dovecot_binary(), "--version"], capture_output=True, text=True, check=True, timeout=10
    ).stdout
    return out.split()[0]


def check_version() -> None:
    """Fail clearly when the installed Dovecot is not the 2.3 the template is written for."""
    version = dovecot_version()
    if not version.startswith("2.3."):
        raise RuntimeError(
            f"Dovecot {version} is installed, but the test config template in "
            "tests/infra/dovecot.py is for Dovecot 2.3 (Debian 12, bookworm). Dovecot 2.4 "
            "(Debian 13) needs dovecot_config_version, auth_allow_cleartext, mail_driver/"
            "mail_path and a new passdb/userdb syntax: port CONF_TEMPLATE_2_3 first."
        )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class DovecotServer:
    """One private Dovecot instance: IMAP (and IMAPS with a cert) plus LMTP on loopback."""

    def __init__(
        self,
        users: dict[str, str] | None = None,
        root: str | os.PathLike[str] | None = None,
        fsync: bool = False,
        tls_cert: str | None = None,
        tls_key: str | None = None,
        run_as_if_root: tuple[str, str] = ("nobody", "nogroup"),
        oauth2_introspection_url: str | None = None,
    ) -> None:
        # Not pytest's tmp_path: /tmp/pytest-of-root is 0700 and `nobody` cannot enter it.
        self._own_root = root is None
        self.root = Path(root) if root else Path(tempfile.mkdtemp(prefix="dovecot-test-"))
        # The live user table; the SMTP relay is handed this same dict so both see new users.
        self.users: dict[str, str] = dict(users or {})
        self.fsync = fsync
        self.tls_cert, self.tls_key = tls_cert, tls_key
        # Opt-in: XOAUTH2/OAUTHBEARER logins whose bearer token Dovecot's oauth2 passdb checks
        # by POSTing it to this introspection URL; the default config does not change.
        self.oauth2_introspection_url = oauth2_introspection_url
        if os.geteuid() == 0:
            self.run_user, self.run_group = run_as_if_root
        else:
            self.run_user = pwd.getpwuid(os.getuid()).pw_name
            self.run_group = grp.getgrgid(os.getgid()).gr_name
        self.proc: subprocess.Popen[bytes] | None = None
        self.imap_port = self.imaps_port = self.lmtp_port = 0
        self.startup_seconds = 0.0

    # -- paths -------------------------------------------------------------------------------
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

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    # -- users -------------------------------------------------------------------------------
    def add_user(self, user: str, password: str) -> None:
        """Create (or re-password) a user; visible to IMAP, LMTP and the SMTP relay at once."""
        if not user or "/" in user or ":" in user or user != user.lower():
            raise ValueError(f"user name must be lower-case without '/' or ':': {user!r}")
        self.users[user] = password
        if self.imap_port:  # before start(), start() writes every user's file
            self._write_user(user)

    def _write_user(self, user: str) -> None:
        path = self.root / "users" / user
        path.write_text(f"{user}:{{PLAIN}}{self.users[user]}::::::\n")
        self._chown_one(path)

    # -- ownership ---------------------------------------------------------------------------
    def _ids(self) -> tuple[int, int]:
        return pwd.getpwnam(self.run_user).pw_uid, grp.getgrnam(self.run_group).gr_gid

    def _chown_one(self, path: Path) -> None:
        if os.geteuid() == 0:
            os.lchown(path, *self._ids())

    def chown_tree(self) -> None:
        """Give the whole instance dir to the run user (after writing Maildir files directly)."""
        if os.geteuid() != 0:
            return
        uid, gid = self._ids()
        for dirpath, _dirnames, filenames in os.walk(self.root):
            os.chown(dirpath, uid, gid)
            for name in filenames:
                os.lchown(os.path.join(dirpath, name), uid, gid)

    def _run_as(self) -> dict[str, Any]:
        if os.geteuid() == 0:
            return {"user": self.run_user, "group": self.run_group, "extra_groups": []}
        return {}

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self, timeout: float = 15.0) -> DovecotServer:
        """Write the config on fresh free ports and start; returns when IMAP and LMTP greet."""
        check_version()
        for d in ("run", "state", "log", "mail", "users"):
            (self.root / d).mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        self.imap_port, self.lmtp_port = free_port(), free_port()
        self.imaps_port = free_port() if self.tls_cert else 0
        ssl_lines = ""
        if self.tls_cert and self.tls_key:
            # copied so the run user can read them (a root-owned 0600 key is not readable)
            (self.root / "tls").mkdir(exist_ok=True)
            shutil.copy(self.tls_cert, self.root / "tls" / "cert.pem")
            shutil.copy(self.tls_key, self.root / "tls" / "key.pem")
            ssl_lines = (
                f"ssl_cert = <{self.root}/tls/cert.pem\nssl_key = <{self.root}/tls/key.pem\n"
            )
        self.conf.write_text(
            CONF_TEMPLATE_2_3.format(
                root=self.root,
                instance=f"dovecot-test-{self.imap_port}",
                ssl="yes" if self.tls_cert else "no",
                ssl_lines=ssl_lines,
                fsync="optimized" if self.fsync else "never",
                user=self.run_user,
                group=self.run_group,
                imap_port=self.imap_port,
                imaps_port=self.imaps_port,
                lmtp_port=self.lmtp_port,
                **self._oauth2_lines(),
            )
        )
        for user in self.users:
            self._write_user(user)
        self.chown_tree()
        self._launch(timeout)
        return self

    def _oauth2_lines(self) -> dict[str, str]:
        if not self.oauth2_introspection_url:
            return {"extra_mechanisms": "", "oauth2_passdb": ""}
        ext = self.root / "oauth2.conf.ext"
        ext.write_text(
            f"introspection_mode = post\n"
            f"introspection_url = {self.oauth2_introspection_url}\n"
            "force_introspection = yes\n"
            "username_attribute = username\n"
            "username_format = %Ln\n"
            "active_attribute = active\n"
            "active_value = true\n"
        )
        passdb = f"passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = {ext}\n}}\n"
        return {"extra_mechanisms": " xoauth2 oauthbearer", "oauth2_passdb": passdb}

    def _launch(self, timeout: float) -> None:
        t0 = time.monotonic()
        # -F keeps the master in the foreground, so proc.pid is the master; its own session
        # makes its process group ours to kill and nobody else's.
        with open(self.root / "log" / "master.out", "ab") as out:  # early errors land here
            self.proc = subprocess.Popen(
                [dovecot_binary(), "-F", "-c", str(self.conf)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent,
                **self._run_as(),
            )
        try:
            # The IMAP greeting, not a bare connect: imap-login holds it until auth is ready.
            self._wait_banner(("127.0.0.1", self.imap_port), b"* OK", t0 + timeout)
            self._wait_banner(("127.0.0.1", self.lmtp_port), b"220 ", t0 + timeout)
        except Exception:
            self.kill()
            raise
        self.startup_seconds = time.monotonic() - t0

    def _wait_banner(self, addr: tuple[str, int], prefix: bytes, deadline: float) -> None:
        assert self.proc is not None

        def exited(code: int) -> str:
            out = (self.root / "log" / "master.out").read_text(errors="replace")
            return f"dovecot exited {code}: {out}\n{self._log_tail()}"

        wait_banner(
            self.proc,
            addr,
            prefix,
            deadline,
            exited,
            lambda last: f"dovecot not ready on {addr}: {last}\n{self._log_tail()}",
        )

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the master (it ends its children; takes ~1.1 s); SIGKILL after `timeout`."""
        if self.proc is not None:
            end(self.proc, timeout, group=True)

    def kill(self) -> None:
        """SIGKILL the master and every child at once: a crash, for fault tests."""
        if self.proc is not None:
            kill(self.proc, group=True)

    def restart(self, timeout: float = 15.0) -> None:
        """Stop (if running) and start again on the same ports, config and mail."""
        if not self.imap_port:
            raise RuntimeError("restart() before start()")
        self.stop()
        self._launch(timeout)

    def cleanup(self) -> None:
        """Stop and delete the instance directory (only if this object created it)."""
        self.stop()
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    # -- inspection --------------------------------------------------------------------------
    def _log_tail(self, n: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def errors_in_log(self) -> list[str]:
        """Error, Fatal and Panic lines of the instance log."""
        markers = (": Error:", ": Fatal:", ": Panic:")
        return [
            line for line in self._log_tail(10**9).splitlines() if any(m in line for m in markers)
        ]

    def doveadm(self, *args: str, check: bool = True) -> str:
        """Run `doveadm -c <conf> ARGS` as the run user (as root it cannot drop privileges)."""
        result = subprocess.run(
            ["doveadm", "-c", str(self.conf), *args],
            capture_output=True,
            text=True,
            timeout=30,
            **self._run_as(),
        )
        if check and result.returncode != 0:
            raise RuntimeError(
                f"doveadm {' '.join(args)} exited {result.returncode}: {result.stderr.strip()}"
            )
        return str(result.stdout)

    def __enter__(self) -> DovecotServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cleanup()
