"""The answering engine that the Discord bot and the terminal share; no Discord code here."""

from __future__ import annotations

import logging
import re
import time
import unicodedata
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from bot.answer import REFUSAL, Answer, LLMUnavailable
from bot.extractive import compose, score_sentences
from bot.retrieval import HybridRetriever
from bot.text import terms
from bot.vectors import SentenceVectors, WordVectors
from ingest import ChunkStore, IndexProblem

log = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 0.4
LLM_GATE = 0.5  # share of the refusal threshold at which the LLM still gets to read the passages
_FOLLOW_UP_START = re.compile(r"^\s*(and|but|also|so|then|what about|how about|what of|and what|ok|okay)\b", re.I)
_PRONOUN = re.compile(r"\b(them|they|it|its|their|theirs|there|those|these|he|she|him|her|that one|this one)\b", re.I)


# Pings and channel links are not part of what is asked ("@everyone where was ...?").
_MENTIONS = re.compile(r"@(?:everyone|here)\b|<(?:@[!&]?|#)\d+>")


class QuestionRejected(ValueError):
    """The question cannot be asked as it is; the message says what to change."""


class IndexEmpty(IndexProblem):
    """Nothing is indexed yet."""


@dataclass
class Conversation:
    """The recent turns of one thread or terminal session."""

    max_turns: int = 6
    turns: deque = field(default_factory=deque)

    def add(self, standalone_question: str, answer: str) -> None:
        """Remember a turn, forgetting the oldest beyond max_turns."""
        self.turns.append((standalone_question, answer))
        while len(self.turns) > self.max_turns:
            self.turns.popleft()

    @property
    def last_question(self) -> str | None:
        return self.turns[-1][0] if self.turns else None


def clean_question(text: str, max_chars: int) -> str:
    """Remove control and zero-width characters, collapse spaces, and check the length."""
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch
                   for ch in text if unicodedata.category(ch) != "Cf")
    text = re.sub(r"\s+", " ", _MENTIONS.sub(" ", text)).strip()
    if not text:
        raise QuestionRejected("Please type a question, for example: Where was the roundtable held?")
    if len(text) > max_chars:
        raise QuestionRejected(f"Your question is {len(text):,} characters long; please keep it under "
                               f"{max_chars:,} characters.")
    return text


def is_follow_up(question: str, conversation: Conversation | None) -> bool:
    """Say whether a question leans on the previous turn ("and which of them...?")."""
    if conversation is None or conversation.last_question is None:
        return False
    return bool(_FOLLOW_UP_START.search(question) or _PRONOUN.search(question) or len(terms(question)) <= 2)


class AnswerEngine:
    """Retrieve passages, answer with the LLM when configured, else (or on failure) extractively."""

    def __init__(self, store: ChunkStore, retriever: HybridRetriever | None = None, llm=None,
                 threshold: float = DEFAULT_THRESHOLD, max_question_chars: int = 1000) -> None:
        self.store = store
        self.retriever = retriever or HybridRetriever(store)
        self.llm = llm
        self.threshold = threshold
        self.max_question_chars = max_question_chars
        self.sentence_vectors = SentenceVectors(store.embeddings)
        self.word_vectors = WordVectors(store.embeddings)

    @property
    def mode(self) -> str:
        return "llm" if self.llm is not None else "extractive"

    def standalone(self, question: str, conversation: Conversation | None) -> tuple[str, str | None]:
        """Return the question made standalone, and the earlier question it leans on (if any)."""
        if not is_follow_up(question, conversation):
            return question, None
        previous = conversation.last_question
        if self.llm is not None:
            rewritten = self.llm.rephrase(question, list(conversation.turns))
            if rewritten:
                return rewritten, previous
        return f"{question} ({previous})", previous

    def answer(self, question: str, conversation: Conversation | None = None) -> Answer:
        """Answer one question, citing the passages it rests on, or say plainly that the documents don't say."""
        started = time.perf_counter()
        question = clean_question(question, self.max_question_chars)
        standalone, previous = self.standalone(question, conversation)
        query_vector = np.asarray(self.store.embeddings.embed_query(standalone), dtype=np.float32)
        lexical = self.retriever.lexical()  # one revision check per question, shared by both steps
        passages = self.retriever.search(standalone, query_vector.tolist(), lexical)
        if not passages and self.store.count() == 0:
            raise IndexEmpty("nothing is indexed yet: ask an admin to run /reindex (or run `make index`)")
        candidates = score_sentences(question, previous, query_vector, passages, self.sentence_vectors,
                                     self.word_vectors, lexical) if passages else []
        retrieved = time.perf_counter()
        best = candidates[0].score if candidates else 0.0
        grounded = best >= self.threshold
        result, note = None, None
        # The model reads better than the sentence scorer, so it sees the passages on weaker evidence,
        # and may itself say that they do not answer.
        if self.llm is not None and best >= self.threshold * LLM_GATE:
            try:
                result = self.llm.answer(question, standalone, passages)
            except LLMUnavailable as exc:
                log.warning("LLM unavailable, answering extractively: %s", exc)
                note = f"{exc} " + ("This is an extractive answer quoting the documents." if grounded else
                                    "Without it, I looked for sentences that answer this and found none.")
        if result is None:
            result = self._extractive(question, candidates, grounded)
            result.note = note
        done = time.perf_counter()
        result.standalone_question = standalone if standalone != question else None
        result.timings_ms = {"retrieve": round((retrieved - started) * 1000, 2),
                             "generate": round((done - retrieved) * 1000, 2),
                             "total": round((done - started) * 1000, 2)}
        if conversation is not None:
            conversation.add(standalone, result.answer)
        return result

    def _extractive(self, question: str, candidates, grounded: bool) -> Answer:
        if not grounded:
            return Answer(question, REFUSAL, False, "extractive")
        text, citations = compose(candidates)
        return Answer(question, text, True, "extractive", citations)
