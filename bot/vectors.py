"""Embeddings of sentences and single words, computed on first use and cached, for sentence scoring."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from bot.retrieval import Passage
from bot.text import terms, tokens
from ingest import sentence_spans


def content_words(text: str) -> list[str]:
    """Return the folded words of text that carry meaning (stopwords dropped, order kept)."""
    return [t for t in tokens(text) if terms(t)]


@dataclass(frozen=True)
class ChunkSentences:
    """A chunk's sentences: spans, unit vectors, terms and content words, index-aligned."""

    spans: list[tuple[int, int]]
    vectors: np.ndarray
    terms: list[frozenset[str]]
    words: list[frozenset[str]]


class SentenceVectors:
    """Each chunk's sentences with their embeddings and terms, computed on first use and kept by chunk id.

    Chunk ids are derived from content, so a cached entry can never be stale.
    """

    def __init__(self, embeddings, capacity: int = 4096) -> None:
        self._embeddings = embeddings
        self._cache: OrderedDict[str, ChunkSentences] = OrderedDict()
        self._capacity = capacity

    def embed(self, texts: list[str]) -> np.ndarray:
        """Return unit vectors for texts (not cached)."""
        return np.asarray(self._embeddings.embed_documents(texts), dtype=np.float32)

    def get(self, passages: list[Passage]) -> dict[str, ChunkSentences]:
        """Return the sentences of each passage's chunk, embedding the missing ones in one batch."""
        missing = list({p.chunk.id: p.chunk for p in passages if p.chunk.id not in self._cache}.values())
        if missing:
            spans = {c.id: sentence_spans(c.text) for c in missing}
            texts = [c.text[s:e] for c in missing for s, e in spans[c.id]]
            vectors = np.asarray(self._embeddings.embed_documents(texts), dtype=np.float32)
            offset = 0
            for chunk in missing:
                n = len(spans[chunk.id])
                part = texts[offset : offset + n]
                self._cache[chunk.id] = ChunkSentences(spans[chunk.id], vectors[offset : offset + n],
                                                       [frozenset(terms(t)) for t in part],
                                                       [frozenset(content_words(t)) for t in part])
                offset += n
        for p in passages:
            self._cache.move_to_end(p.chunk.id)
        while len(self._cache) > self._capacity:
            self._cache.popitem(last=False)
        return {p.chunk.id: self._cache[p.chunk.id] for p in passages}


class WordVectors:
    """Embeddings of single words, cached, to credit paraphrases ("itinerary" for "visiting")."""

    def __init__(self, embeddings, capacity: int = 50000) -> None:
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
