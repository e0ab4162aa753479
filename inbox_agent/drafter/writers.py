"""The words of a nudge: an OpenAI-compatible model, or an offline template when there is none.

The `Drafter` seam takes a `DraftRequest` and returns body text only. Subject, recipients and
threading are set by `compose.py`; the greeting, sign-off and signature come from the user's
style profile (`style.Brief`) and are put around the model's text here, so a model can change
none of them. Every model answer is cleaned and passes `guard.check()`; a failing answer is
retried once with the reason, then the offline drafter writes the nudge and the draft says that
it should not go out on Autopilot.

The openai client retries 429 and 5xx itself (`max_retries`), waiting what `Retry-After` asks
when that is at most two minutes and giving up at once when it asks for more; with the default
timeout of 30 s, one draft costs at most 2 × (3 × 30 s + 2 × 120 s) before the offline drafter
takes over, and usually a fraction of a second.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from inbox_agent.config import LlmConfig
from inbox_agent.drafter import guard
from inbox_agent.drafter.grounding import ask_for
from inbox_agent.drafter.offline import OfflineDrafter, compose_body
from inbox_agent.drafter.prompt import (
    build_prompt,
    estimate_tokens,
    fit_thread,
    prompt_template,
)
from inbox_agent.drafter.request import Draft, Drafter, DraftRequest, Quoted
from inbox_agent.mail import language
from inbox_agent.mail.letter import first_name, formality, name_tokens, register, split
from inbox_agent.voice.edits import EditHabits
from inbox_agent.voice.profile import Profile
from inbox_agent.voice.style import Brief, brief, pick_examples

__all__ = [
    "Draft",
    "DraftRequest",
    "Drafter",
    "LlmDrafter",
    "OfflineDrafter",
    "Quoted",
    "build_prompt",
    "compose_body",
    "estimate_tokens",
    "first_name",
    "fit_thread",
    "make_drafter",
    "prepare",
    "prompt_template",
    "steering_in",
    "thread_language",
]

log = logging.getLogger(__name__)


def core_of(body: str, brief: Brief, recipient_name: str = "") -> str:
    """A model's answer without the greeting, sign-off or signature it was told not to write."""
    text = body.strip()
    text = re.sub(r"^```\w*\n|\n?```$", "", text).strip()
    text = re.sub(r"^(subject|betreff|objet|asunto)\s*:.*\n+", "", text, flags=re.IGNORECASE)
    text = re.sub(r"^(body|text)\s*:\s*\n?", "", text, flags=re.IGNORECASE)
    if len(text) > 1 and text[0] == text[-1] and text[0] in "\"'“”":
        text = text[1:-1]
    for line in brief.signature.split("\n"):
        if line.strip() and text.rstrip().endswith(line.strip()):
            text = text.rstrip()[: -len(line.strip())]
    parts = split(text, brief.names, name_tokens(recipient_name))
    return parts.core


class LlmDrafter:
    """Any OpenAI-compatible endpoint (OpenAI, Ollama, LM Studio, vLLM) through the openai client."""

    def __init__(
        self,
        config: LlmConfig,
        api_key: str | None,
        fallback: Drafter | None = None,
        max_retries: int = 2,
    ) -> None:
        self.config = config
        # local servers accept any key; the client insists on one
        self.api_key = api_key or "not-needed"
        self.fallback = fallback or OfflineDrafter()
        self.max_retries = max_retries
        self._client: Any = None

    def _complete(self, system: str, user: str) -> str:
        import openai  # heavy; only the daemon needs it

        if self._client is None:
            self._client = openai.OpenAI(
                base_url=self.config.base_url,
                api_key=self.api_key,
                timeout=openai.Timeout(
                    self.config.timeout_s, connect=min(10.0, self.config.timeout_s)
                ),
                max_retries=self.max_retries,
            )
        response = self._client.chat.completions.create(
            model=self.config.model,
            temperature=0.4,
            messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
        )
        choices = getattr(response, "choices", None)
        if not choices:
            return ""
        return str(choices[0].message.content or "").strip()

    def draft(self, request: DraftRequest) -> Draft:
        import openai

        rejected: list[str] = []
        for _attempt in (1, 2):
            system, user = build_prompt(request, rejected[-1] if rejected else "")
            try:
                answer = self._complete(system, user)
            except openai.OpenAIError as exc:  # after the client's own retries
                log.warning(
                    "LLM endpoint %s failed (%s); the offline drafter writes this nudge",
                    self.config.base_url,
                    exc,
                )
                offline = self.fallback.draft(request)
                note = f"the LLM endpoint failed ({type(exc).__name__})"
                return Draft(offline.body, offline.drafter, tuple(rejected), note)
            except ValueError:  # a body that is not the JSON it should be
                log.warning("LLM endpoint %s sent a malformed answer", self.config.base_url)
                rejected.append("the endpoint's answer was not valid JSON")
                continue
            core = core_of(answer, request.brief, request.recipient_name)
            problem = guard.check(core, request)
            if not problem:
                body = compose_body(core, request.brief)
                return Draft(body, f"llm:{self.config.model}", tuple(rejected))
            log.warning("LLM draft rejected: %s", problem)
            rejected.append(problem)
        offline = self.fallback.draft(request)
        reason = f"the model's drafts failed the checks twice ({'; '.join(rejected)})"
        return Draft(offline.body, offline.drafter, tuple(rejected), reason, reason)


def make_drafter(config: LlmConfig, api_key: str | None) -> Drafter:
    return LlmDrafter(config, api_key) if config.enabled else OfflineDrafter()


def thread_language(thread: Sequence[Quoted]) -> str:
    """The language of the user's own last message, else of the whole thread; "" unknown."""
    own = [q.text for q in thread if q.from_user and q.text.strip()]
    return (language.detect(own[-1]) if own else "") or language.detect(
        "\n".join(q.text for q in thread)
    )


def steering_in(thread: Sequence[Quoted]) -> str:
    """The first phrase in an inbound message of the thread that tries to steer the agent."""
    for quoted in thread:
        if not quoted.from_user:
            phrase = guard.steering(f"{quoted.subject}\n{quoted.text}")
            if phrase:
                return phrase
    return ""


def prepare(
    *,
    touch: int,
    touches: int,
    kind: str,
    subject: str,
    user_name: str,
    to: Sequence[str],
    recipient_name: str,
    thread: Sequence[Quoted],
    profile: Profile | None,
    earlier_nudges: Sequence[str] = (),
    budget_tokens: int = 3000,
    exclude: Sequence[str] = (),
    quoted: bool = False,
    ask: str = "",
    edits: EditHabits | None = None,
    promise: str = "",
) -> DraftRequest:
    """A request with the user's voice for these recipients and examples of their own mail
    (never one of the messages in `exclude`, the thread's own). `ask` is what the followed-up
    message asks when the caller knows it; else it is read from the user's last message.
    `promise` is what the other side promised, in their words, when the nudge follows up that."""
    lang = thread_language(thread) or (profile.language if profile else "")
    own = [q.text for q in thread if q.from_user and q.text.strip()]
    aim = formality(own[-1]) if own else None
    examples = pick_examples(profile, to, exclude=exclude, target_formality=aim, edits=edits)
    quoted_texts = {" ".join(q.text.split()) for q in thread}
    # how the user addresses these people: in this thread, else in their own mail to them
    people = {a.lower() for a in to}
    said = [*own[-1:], *(s.text for s in examples if s.language == lang and people & set(s.to))]
    address = next((r for r in (register(t, lang) for t in said) if r), "")
    return DraftRequest(
        touch=touch,
        touches=touches,
        kind=kind,
        subject=subject,
        user_name=user_name,
        recipient_name=recipient_name,
        thread=tuple(thread),
        voice=brief(profile, to, recipient_name, user_name, lang, edits),
        examples=tuple(s for s in examples if " ".join(s.core.split()) not in quoted_texts),
        language=lang,
        earlier_nudges=tuple(earlier_nudges),
        budget_tokens=budget_tokens,
        quoted=quoted,
        register=address,
        ask=ask_for(ask, own[-1] if own else ""),
        promise=" ".join(promise.split()),
    )
