"""A private, throw-away Cyrus IMAP 3.6 (Debian 12) on 127.0.0.1 for tests, set up as Fastmail
names things: separator `.`, folders at the top level (altnamespace), and the autocreated
special folders flagged in lower case (`\\sent`, `\\drafts`), as Cyrus lists them.

Owns: the instance directory (its own mkdtemp, in /dev/shm where it can), imapd.conf and
cyrus.conf, the `master` process, users (a sasldb of its own) and the unpacked `imapd`.

Debian's `cyrus-imapd` package conflicts with `dovecot-imapd`, so it is never installed: its
.deb is downloaded (`apt-get download`) and unpacked (`dpkg -x`) into a cache under /tmp, once,
and only `imapd` is taken from it. `cyrus-common` (master, lmtpd, ctl_cyrusdb and the libraries)
and `sasl2-bin` (saslpasswd2) install normally; scripts/test installs them with
--no-install-recommends (without it apt would pull in cyrus-imapd and remove Dovecot).

As root, master drops to the `cyrus` user, so the instance directory is given to it.
"""

from __future__ import annotations

import fcntl
import grp
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from tests.infra.banner import wait_banner
from tests.infra.dovecot import free_port
from tests.infra.process import die_with_parent, end, kill

CYRUS_BIN = Path("/usr/lib/cyrus/bin")  # cyrus-common
CACHE = Path(tempfile.gettempdir()) / "inbox-agent-cyrus-imapd"  # the unpacked cyrus-imapd
REALM = "cyrus.test"
ADMIN, ADMIN_PASSWORD = "cyrusadmin", "admin-secret"
SPECIAL = ("Drafts", "Sent", "Trash", "Junk", "Archive")

IMAPD_CONF = """\
configdirectory: {root}/conf
partition-default: {root}/spool
defaultpartition: default
servername: {realm}
admins: {admin}
allowplaintext: yes
sasl_mech_list: PLAIN LOGIN
sasl_pwcheck_method: auxprop
sasl_auxprop_plugin: sasldb
sasl_sasldb_path: {root}/conf/sasldb2
unixhierarchysep: no
altnamespace: yes
autocreate_quota: 0
autocreate_post: 1
autocreate_inbox_folders: {special}
autocreate_subscribe_folders: {special}
xlist-drafts: Drafts
xlist-sent: Sent
xlist-trash: Trash
xlist-junk: Junk
xlist-archive: Archive
specialusealways: 1
# IDLE without idled polls the mailbox this often (seconds; the default is 60)
imapidlepoll: 1
lmtp_downcase_rcpt: 1
virtdomains: off
temp_path: {root}/run
mboxname_lockpath: {root}/run/lock
proc_path: {root}/run/proc
idlesocket: {root}/conf/socket/idle
notifysocket: {root}/conf/socket/notify
lmtpsocket: {root}/conf/socket/lmtp
syslog_prefix: cyrus-test-{imap_port}
"""

CYRUS_CONF = """\
START {{
  recover cmd="{bin}/ctl_cyrusdb -C {root}/imapd.conf -r"
}}
SERVICES {{
  imap cmd="{imapd} -C {root}/imapd.conf" listen="127.0.0.1:{imap_port}" prefork=0
  lmtp cmd="{bin}/lmtpd -C {root}/imapd.conf -a" listen="127.0.0.1:{lmtp_port}" prefork=0
}}
EVENTS {{
}}
DAEMON {{
}}
"""


class CyrusUnavailable(RuntimeError):
    """Cyrus cannot run here; the message says why and what to install."""


def _version(package: str) -> str:
    done = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status} ${Version}", package],
        capture_output=True,
        text=True,
        timeout=10,
    )
    status, _, version = done.stdout.rpartition(" ")
    return version if done.returncode == 0 and status == "install ok installed" else ""


def imapd_binary(cache: Path = CACHE) -> Path:
    """The `imapd` of the cyrus-imapd .deb that matches the installed cyrus-common, unpacked
    into `cache` (downloaded once; a lock keeps parallel test processes from racing)."""
    common = _version("cyrus-common")
    if not common or not (CYRUS_BIN / "master").exists():
        raise CyrusUnavailable(
            "cyrus-common is not installed; run scripts/test, or apt-get install "
            "--no-install-recommends cyrus-common sasl2-bin (never without "
            "--no-install-recommends: apt would replace Dovecot with cyrus-imapd)"
        )
    if not shutil.which("saslpasswd2"):
        raise CyrusUnavailable("saslpasswd2 is missing; apt-get install sasl2-bin")
    unpacked = cache / common / "usr" / "lib" / "cyrus" / "bin" / "imapd"
    if unpacked.exists():
        return unpacked
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if unpacked.exists():
            return unpacked
        work = Path(tempfile.mkdtemp(prefix="download-", dir=cache))
        try:
            got = subprocess.run(
                ["apt-get", "download", f"cyrus-imapd={common}"],
                cwd=work,
                capture_output=True,
                text=True,
                timeout=120,
            )
            debs = list(work.glob("cyrus-imapd_*.deb"))
            if got.returncode != 0 or not debs:
                raise CyrusUnavailable(
                    f"apt-get download cyrus-imapd={common} failed ({got.stderr.strip()[-300:]}); "
                    "run apt-get update, or check the network"
                )
            target = work / "root"
            subprocess.run(
                ["dpkg", "-x", str(debs[0]), str(target)],
                check=True,
                capture_output=True,
                timeout=60,
            )
            if not (target / unpacked.relative_to(cache / common)).exists():
                raise CyrusUnavailable(f"{debs[0].name} holds no usr/lib/cyrus/bin/imapd")
            shutil.rmtree(cache / common, ignore_errors=True)
            os.replace(target, cache / common)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return unpacked


def _memory_dir() -> str | None:
    """/dev/shm where it can be written, else None (the usual temporary folder). Cyrus syncs
    to disk every mailbox it creates and has no switch against it: a new user's first login
    takes 0.6 s on disk and 0.04 s in memory, and a throw-away instance has nothing to lose."""
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK) else None


class CyrusServer:
    """One private Cyrus instance: IMAP and LMTP on loopback ports."""

    def __init__(self) -> None:
        self.imapd = imapd_binary()
        self.root = Path(tempfile.mkdtemp(prefix="cyrus-test-", dir=_memory_dir()))
        self.users: dict[str, str] = {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.imap_port = self.lmtp_port = 0
        self.startup_seconds = 0.0

    @property
    def conf(self) -> Path:
        return self.root / "imapd.conf"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def add_user(self, user: str, password: str) -> None:
        """Create (or re-password) a user; their INBOX and the special folders are made at
        their first login or delivery."""
        self.users[user] = password
        subprocess.run(
            [
                "saslpasswd2",
                "-p",
                "-c",
                "-f",
                str(self.root / "conf" / "sasldb2"),
                "-u",
                REALM,
                user,
            ],
            input=password.encode(),
            check=True,
            capture_output=True,
            timeout=30,
        )
        self._chown(self.root / "conf" / "sasldb2")

    def rename_special(self, user: str) -> None:
        """The trap of issue 13's bug 12, as a user's client leaves it: the flagged folders
        renamed (Drafts -> Brouillons, Sent -> Sent Items; the lower-case flags go with them)
        and unflagged folders created under the English names."""
        from imapclient import IMAPClient

        with IMAPClient("127.0.0.1", port=self.imap_port, ssl=False, timeout=10) as client:
            client.login(user, self.users[user])
            client.rename_folder("Drafts", "Brouillons")
            client.rename_folder("Sent", "Sent Items")
            client.create_folder("Drafts")
            client.create_folder("Sent")

    def _chown(self, path: Path) -> None:
        if os.geteuid() == 0:
            os.chown(path, pwd.getpwnam("cyrus").pw_uid, grp.getgrnam("mail").gr_gid)

    def start(self, timeout: float = 20.0) -> CyrusServer:
        for d in ("conf/socket", "spool", "run"):
            (self.root / d).mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        self.imap_port, self.lmtp_port = free_port(), free_port()
        values = {
            "root": self.root,
            "realm": REALM,
            "admin": ADMIN,
            "special": " | ".join(SPECIAL),
            "imap_port": self.imap_port,
            "lmtp_port": self.lmtp_port,
            "bin": CYRUS_BIN,
            "imapd": self.imapd,
        }
        self.conf.write_text(IMAPD_CONF.format(**values))
        (self.root / "cyrus.conf").write_text(CYRUS_CONF.format(**values))
        self.add_user(ADMIN, ADMIN_PASSWORD)
        if os.geteuid() == 0:
            for dirpath, _dirs, files in os.walk(self.root):
                self._chown(Path(dirpath))
                for name in files:
                    self._chown(Path(dirpath, name))
        t0 = time.monotonic()
        with open(self.root / "run" / "master.out", "ab") as out:
            self.proc = subprocess.Popen(
                [
                    str(CYRUS_BIN / "master"),
                    "-C",
                    str(self.conf),
                    "-M",
                    str(self.root / "cyrus.conf"),
                    "-p",
                    str(self.root / "run" / "master.pid"),
                    "-D",
                ],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        try:
            self._wait_banner(self.imap_port, b"* OK", t0 + timeout)
            self._wait_banner(self.lmtp_port, b"220 ", t0 + timeout)
        except Exception:
            self.kill()
            raise
        self.startup_seconds = time.monotonic() - t0
        return self

    def _wait_banner(self, port: int, prefix: bytes, deadline: float) -> None:
        assert self.proc is not None

        def exited(code: int) -> str:
            out = (self.root / "run" / "master.out").read_text(errors="replace")
            return (
                f"cyrus master exited {code}: {out[-2000:]} (Cyrus logs to "
                f"syslog only; `strace -f -e trace=execve,exit_group` finds a missing binary)"
            )

        wait_banner(
            self.proc,
            ("127.0.0.1", port),
            prefix,
            deadline,
            exited,
            lambda last: f"cyrus not ready on 127.0.0.1:{port}: {last}",
        )

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the master (its children exit with it); SIGKILL after `timeout`."""
        if self.proc is not None:
            end(self.proc, timeout, group=True)

    def kill(self) -> None:
        """SIGKILL the master and every child at once."""
        if self.proc is not None:
            kill(self.proc, group=True)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> CyrusServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cleanup()
