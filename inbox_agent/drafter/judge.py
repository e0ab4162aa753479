"""A second opinion for a message the rules left unsure: the user's own LLM is asked, in one short
call, whether the message asks its recipient for an answer. Never asked about a message the rules
decided, never deciding alone (the rules said "unsure" first), and off with `[tracking] ask_llm =
false`. The answer is kept with the message's facts, so each message costs one call at most.
"""

from __future__ import annotations

import logging

from inbox_agent.config import LlmConfig

log = logging.getLogger(__name__)

SYSTEM = (
    "You read one email that the user sent. Does it ask its recipient for something that comes "
    "back to the user: an answer, a document, a decision, a check, or a confirmation? "
    "Thanks, answers to the recipient's question, news, FYIs, confirmations and chores for an "
    "assistant do not. Reply with one word: expects or no."
)
MAX_TEXT = 2000  # characters of the user's own words sent; quotes and signatures are cut already


def llm_verdict(config: LlmConfig, api_key: str | None, own: str) -> str:
    """ "expects", "no", or "" when the endpoint failed or answered something else (logged)."""
    import openai  # heavy; only a daemon with an LLM and an unsure message needs it

    client = openai.OpenAI(
        base_url=config.base_url,
        api_key=api_key or "not-needed",
        timeout=openai.Timeout(config.timeout_s, connect=min(10.0, config.timeout_s)),
        max_retries=0,  # one short call; a failure leaves the message unsure, for the user
    )
    try:
        response = client.chat.completions.create(
            model=config.model,
            temperature=0,
            max_tokens=5,
            messages=[
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": own[:MAX_TEXT]},
            ],
        )
    except openai.OpenAIError as exc:
        log.warning("LLM endpoint %s failed on an unsure message (%s)", config.base_url, exc)
        return ""
    choices = getattr(response, "choices", None)
    answer = str(choices[0].message.content or "").strip().lower() if choices else ""
    if answer.startswith("expect"):
        return "expects"
    if answer.startswith("no"):
        return "no"
    log.warning("LLM endpoint %s answered %r on an unsure message", config.base_url, answer[:40])
    return ""
