"""The user's LLM as a second opinion on the messages the rules left unsure, and on those only:
one short call per message, kept with its facts (a second cycle asks nothing), none with
`[tracking] ask_llm = false`, none for a message the rules decided, and a failing endpoint
leaves the message unsure for the user. Against the loopback OpenAI-compatible server, on the
in-memory mailbox."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from inbox_agent import clock, config, paths
from inbox_agent.cadence import add_business_days
from inbox_agent.config import LlmConfig
from inbox_agent.drafter import LlmDrafter
from inbox_agent.engine import Engine
from inbox_agent.store import Store
from inbox_agent.sync.memory import MemoryMailbox

ALICE, BOB = "alice@example.test", "bob@example.test"
UNSURE = (
    "Bob,\r\n\r\nThe board met this morning. The budget passed as drafted. Two of the new hires "
    "start in March. The Denver office moves in April.\r\n\r\nAlice\r\n"
)
ASKS = "Bob,\r\n\r\nCould you send me the signed contract?\r\n\r\nAlice\r\n"
THANKS = "Thanks, that's perfect.\r\n"


def _mail(mid: str, subject: str, body: str, when: datetime) -> bytes:
    return (
        f"Message-ID: <{mid}@example.test>\r\nFrom: {ALICE}\r\nTo: {BOB}\r\nSubject: {subject}\r\n"
        f"Date: {format_datetime(when)}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}"
    ).encode()


def _world(llm: Any, ask_llm: bool = True, db: str = "a.db") -> tuple[MemoryMailbox, Engine]:
    mailbox = MemoryMailbox()
    mailbox.create_folder("Sent", "\\Sent")
    mailbox.create_folder("Drafts", "\\Drafts")
    sent = datetime.now(UTC).replace(microsecond=0)
    for mid, subject, body in (
        ("u", "Board", UNSURE),
        ("a", "Contract", ASKS),
        ("t", "Re: x", THANKS),
    ):
        mailbox.deliver("Sent", _mail(mid, subject, body, sent), ["\\Seen"], sent)
    path = paths.accounts_dir() / "main.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'email = "{ALICE}"\n[imap]\nhost = "127.0.0.1"\nsecurity = "none"\n'
        f'[smtp]\nhost = "127.0.0.1"\nsecurity = "none"\n'
        f"[tracking]\nask_llm = {str(ask_llm).lower()}\n"
    )
    settings = config.load_settings()
    drafter = LlmDrafter(LlmConfig(llm.base_url, "test-model", timeout_s=5), "sk-test")
    engine = Engine(
        config.load_account(path, settings),
        settings,
        Store(paths.data_dir() / db),
        drafter,
        opener=lambda _account: nullcontext(mailbox),
    )
    clock.set_now(sent)
    return mailbox, engine


def _states(engine: Engine) -> dict[str, str]:
    return {a.thread.key: a.state for a in engine.assessments()}


def test_only_the_unsure_message_is_asked_once_and_its_answer_kept(
    agent_home: Path, llm_server: Any
) -> None:
    llm_server.enqueue(text="expects")
    _mailbox, engine = _world(llm_server)
    engine.tick()
    [asked] = llm_server.chat_requests  # one call, for the unsure message alone
    assert "The board met this morning." in asked["body"]["messages"][1]["content"]
    assert asked["body"]["max_tokens"] == 5
    engine.tick()
    assert len(llm_server.chat_requests) == 1  # kept with its facts: never asked again
    reasons = {a.thread.key: a.reason for a in engine.assessments()}
    assert "your LLM says it asks for an answer" in reasons["<u@example.test>"]
    clock.set_now(add_business_days(clock.now(), 4))
    try:
        assert _states(engine)["<u@example.test>"] != "unsure"
        assert any(a.awaiting for a in engine.assessments() if a.thread.key == "<u@example.test>")
    finally:
        clock.set_now(None)


def test_no_call_when_it_is_off_and_a_failure_leaves_it_to_the_user(
    agent_home: Path, llm_server: Any
) -> None:
    _mailbox, engine = _world(llm_server, ask_llm=False)
    engine.tick()
    assert llm_server.chat_requests == [] and _states(engine)["<u@example.test>"] == "unsure"
    clock.set_now(None)

    llm_server.enqueue(status=500, body={"error": {"message": "down"}})
    _mailbox, engine = _world(llm_server, db="b.db")
    engine.tick()
    assert len(llm_server.chat_requests) == 1
    assert _states(engine)["<u@example.test>"] == "unsure"  # the user decides
    engine.tick()
    assert len(llm_server.chat_requests) == 1  # and it is not asked again every cycle
    clock.set_now(None)
