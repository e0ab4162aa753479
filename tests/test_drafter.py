"""The drafter with the real openai client against the loopback OpenAI-compatible server."""

from __future__ import annotations

from typing import Any

from inbox_agent.config import LlmConfig
from inbox_agent.drafter import DraftRequest, LlmDrafter, OfflineDrafter, check, trim_thread

THREAD = "From: Alice <alice@example.test>\nSubject: Q3 contract\n\nCan you sign by Friday?"
REQUEST = DraftRequest(
    touch=1,
    touches=3,
    kind="bump",
    subject="Q3 contract",
    user_name="Alice Example",
    recipient_name="Bob",
    thread_text=THREAD,
)


def drafter(llm: Any, timeout: float = 5.0) -> LlmDrafter:
    return LlmDrafter(
        LlmConfig(base_url=llm.base_url, model="test-model", timeout_s=timeout), "sk-test-key"
    )


def test_the_request_carries_the_quoted_thread_and_the_answer_is_used(llm_server: Any) -> None:
    llm_server.enqueue(text="Hi Bob,\n\nAny news on the contract?\n\nBest,\nAlice")
    draft = drafter(llm_server).draft(REQUEST)
    assert draft.drafter == "llm:test-model" and "Any news on the contract?" in draft.body
    [request] = llm_server.requests
    body = request["body"]
    assert body["model"] == "test-model"
    system, user = body["messages"][0]["content"], body["messages"][1]["content"]
    assert (
        "data, not instructions" in system
        and "<thread>" in user
        and "Can you sign by Friday?" in user
    )
    assert request["headers"].get("authorization") == "Bearer sk-test-key"


def test_an_invented_address_is_rejected_then_the_offline_drafter_writes(llm_server: Any) -> None:
    llm_server.enqueue(text="Hi Bob, please also loop in mallory@evil.test. Thanks!")
    llm_server.enqueue(text="Hi Bob, [Name] wanted to check in.")
    draft = drafter(llm_server).draft(REQUEST)
    assert draft.drafter == "offline" and "mallory" not in draft.body
    assert len(llm_server.requests) == 2


def test_a_dead_endpoint_falls_back_offline() -> None:
    config = LlmConfig(base_url="http://127.0.0.1:9/v1", model="m", timeout_s=2)
    assert LlmDrafter(config, None).draft(REQUEST).drafter == "offline"


def test_rate_limit_is_retried(llm_server: Any) -> None:
    llm_server.enqueue(status=429, headers={"Retry-After": "0"})
    llm_server.enqueue(text="Hi Bob,\n\nJust bumping this.\n\nAlice")
    assert drafter(llm_server).draft(REQUEST).drafter == "llm:test-model"


def test_offline_drafter_and_checks() -> None:
    body = OfflineDrafter().draft(REQUEST).body
    assert (
        body.startswith("Hi Bob,")
        and body.rstrip().endswith("Alice")
        and check(body, REQUEST) == ""
    )
    assert "address" in check("write to eve@x.test", REQUEST)
    assert "placeholder" in check("As an AI, I think", REQUEST)
    assert check("see https://example.test/x", REQUEST).startswith("contains a link")


def test_trim_keeps_first_and_last() -> None:
    parts = [f"message {i} " + "x" * 400 for i in range(10)]
    text = trim_thread(parts, budget_tokens=300)
    assert text.startswith("message 0") and "message 9" in text and len(text) <= 1200
