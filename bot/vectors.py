"""Embeddings of sentences, of their tokens and of single words, computed on first use and cached.

With the local model one pass gives both a sentence's vector (its tokens' mean, as the model pools them)
and its tokens' vectors, for token-level matching (each question word's best match in the sentence,
ColBERT-style). An embeddings endpoint gives sentence vectors only; token matching then scores nothing.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from bot.retrieval import Passage
from ingest import sentence_spans, terms, tokens

# Bytes of sentence and token vectors a bot keeps, about a quarter of what the whole dev set touches (its 442
# questions at 100k chunks touch 681 chunks, 58 MB); a chunk pushed out is embedded again when it comes back.
# 32 MB kept the 100k bot 15-25 MB over its 700 MB budget after the dev set (BENCHMARKS.md, "Scale").
SENTENCE_CACHE_BYTES = 16 * 2**20
# Words whose vectors a bot keeps (1.5 KB each, 12 MB in all; the dev set at 100k chunks asks for 3,647):
# 50,000 would let a long-running bot hold 73 MB of them.
WORD_CACHE_WORDS = 8192


def content_words(text: str) -> list[str]:
    """Return the folded words of text that carry meaning (stopwords dropped, order kept)."""
    return [t for t in tokens(text) if terms(t)]


@dataclass(frozen=True)
class ChunkSentences:
    """A chunk's sentences: spans, unit vectors, token vectors, terms and content words, index-aligned."""

    spans: list[tuple[int, int]]
    vectors: np.ndarray
    tokens: list[np.ndarray]  # per sentence, (n_tokens, dim) unit vectors; empty without the local model
    terms: list[frozenset[str]]
    words: list[frozenset[str]]


@dataclass(frozen=True)
class QuestionTokens:
    """A question's token vectors, each with the span of the word it belongs to."""

    vectors: np.ndarray  # (n_tokens, dim)
    words: list[tuple[int, int]]  # character span of each token's word in the question


def _encode(embeddings, texts: list[str]) -> tuple[np.ndarray, list[np.ndarray], list[list[tuple[int, int]]]]:
    """Return sentence vectors, token vectors and token offsets (token vectors only with the local model)."""
    if not hasattr(embeddings, "encode_tokens"):
        vectors = np.asarray(embeddings.embed_documents(texts), dtype=np.float32)
        return vectors, [np.zeros((0, vectors.shape[1]), np.float16)] * len(texts), [[] for _ in texts]
    encoded = embeddings.encode_tokens(texts)
    # The model's sentence vector is its tokens' mean, normalised: computed here from the same pass.
    vectors = np.stack([_unit(v.mean(axis=0)) for v, _ in encoded]) if encoded else np.zeros((0, 0), np.float32)
    kept = [[i for i, (a, b) in enumerate(offsets) if b > a] for _, offsets in encoded]
    token_vectors = [_unit(v[k]).astype(np.float16) for (v, _), k in zip(encoded, kept)]
    return vectors, token_vectors, [[o[i] for i in k] for (_, o), k in zip(encoded, kept)]


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)).astype(np.float32)


class SentenceVectors:
    """Each chunk's sentences with their embeddings and terms, computed on first use and kept by chunk id.

    Chunk ids are derived from content, so a cached entry can never be stale. Token vectors make an entry
    large (a few KB a sentence, growing with its length), so the cache is bounded by its bytes.
    """

    def __init__(self, embeddings, budget: int = SENTENCE_CACHE_BYTES) -> None:
        self._embeddings = embeddings
        self._cache: OrderedDict[str, ChunkSentences] = OrderedDict()
        self._budget = budget
        self._held = 0  # bytes of the arrays in self._cache

    def embed(self, texts: list[str]) -> np.ndarray:
        """Return unit vectors for texts (not cached)."""
        return _encode(self._embeddings, texts)[0]

    def question(self, text: str) -> QuestionTokens:
        """Return a question's token vectors and the words they belong to."""
        _, token_vectors, offsets = _encode(self._embeddings, [text])
        words = {m.span(): m for m in re.finditer(r"[\w'’-]+", text)}
        spans = [next((w for w in words if w[0] <= a and b <= w[1]), (a, b)) for a, b in offsets[0]]
        return QuestionTokens(token_vectors[0].astype(np.float32), spans)

    def get(self, passages: list[Passage]) -> dict[str, ChunkSentences]:
        """Return the sentences of each passage's chunk, embedding the missing ones in one batch."""
        missing = list({p.chunk.id: p.chunk for p in passages if p.chunk.id not in self._cache}.values())
        if missing:
            spans = {c.id: sentence_spans(c.text) for c in missing}
            texts = [c.text[s:e] for c in missing for s, e in spans[c.id]]
            vectors, token_vectors, _ = _encode(self._embeddings, texts)
            offset = 0
            for chunk in missing:
                n = len(spans[chunk.id])
                part = texts[offset : offset + n]
                entry = ChunkSentences(spans[chunk.id], vectors[offset : offset + n].copy(),
                                       token_vectors[offset : offset + n], [frozenset(terms(t)) for t in part],
                                       [frozenset(content_words(t)) for t in part])
                self._cache[chunk.id] = entry
                self._held += _size(entry)
                offset += n
        for p in passages:
            self._cache.move_to_end(p.chunk.id)
        found = {p.chunk.id: self._cache[p.chunk.id] for p in passages}
        while self._held > self._budget and len(self._cache) > len(found):
            self._held -= _size(self._cache.popitem(last=False)[1])
        return found


def _size(entry: ChunkSentences) -> int:
    return entry.vectors.nbytes + sum(t.nbytes for t in entry.tokens)


class WordVectors:
    """Embeddings of single words, cached, to find a question's focus in other words ("moderated" ~ "chaired")."""

    def __init__(self, embeddings, capacity: int = WORD_CACHE_WORDS) -> None:
        self._embeddings = embeddings
        self._cache: dict[str, np.ndarray] = {}
        self._capacity = capacity

    def get(self, words: set[str]) -> dict[str, np.ndarray]:
        """Return a unit vector for each word."""
        missing = sorted(w for w in words if w not in self._cache)
        if missing:
            if len(self._cache) + len(missing) > self._capacity:
                self._cache.clear()
            vectors = np.asarray(self._embeddings.embed_documents(missing), dtype=np.float32)
            self._cache.update(zip(missing, vectors))
        return {w: self._cache[w] for w in words}
