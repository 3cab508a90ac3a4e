"""Extractive answers: pick the sentences of the retrieved passages that answer the question, and cite them."""

from __future__ import annotations

import functools
import re
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from bot.answer import Citation
from bot.retrieval import LexicalIndex, Passage
from bot.text import has_date, has_number, has_proper_name, terms, tokens
from ingest import sentence_spans

SEMANTIC_WEIGHT = 0.5
TYPE_PENALTY = 0.6  # a sentence without the kind of fact asked for (a number, a date, a name) weighs less
CONTEXT_CREDIT = 0.7  # a question term found only in the document title or section heading
PREVIOUS_TURN_WEIGHT = 0.5  # terms carried over from the previous question of a follow-up
SOFT_MATCH = 0.6  # cosine between single-word embeddings above which a paraphrase counts
SOFT_CREDIT = 0.8
UNKNOWN_PENALTY = 0.6  # the question names something no document mentions, and the sentence does not paraphrase it


# A sentence that starts like this leans on the one before it ("These included ...").
_ANAPHOR = re.compile(r"^(These|Those|They|This|It|Its|Their|Such|Following,|Both)\b")


@dataclass
class Candidate:
    """A sentence of a retrieved passage, scored against the question."""

    text: str
    passage: Passage
    start: int  # offset of the sentence in the chunk text
    semantic: float
    coverage: float
    score: float
    antecedent: int | None = None  # offset of the sentence before it in the chunk, if any


def answer_type(question: str) -> str | None:
    """Return the kind of fact a question asks for: number, money, date, place, name, or None."""
    q = question.casefold()
    if re.search(r"\bhow (much|expensive)\b|\bcost|\bbudget|\bprice", q):
        return "money"
    if re.search(r"\bhow many\b|\bnumber of\b|\bhow large\b|\bhow big\b", q):
        return "number"
    if re.search(r"\bwhen\b|\bwhat (date|day|time|year|month)\b|\bwhich (date|day|year|month)\b|\bwhat time\b", q):
        return "date"
    if re.search(r"\bwhere\b|\bwhich (city|country|countries|venue|town|place)\b|\bwhat (city|venue|place)\b", q):
        return "place"
    if re.search(r"^\s*(who|whom)\b|\bwhich (organi[sz]ations?|compan(y|ies)|partner|clusters?)\b", q):
        return "name"
    return None


def satisfies(kind: str | None, sentence: str) -> bool:
    """Say whether a sentence states the kind of fact asked for."""
    if kind is None:
        return True
    if kind == "money":
        return bool(re.search(r"[$€£]|\b(eur|euros?|usd|dollars?|budget)\b", sentence, re.IGNORECASE))
    if kind == "number":
        return has_number(sentence)
    if kind == "date":
        return has_date(sentence)
    return has_proper_name(sentence)


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


@dataclass
class QueryTerms:
    """The question's terms with their weights and the words they came from."""

    weights: dict[str, float]
    surface: dict[str, str]


def weighted_terms(question: str, previous: str | None) -> QueryTerms:
    """Return the question's terms with weights; a follow-up's earlier question counts less."""
    weights: dict[str, float] = {}
    surface: dict[str, str] = {}
    for text, weight in ((question, 1.0), (previous or "", PREVIOUS_TURN_WEIGHT)):
        for word in content_words(text):
            for term in terms(word):
                if term not in weights:
                    weights[term], surface[term] = weight, word
    return QueryTerms(weights, surface)


def _covers(term: str, words: set[str]) -> bool:
    # "ohio" is covered by "jobsohio": names glued together still count.
    return term in words or (len(term) >= 4 and not term.isdigit() and any(term in w for w in words))


@dataclass
class SentenceFeatures:
    """What a sentence offers to match a question with."""

    terms: frozenset[str]
    words: frozenset[str]  # content words as written (folded), for soft matching
    context: frozenset[str]  # terms of the document title and section heading


def coverage(query: QueryTerms, idf, features: SentenceFeatures, word_vectors: dict[str, np.ndarray],
             unknown: set[str]) -> tuple[float, bool]:
    """Return the IDF-weighted share of question terms the sentence covers, and whether it misses
    a concept that no document mentions (a sign the documents do not answer the question)."""
    total = sum(w * idf(t) for t, w in query.weights.items())
    if total <= 0:
        return 0.0, False
    got, misses_unknown = 0.0, False
    for term, weight in query.weights.items():
        if _covers(term, features.terms):
            credit = 1.0
        elif _covers(term, features.context):
            credit = CONTEXT_CREDIT
        else:
            credit = _soft_credit(word_vectors.get(query.surface[term]), features.words, word_vectors)
            misses_unknown |= term in unknown and credit == 0 and weight == 1.0
        got += credit * weight * idf(term)
    return got / total, misses_unknown


def _soft_credit(vector: np.ndarray | None, words: set[str], word_vectors: dict[str, np.ndarray]) -> float:
    if vector is None or not words:
        return 0.0
    best = max(float(vector @ word_vectors[w]) for w in words if w in word_vectors)
    return SOFT_CREDIT if best >= SOFT_MATCH else 0.0


def content_words(text: str) -> list[str]:
    """Return the folded words of text that carry meaning (stopwords dropped, order kept)."""
    return [t for t in tokens(text) if terms(t)]


@functools.lru_cache(maxsize=4096)
def _context_terms(title: str, section: str) -> frozenset[str]:
    return frozenset(terms(f"{title} {section}"))


def score_sentences(question: str, previous: str | None, query_vector: np.ndarray, passages: list[Passage],
                    vectors: SentenceVectors, words: WordVectors, lexical: LexicalIndex) -> list[Candidate]:
    """Score every sentence of the passages against the question, best first."""
    query = weighted_terms(question, previous)
    unknown = {t for t in query.weights if lexical.idf(t) >= lexical.idf("\x00unseen")}
    kind = answer_type(question)
    sentences, seen = [], set()
    cached = vectors.get(passages)
    for passage in passages:
        chunk = cached[passage.chunk.id]
        m = passage.chunk.metadata
        context = _context_terms(m.get("title", ""), m.get("section", ""))
        for i, (start, end) in enumerate(chunk.spans):
            text = passage.chunk.text[start:end]
            if text in seen or len(chunk.terms[i]) < 3:
                continue
            seen.add(text)
            leans = i > 0 and _ANAPHOR.match(text)
            features = SentenceFeatures(chunk.terms[i], chunk.words[i],
                                        context | chunk.terms[i - 1] if leans else context)
            sentences.append((passage, start, text, chunk.vectors[i], features,
                              chunk.spans[i - 1][0] if i > 0 else None))
    word_vectors = words.get(set(query.surface.values()).union(*(f.words for _, _, _, _, f, _ in sentences)))
    candidates = []
    for passage, start, text, vector, features, antecedent in sentences:
        semantic = float(vector @ query_vector)
        cover, misses_unknown = coverage(query, lexical.idf, features, word_vectors, unknown)
        score = SEMANTIC_WEIGHT * semantic + (1 - SEMANTIC_WEIGHT) * cover
        if not satisfies(kind, text):
            score *= TYPE_PENALTY
        if misses_unknown:
            score *= UNKNOWN_PENALTY
        candidates.append(Candidate(text, passage, start, semantic, cover, score, antecedent))
    return sorted(candidates, key=lambda c: c.score, reverse=True)


def compose(candidates: list[Candidate], max_sentences: int = 3, max_chars: int = 600,
            keep_ratio: float = 0.9) -> tuple[str, list[Citation]]:
    """Join the best sentences (those close to the best score) with [n] markers, within the length limit."""
    best = candidates[0].score
    chosen: list[Candidate] = []
    length = 0
    for candidate in candidates:
        if len(chosen) == max_sentences or candidate.score < keep_ratio * best:
            break
        if chosen and length + len(candidate.text) > max_chars:
            continue
        chosen.append(candidate)
        length += len(candidate.text) + 5
    chosen = [_with_antecedent(c, chosen, max_chars - length) for c in chosen]
    # One citation per sentence, quoting it verbatim, so every marker can be checked on its own.
    citations = [Citation.from_chunk(n, c.passage.chunk, c.text, c.score) for n, c in enumerate(chosen, start=1)]
    return " ".join(f"{c.text} [{n}]" for n, c in enumerate(chosen, start=1)), citations


def _with_antecedent(candidate: Candidate, chosen: list[Candidate], room: int) -> Candidate:
    """Put the sentence before an anaphoric one ("These included ...") in front of it, if it fits."""
    start = candidate.antecedent
    if start is None or not _ANAPHOR.match(candidate.text):
        return candidate
    joined = candidate.passage.chunk.text[start : candidate.start + len(candidate.text)]
    if len(joined) - len(candidate.text) > room or any(c.passage is candidate.passage and c.start == start
                                                       for c in chosen):
        return candidate
    return Candidate(joined, candidate.passage, start, candidate.semantic, candidate.coverage, candidate.score)
