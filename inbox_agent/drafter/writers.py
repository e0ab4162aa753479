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
from typing import Any, ClassVar

from inbox_agent.config import LlmConfig
from inbox_agent.drafter import guard
from inbox_agent.drafter.prompt import (
    build_prompt,
    estimate_tokens,
    fit_thread,
    prompt_template,
)
from inbox_agent.drafter.request import Draft, Drafter, DraftRequest, Quoted
from inbox_agent.mail import language
from inbox_agent.mail.letter import first_name, formality, name_tokens, split, words
from inbox_agent.mail.subject import strip_prefixes
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


def compose_body(core: str, brief: Brief) -> str:
    """The user's greeting, the core, the user's sign-off and signature, as they write them."""
    greeting, signoff, core = brief.greeting, brief.signoff, core.strip()
    if greeting.endswith(" …"):
        core, greeting = f"{greeting[:-2].rstrip()} {core}", ""
    if signoff.startswith("… "):
        core, signoff = f"{core}  {signoff[2:]}", ""
    text = "\n\n".join(p for p in (greeting, core, signoff) if p)
    if brief.signature:
        text += ("\n" if signoff else "\n\n") + brief.signature
    return text.rstrip() + "\n"


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


class OfflineDrafter:
    """A short, plain nudge in the thread's language: the product works with no LLM at all."""

    _LINES: ClassVar[dict[str, dict[str, tuple[str, ...]]]] = {
        "en": {
            "bump": (
                "Any news on this?",
                "Checking in on my note below: did you get a chance to look at it?",
                "Just bringing this back to the top of your inbox: any thoughts on my note below?",
                "Just bringing this back to the top of your inbox: any thoughts on my note below? "
                "Happy to answer any questions that would help.",
            ),
            "context": (
                'Any thoughts on "{subject}"? A yes or no is plenty.',
                'Following up on my message below about "{subject}". A quick yes or no is plenty.',
                'Circling back on "{subject}" (my note below). Even a one-line answer would help '
                "me plan the next step.",
            ),
            "close": (
                "I'll take this off my list for now. Just reply here if it comes back up.",
                "I haven't heard back, so I'll assume this isn't a priority right now and won't "
                "follow up again. If it becomes one, just reply here.",
            ),
        },
        "de": {
            "bump": (
                "Ich wollte kurz an meine Nachricht unten erinnern. Gibt es dazu schon Neuigkeiten?",
            ),
            "context": (
                "Ich komme noch einmal auf meine Nachricht zu „{subject}“ zurück. "
                "Ein kurzes Ja oder Nein genügt.",
            ),
            "close": (
                "Da ich nichts gehört habe, gehe ich davon aus, dass das Thema gerade keine "
                "Priorität hat, und melde mich dazu nicht mehr. Falls doch, einfach hier antworten.",
            ),
        },
        "fr": {
            "bump": (
                "Je me permets de remonter mon message ci-dessous. Avez-vous eu l'occasion d'y "
                "jeter un œil ?",
            ),
            "context": (
                "Je reviens vers vous au sujet de « {subject} » (mon message ci-dessous). "
                "Un simple oui ou non suffit.",
            ),
            "close": (
                "Sans nouvelles de votre part, je suppose que ce n'est pas une priorité pour le "
                "moment et je ne relancerai plus. Si cela change, il suffit de répondre ici.",
            ),
        },
        "es": {
            "bump": (
                "Retomo mi mensaje de abajo por si se había quedado perdido. ¿Alguna novedad?",
            ),
            "context": ("Vuelvo sobre mi mensaje acerca de «{subject}». Con un sí o un no basta.",),
            "close": (
                "Como no he tenido respuesta, entiendo que ahora no es una prioridad y no volveré "
                "a escribir sobre esto. Si cambia, basta con responder a este mensaje.",
            ),
        },
        "it": {
            "bump": (
                "Riprendo il mio messaggio qui sotto nel caso fosse sfuggito. Ci sono novità?",
            ),
            "context": ("Torno sul mio messaggio riguardo a «{subject}». Basta un sì o un no.",),
            "close": (
                "Non avendo ricevuto risposta, immagino che al momento non sia una priorità e non "
                "scriverò più a riguardo. Se le cose cambiano, basta rispondere a questo messaggio.",
            ),
        },
        "nl": {
            "bump": (
                "Ik wilde mijn bericht hieronder nog even onder de aandacht brengen. Is er al nieuws?",
            ),
            "context": (
                "Ik kom nog even terug op mijn bericht over '{subject}'. Een kort ja of nee is genoeg.",
            ),
            "close": (
                "Omdat ik niets meer heb gehoord, ga ik ervan uit dat dit nu geen prioriteit heeft "
                "en stuur ik hier geen herinnering meer over. Reageer gerust als dat verandert.",
            ),
        },
        "pt": {
            "bump": (
                "Retomo a minha mensagem abaixo, caso tenha passado despercebida. Alguma novidade?",
            ),
            "context": (
                'Volto à minha mensagem sobre "{subject}". Um simples sim ou não já ajuda.',
            ),
            "close": (
                "Como não tive resposta, imagino que isto não seja uma prioridade agora e não "
                "voltarei a escrever sobre o assunto. Se mudar, basta responder a esta mensagem.",
            ),
        },
        "sv": {
            "bump": ("Jag ville bara lyfta mitt meddelande nedan igen. Finns det något nytt?",),
            "context": (
                'Jag återkommer om mitt meddelande om "{subject}". Ett kort ja eller nej räcker.',
            ),
            "close": (
                "Eftersom jag inte har hört något utgår jag från att det inte är prioriterat just "
                "nu och skriver inte mer om det. Om det ändras är det bara att svara här.",
            ),
        },
        "da": {
            "bump": ("Jeg ville bare lige minde om min besked nedenfor. Er der noget nyt?",),
            "context": (
                'Jeg vender tilbage til min besked om "{subject}". Et kort ja eller nej er nok.',
            ),
            "close": (
                "Da jeg ikke har hørt noget, går jeg ud fra, at det ikke har prioritet lige nu, og "
                "jeg skriver ikke mere om det. Hvis det ændrer sig, så svar bare her.",
            ),
        },
    }

    def core(self, request: DraftRequest) -> str:
        lang = request.language if request.language in self._LINES else "en"
        lines = self._LINES[lang]
        kind = request.kind if request.kind in lines else "bump"
        subject = strip_prefixes(request.subject)
        own = self._own_phrase(request, lang) if kind == "bump" else ""
        if own:
            return own
        # the variants nearest the user's usual length, taking turns from one touch to the next
        target = request.brief.target
        variants = sorted(lines[kind], key=lambda v: abs(words(v) - target))[:2]
        return variants[(request.touch - 1) % len(variants)].format(subject=subject or "this")

    @staticmethod
    def _own_phrase(request: DraftRequest, lang: str) -> str:
        """The user's own way of following up, when it is generic enough to reuse anywhere."""
        for phrase in request.brief.followups:
            if (
                words(phrase) <= 14
                and not re.search(r"\d|@|http", phrase)
                and not re.search(r"\s[A-Z]", phrase.replace(" I ", " i "))
                and phrase.rstrip()[-1:] in ".?!"
                and phrase[:1].isupper()
                and language.detect(phrase) in ("", lang)
            ):
                return phrase
        return ""

    def draft(self, request: DraftRequest) -> Draft:
        return Draft(compose_body(self.core(request), request.brief), "offline")


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
) -> DraftRequest:
    """A request with the user's voice for these recipients and examples of their own mail
    (never one of the messages in `exclude`, the thread's own)."""
    lang = thread_language(thread) or (profile.language if profile else "")
    own = [q.text for q in thread if q.from_user and q.text.strip()]
    aim = formality(own[-1]) if own else None
    examples = pick_examples(profile, to, exclude=exclude, target_formality=aim)
    quoted_texts = {" ".join(q.text.split()) for q in thread}
    return DraftRequest(
        touch=touch,
        touches=touches,
        kind=kind,
        subject=subject,
        user_name=user_name,
        recipient_name=recipient_name,
        thread=tuple(thread),
        voice=brief(profile, to, recipient_name, user_name, lang),
        examples=tuple(s.text for s in examples if " ".join(s.core.split()) not in quoted_texts),
        language=lang,
        earlier_nudges=tuple(earlier_nudges),
        budget_tokens=budget_tokens,
        quoted=quoted,
    )
