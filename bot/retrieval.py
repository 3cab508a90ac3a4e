"""Hybrid retrieval: dense search in Chroma and BM25 over the same chunks, fused by reciprocal rank."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ingest import INDEXED_KINDS, Chunk, ChunkStore, LexicalIndex, forms, kind_token, newest_versions, term_set, terms

log = logging.getLogger(__name__)

RRF_K = 60  # the constant of Cormack et al.'s reciprocal rank fusion


@dataclass
class Passage:
    """A retrieved chunk with its scores."""

    chunk: Chunk
    dense: float  # cosine similarity to the question (0 when only BM25 found it)
    lexical: float  # BM25 score (0 when only dense search found it)
    fused: float


class HybridRetriever:
    """Search the index by meaning and by words; the BM25 side follows every re-index."""

    def __init__(self, store: ChunkStore, dense_k: int = 20, lexical_k: int = 20, top_k: int = 10,
                 keep_lexical: int = 3) -> None:
        self.store = store
        self.dense_k, self.lexical_k, self.top_k, self.keep_lexical = dense_k, lexical_k, top_k, keep_lexical

    def lexical(self) -> LexicalIndex:
        """Return the lexical index the writer keeps, as it is now (never rebuilt by a reader)."""
        return self.store.lexical()

    def search(self, question: str, query_vector: list[float] | None = None,
               lexical: LexicalIndex | None = None, wants: str | None = None) -> list[Passage]:
        """Return the best passages for a question, newest document versions only, near-duplicates collapsed.

        `wants` is the kind of answer the question asks for (`bot.question.analyse`)."""
        lexical = lexical or self.lexical()
        vector = query_vector if query_vector is not None else self.store.embeddings.embed_query(question)
        dense = self.store.query(vector, self.dense_k)
        lex = lexical.search(terms(question) + ([kind_token(wants)] if wants in INDEXED_KINDS else []), self.lexical_k,
                              forms(question))
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


def _collapse(passages: list[Passage], threshold: float = 0.9) -> list[Passage]:
    """Drop passages whose words nearly repeat a better-ranked passage's."""
    kept: list[tuple[Passage, set[str]]] = []
    for passage in passages:
        words = term_set(passage.chunk.text)
        if any(len(words & seen) / max(1, len(words | seen)) >= threshold for _, seen in kept):
            continue
        kept.append((passage, words))
    return [p for p, _ in kept]


