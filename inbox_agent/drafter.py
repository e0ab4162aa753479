"""The words of a nudge: an OpenAI-compatible model, or an offline template when there is none.

The `Drafter` seam takes a `DraftRequest` and returns body text only. Subject, recipients and
threading are set by `compose.py`. Every model answer passes `check()`; a failing answer is retried
once, then the offline drafter writes the nudge instead.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import ClassVar, Protocol

from inbox_agent import paths
from inbox_agent.config import LlmConfig

log = logging.getLogger(__name__)

_REPO_PROMPTS = Path(__file__).resolve().parent.parent / "prompts"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_PLACEHOLDER = re.compile(
    r"\[[A-Z][A-Za-z ]*\]|\{\{|<insert|\bas an ai\b|language model", re.IGNORECASE
)


@dataclass(frozen=True)
class DraftRequest:
    touch: int
    touches: int
    kind: str  # "bump", "context" or "close"
    subject: str
    user_name: str
    recipient_name: str
    thread_text: str  # the quoted thread, oldest first, already trimmed to the budget
    greeting: str = "Hi"
    signoff: str = "Best"


@dataclass(frozen=True)
class Draft:
    body: str
    drafter: str  # which drafter wrote it: "offline" or "llm:<model>"


class Drafter(Protocol):
    def draft(self, request: DraftRequest) -> Draft: ...


def first_name(display: str, address: str = "") -> str:
    name = display.strip().strip('"')
    if "," in name:  # "Stone, Bob"
        name = name.split(",", 1)[1].strip()
    word = name.split()[0] if name.split() else address.split("@")[0].split(".")[0]
    return word[:1].upper() + word[1:] if word else ""


class OfflineDrafter:
    """A short, plain nudge from templates: the product works with no LLM at all."""

    _LINES: ClassVar[dict[str, str]] = {
        "bump": "Just bringing this back to the top of your inbox: any thoughts on my note below?",
        "context": 'Following up on my message below about "{subject}". A quick yes or no is plenty.',
        "close": "I haven't heard back, so I'll assume this isn't a priority right now and won't "
        "follow up again. If it becomes one, just reply here.",
    }

    def draft(self, request: DraftRequest) -> Draft:
        subject = re.sub(r"^(re|fwd?):\s*", "", request.subject, flags=re.IGNORECASE) or "this"
        line = self._LINES.get(request.kind, self._LINES["bump"]).format(subject=subject)
        greeting = (
            f"{request.greeting} {request.recipient_name},"
            if request.recipient_name
            else f"{request.greeting},"
        )
        sign = first_name(request.user_name)
        body = f"{greeting}\n\n{line}\n\n{request.signoff},\n{sign}".rstrip(",\n") + "\n"
        return Draft(body, "offline")


def prompt_template(name: str) -> Template:
    """A user's file in `<config>/prompts/` wins over the shipped one."""
    for directory in (paths.config_dir() / "prompts", _REPO_PROMPTS):
        candidate = directory / f"{name}.md"
        if candidate.is_file():
            return Template(candidate.read_text(encoding="utf-8"))
    raise FileNotFoundError(
        f"prompt template {name}.md not found in {paths.config_dir() / 'prompts'} or {_REPO_PROMPTS}"
    )


def check(body: str, request: DraftRequest, max_words: int = 160) -> str:
    """Why a model's answer cannot be used, or "" when it can."""
    text = body.strip()
    if not text:
        return "empty answer"
    known = request.thread_text.lower()
    for match in _EMAIL.finditer(text):
        if match.group(0).lower() not in known:
            return f"mentions an address that is not in the thread ({match.group(0)})"
    for match in _URL.finditer(text):
        if match.group(0).lower() not in known:
            return "contains a link that is not in the thread"
    if _PLACEHOLDER.search(text):
        return "contains a placeholder or talks about itself as an AI"
    if len(text.split()) > max_words:
        return f"too long ({len(text.split())} words)"
    return ""


class LlmDrafter:
    """Any OpenAI-compatible endpoint (OpenAI, Ollama, LM Studio, vLLM) through the openai client."""

    def __init__(
        self, config: LlmConfig, api_key: str | None, fallback: Drafter | None = None
    ) -> None:
        self.config = config
        self.api_key = (
            api_key or "not-needed"
        )  # local servers accept any key; the client insists on one
        self.fallback = fallback or OfflineDrafter()
        self._client: object | None = None

    def _complete(self, system: str, user: str) -> str:
        import openai  # heavy; only the daemon needs it

        if self._client is None:
            self._client = openai.OpenAI(
                base_url=self.config.base_url,
                api_key=self.api_key,
                timeout=self.config.timeout_s,
                max_retries=2,
            )
        assert isinstance(self._client, openai.OpenAI)
        response = self._client.chat.completions.create(
            model=self.config.model,
            temperature=0.4,
            messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
        )
        return (response.choices[0].message.content or "").strip() if response.choices else ""

    def draft(self, request: DraftRequest) -> Draft:
        import openai

        values = {
            "user_name": request.user_name,
            "touch": request.touch,
            "touches": request.touches,
            "recipient_name": request.recipient_name or "them",
            "greeting": request.greeting,
            "signoff": request.signoff,
            "thread": request.thread_text,
            "max_words": 120,
        }
        system = prompt_template("system").safe_substitute(values)
        user = prompt_template(request.kind).safe_substitute(values)
        for attempt in (1, 2):
            try:
                body = self._complete(system, user)
            except openai.OpenAIError as exc:
                log.warning(
                    "LLM endpoint %s failed (%s); using the offline drafter",
                    self.config.base_url,
                    exc,
                )
                break
            problem = check(body, request)
            if not problem:
                return Draft(body.strip() + "\n", f"llm:{self.config.model}")
            log.warning("LLM draft rejected (attempt %d): %s", attempt, problem)
        return self.fallback.draft(request)


def make_drafter(config: LlmConfig, api_key: str | None) -> Drafter:
    return LlmDrafter(config, api_key) if config.enabled else OfflineDrafter()


def trim_thread(parts: list[str], budget_tokens: int) -> str:
    """Join quoted messages; over budget, drop from the middle, keeping the first and the last."""
    budget_chars = budget_tokens * 4  # about four characters a token for English text
    kept = list(parts)
    while len(kept) > 2 and sum(len(p) for p in kept) > budget_chars:
        del kept[len(kept) // 2]
    text = "\n\n".join(kept)
    return (
        text
        if len(text) <= budget_chars
        else text[: budget_chars // 2] + "\n[…]\n" + text[-budget_chars // 2 :]
    )
