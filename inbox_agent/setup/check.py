"""`inbox-agent check`: log in to IMAP and SMTP (sending nothing), list what will be used, test
the LLM endpoint and model.

Every part is tried even when an earlier one failed, so one run shows everything. A failure is a
Finding with one line that names the cause and one that names the fix; the exit code is the worst
part's, and each error class says its own: 3 for a mail server that refused the login or could
not be reached, 2 for anything the user fixes in the config or the keyring (a Sent or Drafts
folder that cannot be found, too).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from inbox_agent.config import Account, Settings, providers, secrets
from inbox_agent.errors import SendFailure, UserError
from inbox_agent.sender.smtp import Submission, smtp_login
from inbox_agent.sync import imap
from inbox_agent.sync.failures import EDGE_ERRORS
from inbox_agent.sync.folders import discover_folders

TIMEOUT = 20.0


@dataclass
class Finding:
    part: str  # "imap", "smtp", "llm"
    account: str
    ok: bool
    summary: str
    details: list[str] = field(default_factory=list)
    fix: str = ""
    exit_code: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _failed(part: str, account: str, exc: UserError) -> Finding:
    return Finding(
        part, account, False, exc.message, fix=exc.fix, exit_code=getattr(exc, "exit_code", 2)
    )


def _auth_words(account: Account) -> str:
    return f"OAuth ({account.oauth.server.name})" if account.oauth else "a password"


def provider_facts(account: Account) -> list[str]:
    """What the preset says about the server, and what that means here, in a person's words."""
    preset = account.preset
    facts = [
        "Sent copy: the server files one itself (saves_sent = true)"
        if account.smtp_saves_sent
        else "Sent copy: inbox-agent appends one after sending (saves_sent = false)"
    ]
    if preset is providers.GENERIC:
        return facts
    quirks = []
    if preset.rewrites_message_id:
        quirks.append("rewrites the Message-ID of mail sent by SMTP")
    if preset.thread_id:
        quirks.append(f"has server thread ids ({preset.thread_id})")
    if preset.condstore is False:
        quirks.append("no CONDSTORE: polls compare UIDNEXT and message counts")
    if preset.max_connections:
        quirks.append(f"allows about {preset.max_connections} IMAP connections at once")
    return facts + [f"{preset.name}: {q}" for q in [*quirks, *preset.notes]]


def check_imap(account: Account, secret: str) -> Finding:
    server = account.imap
    where = f"IMAP {server.host}:{server.port}"
    try:
        with imap.session(account, secret) as mailbox:
            caps = sorted(mailbox.capabilities())
            folders = discover_folders(mailbox, account)
    except UserError as exc:
        return _failed("imap", account.name, exc)
    except EDGE_ERRORS as exc:  # after the login: the connection broke, or the server said NO
        return Finding(
            "imap",
            account.name,
            False,
            f"the connection to {server.host}:{server.port} broke ({exc})",
            fix=f"check [imap] in {account.path} and your network, then run check again",
            exit_code=3,
        )
    details = [
        f"capabilities: {' '.join(caps)}",
        f"folders: inbox={folders.inbox} sent={folders.sent} drafts={folders.drafts} "
        f"others={list(folders.others)}",
        "watched: " + ", ".join(name for name, _role in folders.watched()),
        *(f"{role}: {name} ({why})" for role, name, why in folders.why),
    ]
    expected = {"X-GM-THRID": "X-GM-EXT-1"}.get(account.preset.thread_id, "")
    if expected and expected not in caps:
        details.append(f"note: {expected} is not offered, so threads go by headers alone")
    details += provider_facts(account)
    return Finding(
        "imap",
        account.name,
        True,
        f"{where} ok: logged in as {server.username} with {_auth_words(account)}",
        details,
    )


def check_smtp(account: Account, secret: str) -> Finding:
    server = account.smtp
    where = f"SMTP {server.host}:{server.port}"
    try:
        smtp_login(account, secret)  # a sign-in that cannot be renewed is told as itself
    except UserError as exc:
        return _failed("smtp", account.name, exc)
    try:
        with Submission(account, secret, TIMEOUT) as session:
            session.open()  # connects and signs in; closing sends QUIT, and nothing is sent
    except SendFailure as exc:
        return _failed("smtp", account.name, exc)
    return Finding(
        "smtp",
        account.name,
        True,
        f"{where} ok: logged in as {server.username} with {_auth_words(account)}, nothing sent",
    )


def check_account(account: Account) -> list[Finding]:
    try:
        secret = secrets.require_secret(account.name, "imap")
        smtp_secret = secrets.require_secret(account.name, "smtp")
    except UserError as exc:
        problem = exc
        if account.auth == "oauth2" and not secrets.get_secret(account.name, "imap"):
            problem = UserError(
                f"no OAuth sign-in is stored for account {account.name!r}",
                f"sign in: `inbox-agent init --oauth --account {account.name}`",
            )
        return [_failed("keyring", account.name, problem)]
    return [check_imap(account, secret), check_smtp(account, smtp_secret)]


def check_llm(settings: Settings, account: str) -> Finding:
    llm = settings.llm
    if not llm.enabled:
        return Finding(
            "llm", "", True, "LLM: none configured; nudges are written by the offline drafter"
        )
    import openai  # only when an endpoint is configured: it is slow to import

    key = secrets.get_secret(account, "llm") or "not-needed"
    client = openai.OpenAI(base_url=llm.base_url, api_key=key, timeout=llm.timeout_s, max_retries=0)
    where = f"LLM {llm.base_url}"
    fix = f"check [llm] in {settings.path} (and `inbox-agent secret set llm llm` for a key), or remove [llm] to use offline drafts"
    try:
        names = [m.id for m in client.models.list().data]
    except openai.NotFoundError:  # no /models here: ask the model itself, for one token
        names = []
        try:
            client.chat.completions.create(
                model=llm.model, messages=[{"role": "user", "content": "Say OK."}], max_tokens=1
            )
        except openai.OpenAIError as exc:
            return Finding(
                "llm",
                "",
                False,
                f"{where} failed with model {llm.model!r}: {exc}",
                fix=fix,
                exit_code=2,
            )
    except openai.AuthenticationError as exc:
        return Finding(
            "llm",
            "",
            False,
            f"{where} refused the API key ({exc.status_code})",
            fix="store the right key with `inbox-agent secret set llm llm`",
            exit_code=2,
        )
    except openai.OpenAIError as exc:
        return Finding("llm", "", False, f"{where} failed: {exc}", fix=fix, exit_code=2)
    if names and llm.model not in names:
        shown = ", ".join(names[:5]) + (" ..." if len(names) > 5 else "")
        return Finding(
            "llm",
            "",
            False,
            f"{where} does not serve the model {llm.model!r} (it has: {shown})",
            fix=f"set [llm] model in {settings.path} to one of those, or load the model on the server (e.g. `ollama pull {llm.model}`)",
            exit_code=2,
        )
    return Finding("llm", "", True, f"{where} ok (model {llm.model})")


def run(accounts: Sequence[Account], settings: Settings) -> list[Finding]:
    findings: list[Finding] = []
    for account in accounts:
        findings += check_account(account)
    findings.append(check_llm(settings, accounts[0].name if accounts else ""))
    return findings


def exit_code(findings: Sequence[Finding]) -> int:
    return max((f.exit_code for f in findings if not f.ok), default=0)


def render(findings: Sequence[Finding], several: bool) -> list[tuple[bool, str]]:
    """The lines to print, in the order of the parts: (is it for stderr, line)."""
    lines: list[tuple[bool, str]] = []
    for f in findings:
        prefix = f"{f.account}: " if several and f.account else ""
        if f.ok:
            lines.append((False, prefix + f.summary))
            lines += [(False, f"  {line}") for line in f.details]
        else:
            label = {"keyring": "", "llm": ""}.get(f.part, f"{f.part.upper()}: ")
            lines.append((True, f"error: {prefix}{label}{f.summary}"))
            if f.fix:
                lines.append((True, f"  fix: {f.fix}"))
    return lines


def show(findings: Sequence[Finding], several: bool) -> None:
    for to_stderr, line in render(findings, several):
        print(line, file=sys.stderr if to_stderr else sys.stdout, flush=True)


__all__ = ["Finding", "check_account", "check_llm", "exit_code", "render", "run", "show"]
