"""The LLM answer mode: ChatOpenAI against any OpenAI-compatible endpoint, with checked citations.

Any failure (timeout, 429, 5xx, a rejected key, an unusable reply) raises LLMUnavailable with a
message a user can read; the engine then answers extractively and says so.
"""

from __future__ import annotations

import logging
import re

import openai

from bot.answer import REFUSAL, Answer, LLMUnavailable, defuse_mentions
from bot.citations import check_citations
from bot.prompts import NOT_IN_DOCUMENTS, Prompts, load_prompts
from bot.retrieval import Passage
from bot.settings import BotSettings

log = logging.getLogger(__name__)

MAX_ANSWER_CHARS = 1500
LEAK_CHARS = 60  # a reply repeating this much of the system message verbatim is withheld


class LLMAnswerer:
    """Write answers from retrieved passages with a chat model; rephrase follow-ups."""

    def __init__(self, chat, prompts: Prompts) -> None:
        self.chat = chat
        self.prompts = prompts

    @classmethod
    def from_settings(cls, settings: BotSettings) -> LLMAnswerer:
        """Build the chat model with explicit timeout and retries (ChatOpenAI has no timeout by default)."""
        from langchain_openai import ChatOpenAI

        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "unused"
        chat = ChatOpenAI(model=settings.llm_model, api_key=key, base_url=settings.openai_base_url,
                          timeout=settings.llm_timeout, max_retries=settings.llm_max_retries,
                          temperature=settings.llm_temperature)
        return cls(chat, load_prompts(settings.prompts_dir))

    def answer(self, question: str, standalone: str, passages: list[Passage]) -> Answer:
        """Answer from the passages, or say the documents don't; raise LLMUnavailable on any failure."""
        messages = self.prompts.answer.format_messages(passages=format_passages(passages), question=standalone)
        text = self._complete(messages).strip()
        if _leaks(text, self.prompts.system_text):
            log.warning("withheld an LLM reply that repeated the system prompt")
            raise LLMUnavailable("The language model's reply was withheld.")
        if text.startswith(NOT_IN_DOCUMENTS):
            return Answer(question, REFUSAL, False, "llm")
        text, citations = check_citations(_shorten(text), passages)
        if not citations:
            raise LLMUnavailable("The language model's answer cited none of the passages it was given.")
        return Answer(question, defuse_mentions(text), True, "llm", citations)

    def rephrase(self, question: str, turns: list[tuple[str, str]]) -> str | None:
        """Rewrite a follow-up as a standalone question; None if the model cannot (the caller falls back)."""
        history = "\n".join(f"Q: {q}\nA: {a}" for q, a in turns)
        try:
            text = self._complete(self.prompts.rephrase.format_messages(history=history, question=question))
        except LLMUnavailable as exc:
            log.info("rephrasing with the LLM failed, using the simple rewrite: %s", exc)
            return None
        line = text.strip().splitlines()[0].strip() if text.strip() else ""
        return line[:500] or None

    def _complete(self, messages) -> str:
        try:
            reply = self.chat.invoke(messages)
        except Exception as exc:  # noqa: BLE001 - every failure of the model means: fall back
            message = describe_failure(exc)
            log.warning("LLM request failed: %s (%s)", message, type(exc).__name__)
            raise LLMUnavailable(message) from exc
        if not isinstance(reply.content, str) or not reply.content.strip():
            raise LLMUnavailable("The language model sent an empty reply.")
        return reply.content


def describe_failure(exc: BaseException) -> str:
    """Say in a sentence why the model failed, without echoing anything the server sent."""
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return "The language model rejected the API key."
    if isinstance(exc, openai.RateLimitError):
        return "The language model is rate-limited right now."
    if isinstance(exc, openai.APITimeoutError):
        return "The language model did not answer in time."
    if isinstance(exc, openai.APIConnectionError):
        return "The language model could not be reached."
    if isinstance(exc, openai.APIStatusError):
        return f"The language model failed (HTTP {exc.status_code})."
    return "The language model sent a reply that could not be read."


def format_passages(passages: list[Passage]) -> str:
    """Number the passages [1]..[n] with their title and section, as the answer prompt expects."""
    blocks = []
    for n, p in enumerate(passages, start=1):
        m = p.chunk.metadata
        where = " — ".join(x for x in (m.get("title"), m.get("section")) if x)
        blocks.append(f"[{n}] ({where or p.chunk.source})\n{p.chunk.text}")
    return "\n\n".join(blocks)


def _leaks(text: str, system: str) -> bool:
    flat = re.sub(r"\s+", " ", text)
    sys_flat = re.sub(r"\s+", " ", system)
    return any(sys_flat[i : i + LEAK_CHARS] in flat for i in range(0, max(1, len(sys_flat) - LEAK_CHARS), 20))


def _shorten(text: str) -> str:
    if len(text) <= MAX_ANSWER_CHARS:
        return text
    cut = text[:MAX_ANSWER_CHARS]
    end = max(cut.rfind(". "), cut.rfind("]\n"), cut.rfind(".\n"))
    return cut[: end + 1] if end > 0 else cut.rsplit(" ", 1)[0] + "…"
