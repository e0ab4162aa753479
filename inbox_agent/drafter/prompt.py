"""The prompt for one draft: the templates, the thread as quoted data, the budget.

Pure but for reading the templates: a user's file in `<config>/prompts/` wins over the shipped
one, which is package data of `inbox_agent.prompts` (its source is the top-level `prompts/`).
Quoted mail and examples are wrapped in `<thread>`, `<message>` and `<example>` tags and cannot
open or close them. `build_prompt()` keeps the whole prompt within the request's token
budget: examples get up to a third of what the templates leave, and the thread the rest, trimmed
from the middle so that the first message and the user's last one stay.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from string import Template
from typing import Any

from inbox_agent import paths
from inbox_agent.drafter.request import DraftRequest, Quoted, defang
from inbox_agent.mail import language
from inbox_agent.mail.letter import first_name

# A checkout run without installing it (PYTHONPATH=.) has no package `inbox_agent.prompts`;
# the templates' source sits beside the package there.
_SOURCE_PROMPTS = Path(__file__).resolve().parents[2] / "prompts"
_EXAMPLE_CHARS = 700


def _shipped_prompts() -> Traversable:
    """The templates that ship: package data where inbox-agent is installed (a wheel, or an
    editable install), else their source in the checkout."""
    try:
        return resources.files("inbox_agent.prompts")
    except ModuleNotFoundError:
        return _SOURCE_PROMPTS


def prompt_template(name: str) -> Template:
    """A user's file in `<config>/prompts/` wins over the shipped one."""
    directories = (paths.config_dir() / "prompts", _shipped_prompts())
    for directory in directories:
        candidate = directory / f"{name}.md"
        if candidate.is_file():
            return Template(candidate.read_text(encoding="utf-8"))
    raise FileNotFoundError(
        f"prompt template {name}.md not found in {' or '.join(map(str, directories))}"
    )


def estimate_tokens(text: str) -> int:
    """About four bytes of UTF-8 a token: exact enough for a budget, and errs on the safe side
    for languages with accents or other scripts."""
    return len(text.encode("utf-8")) // 4 + 1


def _middle_cut(text: str, chars: int) -> str:
    if len(text) <= chars:
        return text
    half = max(chars // 2, 1)
    return text[:half].rstrip() + "\n[…]\n" + text[-half:].lstrip()


def fit_thread(thread: Sequence[Quoted], budget_tokens: int) -> str:
    """The thread as quoted data within the budget. Messages are dropped from the middle first;
    the first message and the user's last one stay, cut in their own middle if they must."""
    if not thread:
        return ""
    last_own = max((i for i, q in enumerate(thread) if q.from_user), default=len(thread) - 1)
    keep = {0, last_own}
    kept = list(range(len(thread)))

    def render(indices: list[int], cap: int | None = None) -> str:
        out: list[str] = []
        for n, i in enumerate(indices):
            if n and i - indices[n - 1] > 1:
                out.append(f"[… {i - indices[n - 1] - 1} message(s) left out …]")
            text = thread[i].text if cap is None else _middle_cut(thread[i].text, cap)
            out.append(thread[i].render(text))
        return "\n\n".join(out)

    while estimate_tokens(render(kept)) > budget_tokens:
        droppable = [i for i in kept if i not in keep]
        if not droppable:
            break
        middle = (len(thread) - 1) / 2
        kept.remove(min(droppable, key=lambda i: (abs(i - middle), i)))
    cap = max(len(thread[i].text) for i in kept)
    text = render(kept)
    while estimate_tokens(text) > budget_tokens and cap > 40:
        cap = int(cap * 0.8)
        text = render(kept, cap)
    return text


def _style(request: DraftRequest) -> str:
    brief = request.brief
    lines = [
        f"- Formality: {brief.formality}.",
        f"- Their greeting ({brief.greeting.rstrip(' …') or 'none'}) and sign-off "
        f"({' '.join(brief.signoff.lstrip('… ').split()) or 'none'}) are added around your text.",
        "- Emoji: they use them now and then." if brief.emoji else "- No emoji.",
    ]
    if request.register:
        formal = request.register == "formal"
        how = "formal you (Sie, vous, usted, u)" if formal else "informal you (du, tu, tú, je)"
        lines.append(f"- They address {request.recipient_name or 'them'} with the {how}.")
    if request.promise:
        lines.append(
            f"- What is owed is {request.recipient_name or 'their'}'s promise, in their words: "
            f'"{defang(request.promise)}". The day has passed in silence: refer to that promise.'
        )
    if brief.followups:
        quoted = "; ".join(f'"{p}"' for p in brief.followups[:3])
        lines.append(f"- When they followed up by hand before, they wrote: {quoted}")
    lines.append(f"- ({brief.basis})")
    return "\n".join(lines)


def build_prompt(request: DraftRequest, retry_reason: str = "") -> tuple[str, str]:
    """(system, user) messages within `request.budget_tokens`: examples get up to a third of
    what the templates leave, and the thread gets the rest."""
    brief = request.brief
    values: dict[str, Any] = {
        "user_name": request.user_name,
        "user_first": first_name(request.user_name) or request.user_name,
        "touch": request.touch,
        "touches": request.touches,
        "recipient_name": request.recipient_name or "them",
        "language": language.name(request.language)
        if request.language
        else "the thread's language",
        "target_words": brief.target,
        "max_words": brief.high,
        "style": _style(request),
        "greeting": brief.greeting.rstrip(" …"),
        "signoff": " ".join(brief.signoff.lstrip("… ").split()),
        "examples": "",
        "thread": "",
    }
    system_t, user_t = prompt_template("system"), prompt_template(request.kind)
    retry = (
        f"\n\nYour previous answer could not be used: {retry_reason}. Write it again."
        if retry_reason
        else ""
    )
    fixed = estimate_tokens(system_t.safe_substitute(values) + user_t.safe_substitute(values))
    room = max(request.budget_tokens - fixed - estimate_tokens(retry), 100)
    blocks: list[str] = []
    for example in request.examples:
        text = defang(_middle_cut(example.text.strip(), _EXAMPLE_CHARS))
        tag = '<example kind="your edit">' if example.edited else "<example>"
        block = f"{tag}\n{text}\n</example>"
        if estimate_tokens("\n".join([*blocks, block])) > room // 3:
            break
        blocks.append(block)
    if blocks:
        edited = (
            f' The one marked kind="your edit" is a nudge {request.user_name} rewrote before it '
            "went out: their own edit, the best guide to how they want a nudge to read."
            if request.examples[0].edited
            else ""
        )
        values["examples"] = (
            f"Messages {request.user_name} wrote before, for their voice only (not their "
            f"content).{edited}\n" + "\n".join(blocks)
        )
    values["thread"] = fit_thread(request.thread, room - estimate_tokens(values["examples"]))
    return system_t.safe_substitute(values), user_t.safe_substitute(values) + retry
