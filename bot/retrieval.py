"""Hybrid retrieval: dense search in Chroma and BM25 over the same chunks, fused by reciprocal rank."""

from __future__ import annotations

import functools
import logging
import math
import re
import threading
from collections import Counter
from dataclasses import dataclass

import bm25s

from bot.text import has_date, has_number, terms
from ingest import Chunk, ChunkStore, newest_versions

log = logging.getLogger(__name__)

RRF_K = 60  # the constant of Cormack et al.'s reciprocal rank fusion
# Kinds of fact a chunk is indexed under, so that BM25 favours chunks stating the kind asked for
# ("predictive annotation", Prager et al., SIGIR 2000): "When ...?" prefers chunks with a date.
_MONEY = re.compile(r"[$€£]|\b(eur|euros?|usd|dollars?|budget)\b", re.IGNORECASE)
INDEXED_KINDS = {"date": has_date, "number": has_number, "money": _MONEY.search}


def kind_token(kind: str) -> str:
    """Return the pseudo-term that marks a chunk stating this kind of fact."""
    return f"⟨{kind}⟩"


def kind_tokens(text: str) -> list[str]:
    """Return the pseudo-terms of the kinds of fact a text states."""
    return [kind_token(kind) for kind, states in INDEXED_KINDS.items() if states(text)]
PREFIX = 5
MAX_GLUED = 3


def similar(a: str, b: str) -> bool:
    """Say whether two terms are forms of one word the stemmer missed: they share all but the last
    two letters of the shorter, and at least five ("californian", "california")."""
    n = max(PREFIX, min(len(a), len(b)) - 2)
    return min(len(a), len(b)) >= PREFIX and a[:n] == b[:n]


@dataclass
class Passage:
    """A retrieved chunk with its scores."""

    chunk: Chunk
    dense: float  # cosine similarity to the question (0 when only BM25 found it)
    lexical: float  # BM25 score (0 when only dense search found it)
    fused: float


class LexicalIndex:
    """BM25 over the store's chunks, with the document frequencies sentence scoring needs."""

    def __init__(self, chunks: list[Chunk]) -> None:
        self.chunks = chunks
        corpus = [terms(f"{c.metadata.get('title', '')} {c.metadata.get('section', '')} {c.text}")
                  + kind_tokens(c.text) for c in chunks]
        self._bm25 = bm25s.BM25()
        if chunks:
            self._bm25.index(corpus, show_progress=False)
        self._df = Counter(t for doc in corpus for t in set(doc))
        self._n = len(chunks)
        self._by_prefix: dict[str, set[str]] = {}
        self._variants: dict[str, tuple[str, ...]] = {}
        for term in self._df:
            self._by_prefix.setdefault(term[:PREFIX], set()).add(term)

    def knows(self, term: str) -> bool:
        """Say whether any indexed chunk contains the term, or a close form of it ("california" for "californian")."""
        return term in self._df or bool(self.variants(term))

    def variants(self, term: str) -> tuple[str, ...]:
        """Return the indexed terms that are forms of an unindexed one: "california" for "californian",
        and names it is glued into ("jobsohio" for "ohio")."""
        if term in self._df or len(term) < 4 or term.isdigit():
            return ()
        if term not in self._variants:  # kept per index, so it goes when a re-index replaces the index
            self._variants[term] = self._find_variants(term)
        return self._variants[term]

    def _find_variants(self, term: str) -> tuple[str, ...]:
        close = {t for t in self._by_prefix.get(term[:PREFIX], ()) if similar(term, t)}
        glued = {t for t in self._df if term in t}
        # A name glued into another ("ohio" in "jobsohio") is found in few words; a common
        # morpheme ("play" in "display", "playback", "replay") in many, and those are other words.
        return tuple(sorted(close | (glued if len(glued) <= MAX_GLUED else set())))

    def rare_idf(self) -> float:
        """Return the IDF of a term found in a single chunk."""
        return math.log(1 + (self._n - 0.5) / 1.5)

    def idf(self, term: str) -> float:
        """Return the term's inverse document frequency; unseen terms weigh the most."""
        df = self._df.get(term, 0)
        return math.log(1 + (self._n - df + 0.5) / (df + 0.5))

    def search(self, query_terms: list[str], k: int) -> list[tuple[Chunk, float]]:
        """Return up to k chunks that share terms with the query, best first."""
        known = [v for t in query_terms for v in ((t,) if t in self._df else self.variants(t))]
        if not known or not self.chunks:
            return []
        ids, scores = self._bm25.retrieve([known], k=min(k, len(self.chunks)), show_progress=False)
        return [(self.chunks[i], float(s)) for i, s in zip(ids[0], scores[0]) if s > 0]


class HybridRetriever:
    """Search the index by meaning and by words; the BM25 side follows every re-index."""

    def __init__(self, store: ChunkStore, dense_k: int = 20, lexical_k: int = 20, top_k: int = 10,
                 keep_lexical: int = 3) -> None:
        self.store = store
        self.dense_k, self.lexical_k, self.top_k, self.keep_lexical = dense_k, lexical_k, top_k, keep_lexical
        self._lexical = LexicalIndex([])
        self._revision: int | None = None
        self._lock = threading.Lock()

    def lexical(self) -> LexicalIndex:
        """Return the BM25 index, rebuilt first if the store changed since it was built."""
        revision = self.store.revision()
        if revision != self._revision:
            with self._lock:
                if revision != self._revision:
                    chunks = newest_versions(list(self.store.iter_chunks()))
                    self._lexical = LexicalIndex(chunks)
                    self._revision = revision
                    log.info("lexical index rebuilt: %d chunks (revision %d)", len(chunks), revision)
        return self._lexical

    def search(self, question: str, query_vector: list[float] | None = None,
               lexical: LexicalIndex | None = None, wants: str | None = None) -> list[Passage]:
        """Return the best passages for a question, newest document versions only, near-duplicates collapsed.

        `wants` is the kind of answer the question asks for (`bot.question.analyse`)."""
        lexical = lexical or self.lexical()
        vector = query_vector if query_vector is not None else self.store.embeddings.embed_query(question)
        dense = self.store.query(vector, self.dense_k)
        lex = lexical.search(terms(question) + ([kind_token(wants)] if wants in INDEXED_KINDS else []), self.lexical_k)
        fused: dict[str, Passage] = {}
        for rank, (chunk, score) in enumerate(dense):
            fused[chunk.id] = Passage(chunk, score, 0.0, 1 / (RRF_K + rank + 1))
        for rank, (chunk, score) in enumerate(lex):
            passage = fused.setdefault(chunk.id, Passage(chunk, 0.0, 0.0, 0.0))
            passage.lexical = score
            passage.fused += 1 / (RRF_K + rank + 1)
        ranked = sorted(fused.values(), key=lambda p: p.fused, reverse=True)
        current = {c.id for c in newest_versions([p.chunk for p in ranked])}
        kept = _collapse([p for p in ranked if p.chunk.id in current])
        # Fusion rewards chunks both searches found; the few best word matches (a name asked for,
        # such as "Fort Collins") are kept even when the dense search missed them.
        best_words = [fused[c.id] for c, _ in lex[: self.keep_lexical] if c.id in current]
        top = kept[: self.top_k]
        return top + [p for p in best_words if p not in top and p in kept]


@functools.lru_cache(maxsize=8192)
def _chunk_terms(text: str) -> frozenset[str]:
    return frozenset(terms(text))


def _collapse(passages: list[Passage], threshold: float = 0.9) -> list[Passage]:
    """Drop passages whose words nearly repeat a better-ranked passage's."""
    kept: list[tuple[Passage, set[str]]] = []
    for passage in passages:
        words = _chunk_terms(passage.chunk.text)
        if any(len(words & seen) / max(1, len(words | seen)) >= threshold for _, seen in kept):
            continue
        kept.append((passage, words))
    return [p for p, _ in kept]


