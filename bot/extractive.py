"""The extractive reader: score every sentence of the retrieved passages as an answer to the question.

Each sentence gets a few features that say, in general terms, whether it answers: how close its meaning
is (MiniLM cosine), how much of the question it covers (exactly, with its context, or by paraphrase),
whether it is about the subject the question names, whether it states the kind of fact asked for
(a date for "when", a place for "where"…), and whether its document mentions the question's topics at
all. A logistic model, fitted on the dev question set (`python -m benchmarks.fit_reader`), weighs them;
its output is the probability that the sentence answers, and the refusal threshold applies to it.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field

import numpy as np

from bot.catalogue import Entity
from bot.question import Question
from bot.retrieval import LexicalIndex, Passage, similar
from bot.spans import Span, find_spans
from bot.text import terms, tokens
from bot.vectors import SentenceVectors, WordVectors, content_words
from bot.weights import ANSWERABILITY, THRESHOLD, WEIGHTS
from ingest import ANAPHOR

# What ranks the sentences of one question (weights fitted listwise on dev: bot/weights.py).
FEATURES = ("dense", "dense_before", "opening", "lexical", "context", "soft", "rest", "rest_soft", "maxsim",
            "maxsim_rest", "subject_doc", "subject_name", "type", "near", "focus", "length", "items", "doc_miss",
            "doc_soft_miss", "rank")
# What says whether the best sentence answers at all: its rank score, its lead over the next, and the
# features that tell a near miss (the subject is there, the asked-for fact is not).
ANSWERABILITY_FEATURES = ("score", "margin", "dense", "maxsim_rest", "rest", "type", "focus", "subject_doc",
                          "off_subject", "doc_miss", "doc_soft_miss", "no_subject", "typed", "bias")


def answerability_features(best: dict[str, float], logits: np.ndarray) -> np.ndarray:
    """Return the answerability features of a question's best sentence (its features), given all its
    sentences' rank scores, best first."""
    values = dict(best)
    # A question about a named subject answered by a sentence neither in its document nor naming it.
    values["off_subject"] = float(not best["no_subject"] and not best["subject_doc"] and not best["subject_name"])
    values["score"] = float(logits[0])
    values["margin"] = float(logits[0] - logits[1]) if len(logits) > 1 else float(logits[0])
    return np.array([values.get(f, 1.0 if f == "bias" else 0.0) for f in ANSWERABILITY_FEATURES])


# Words that name the kind of answer wanted ("what was the *title*", "which *year*"), not its topic.
SLOT_WORDS = frozenset(terms("name names title called year date day month time kind type sort number amount "
                              "big large long far old often high much"))
# A sentence that says the documents do not know is not an answer, however well it matches.
DISCLAIMER = re.compile(r"\b(?:does not|doesn't|do not|did not|not) (?:say|give|state|name|mention)|\bgives? no\b|"
                        r"\bno public source\b|\bsays nothing\b|\bnot (?:known|stated|given)\b", re.I)
_ACCEPTS = {"name": {"name", "person", "place"}, "number": {"number", "duration"}, "duration": {"duration"},
            "date": {"date", "time"}, "time": {"time"}, "place": {"place"}, "person": {"person", "name"}, "money": {"money"}}


@dataclass
class Candidate:
    """A sentence of a retrieved passage, with its features and its score as an answer."""

    text: str
    passage: Passage
    start: int  # offset of the sentence in the chunk text
    features: dict[str, float]
    spans: list[Span]
    score: float = 0.0  # rank score: a logit comparable within one question
    antecedent: str | None = None  # the sentence before it in the chunk, if any

    @property
    def disclaims(self) -> bool:
        """Say whether the sentence says the documents do not know."""
        return self.features["disclaims"] > 0


@dataclass
class QueryTerms:
    """The question's terms with their weights (1 + IDF) and the words they were written as."""

    weights: dict[str, float]
    surface: dict[str, str]
    topics: set[str] = field(default_factory=set)  # terms a document must mention to answer

    @property
    def total(self) -> float:
        return sum(self.weights.values())


def query_terms(question: Question, lexical: LexicalIndex, extra: str = "") -> QueryTerms:
    """Weigh the question's terms: 1 + IDF (capped at the IDF of a one-chunk term); the earlier turn of a
    follow-up, `extra` (the subject it resolved to) and the noun asked with ("which *city*") at half
    weight; words naming the kind of answer ("what *year*") at 0."""
    weights: dict[str, float] = {}
    surface: dict[str, str] = {}
    topics: set[str] = set()
    rare = lexical.rare_idf()
    for text, share in ((question.text, 1.0), (question.previous or "", 0.5), (extra, 0.5)):
        for word in tokens(text):
            for term in terms(word):
                if term in weights:
                    continue
                surface[term] = word
                idf = min(lexical.idf(term), rare) if lexical.knows(term) else rare
                weight = share * (1 + idf)
                if term in SLOT_WORDS:
                    weight = 0.0
                elif term in question.head:
                    weight *= 0.5
                weights[term] = weight
                if share == 1.0 and weight > 0:
                    topics.add(term)
    return QueryTerms(weights, surface, topics)


def _covers(term: str, words: frozenset[str] | set[str]) -> bool:
    # "ohio" is covered by "jobsohio": names glued together still count; "californian" by "california".
    return term in words or (len(term) >= 4 and not term.isdigit()
                             and any(term in w or similar(term, w) for w in words))


def _plain(text: str) -> str:
    return " ".join(tokens(text))


def _is_heading(text: str, title_lines: set[str]) -> bool:
    """Say whether a line is the document's title repeated in its text (no full stop): a heading, not a statement."""
    return not text.rstrip().endswith((".", "!", "?")) and _plain(text) in title_lines


@functools.lru_cache(maxsize=8192)
def _terms_of(text: str) -> frozenset[str]:
    return frozenset(terms(text))


class Reader:
    """Ranks sentences as answers and says whether the best one answers; weights from `bot/weights.py`."""

    def __init__(self, sentence_vectors: SentenceVectors, word_vectors: WordVectors) -> None:
        self.sentence_vectors = sentence_vectors
        self.word_vectors = word_vectors
        self.weights = np.array([WEIGHTS.get(f, 0.0) for f in FEATURES])
        self.answerability_weights = np.array([ANSWERABILITY.get(f, 0.0) for f in ANSWERABILITY_FEATURES])
        self.threshold = THRESHOLD

    def read(self, question: Question, query_vector: np.ndarray, passages: list[Passage], lexical: LexicalIndex,
             subjects: list[Entity], names: list[str], places: list[str],
             described_by: set[str] = frozenset()) -> list[Candidate]:
        """Return the passages' sentences scored as answers, best first. `described_by` are the words the
        question used to describe its subjects ("the mission's US partner"), which their documents need not say."""
        candidates = self.candidates(question, query_vector, passages, lexical, subjects, names, places, described_by)
        for c in candidates:
            c.score = self.rank_score(c.features)
        return sorted(candidates, key=lambda c: c.score, reverse=True)

    def rank_score(self, features: dict[str, float]) -> float:
        """Return a sentence's rank score (a logit: only differences within one question mean something)."""
        return float(self.weights @ np.array([features[f] for f in FEATURES]))

    def _restated(self, question: Question, subjects: list[Entity], described_by: set[str]) -> np.ndarray:
        words = [w for w in re.findall(r"[\w'’-]+", question.text) if not set(terms(w)) & described_by]
        text = " ".join(words + [e.name for e in subjects])
        return np.asarray(self.sentence_vectors.embed([text])[0], dtype=np.float32)

    def answerability(self, candidates: list[Candidate]) -> float:
        """Return the probability that the best sentence that does not disclaim answers the question."""
        answers = [c for c in candidates if not c.disclaims]
        if not answers:
            return 0.0
        x = answerability_features(answers[0].features, np.array([c.score for c in answers]))
        return 1.0 / (1.0 + math.exp(-float(self.answerability_weights @ x)))

    def candidates(self, question: Question, query_vector: np.ndarray, passages: list[Passage],
                   lexical: LexicalIndex, subjects: list[Entity], names: list[str],
                   places: list[str], described_by: set[str] = frozenset()) -> list[Candidate]:
        """Return every sentence of the passages with its features (unscored)."""
        query = query_terms(question, lexical, " ".join(e.name for e in subjects))
        # What the question asks *about* its subjects: every sentence of their documents names them.
        named = set().union(*(_terms_of(n) for e in subjects for n in e.names)) | set(described_by)
        predicate = QueryTerms({t: w for t, w in query.weights.items() if t not in named}, query.surface,
                               query.topics - named)
        title_lines = {_plain(p.chunk.metadata.get("title") or "") for p in passages}
        asked = set(terms(question.text))
        cached = self.sentence_vectors.get(passages)
        documents = _document_terms(passages, cached, subjects)
        rows, seen = [], set()
        for rank, passage in enumerate(passages):
            chunk = cached[passage.chunk.id]
            m = passage.chunk.metadata
            context = _terms_of(m.get("section") or "") | _terms_of(m.get("title") or "")
            context |= _subject_terms(passage.chunk.source, subjects)
            context_words = _words_of(m.get("section") or "") | _words_of(m.get("title") or "")
            for i, (start, end) in enumerate(chunk.spans):
                text = passage.chunk.text[start:end]
                if text in seen or len(chunk.terms[i]) < 2 or _is_heading(text, title_lines):
                    continue
                seen.add(text)
                leans = i > 0 and ANAPHOR.match(text)
                before = passage.chunk.text[slice(*chunk.spans[i - 1])] if i > 0 else None
                opening = m.get("chunk_index") == 0 and not any(len(t) >= 2 for t in chunk.terms[:i])
                rows.append((passage, rank, start, text, chunk.vectors[i], chunk.terms[i], chunk.words[i],
                             context | chunk.terms[i - 1] if leans else context, before,
                             float(chunk.vectors[i - 1] @ query_vector) if leans else 0.0, opening,
                             context_words | chunk.words[i - 1] if leans else context_words))
        question_tokens = _question_tokens(self.sentence_vectors, question.text, query, named)
        # A question that describes its subject ("inno TSD's US partner") is also asked about it by name,
        # so that the subject's own sentences ("… as the Stanford Research Institute") compare fairly.
        subject_vector = self._restated(question, subjects, described_by) if described_by else query_vector
        token_vectors = _sentence_tokens(self.sentence_vectors, [r[3] for r in rows])
        vocabulary = set(query.surface.values()).union(*(r[6] for r in rows), *documents.words.values(),
                                                       question.focus)
        vectors = self.word_vectors.get(vocabulary)
        document_miss = {source: _soft_missing(predicate, words, vectors) for source, words in documents.words.items()}
        out = []
        for (passage, rank, start, text, vector, sentence_terms, words, context, before, dense_before, opening,
             context_words) in rows:
            spans = find_spans(text, places, names)
            source = passage.chunk.source
            features = {
                "dense": max(float(vector @ query_vector), float(vector @ subject_vector)),
                "opening": 1.0 if opening else 0.0,  # a document's first sentence usually says what its subject is
                "dense_before": dense_before,  # "These organizations include: …" means what the sentence before says
                "lexical": _coverage(query, sentence_terms),
                "context": _coverage(query, sentence_terms | context),
                "soft": _soft_coverage(query, words, vectors),
                "rest": _coverage(predicate, sentence_terms | (context - named)),
                "rest_soft": _soft_coverage(predicate, words, vectors),
                "maxsim": _maxsim(question_tokens, token_vectors.get(text), rest=False),
                "maxsim_rest": _maxsim(question_tokens, token_vectors.get(text), rest=True),
                "subject_doc": 1.0 if any(e.source == source for e in subjects) else 0.0,
                "subject_name": _names(text, subjects),
                "type": _offers(question, spans, asked, text),
                "near": _near(question, spans, asked, text, predicate),
                "focus": _focus(question, words | context_words, sentence_terms | context, vectors),
                "length": math.log(1 + len(sentence_terms)),
                "items": _items(question, spans, asked, text),
                "doc_miss": _missing(predicate, documents.terms[source]),
                "doc_soft_miss": document_miss[source],
                "rank": 1.0 / (1 + rank),
                "disclaims": 1.0 if DISCLAIMER.search(text) else 0.0,
                # The same for every sentence of a question: they let the probability differ between a
                # question about a named subject and one about the mission at large, without changing the order.
                "no_subject": 0.0 if subjects else 1.0,
                "typed": 0.0 if question.wants is None else 1.0,
                "bias": 1.0,
            }
            out.append(Candidate(text, passage, start, features, spans, antecedent=before))
        return out


def disclaimed(candidates: list[Candidate]) -> bool:
    """Say whether the sentence most relevant to the question says the documents do not know
    ("the announcement does not say where the networking session was held"): then the answer is no."""
    return bool(candidates) and candidates[0].disclaims


@dataclass
class Documents:
    """Per retrieved document, the terms and the words of its retrieved chunks, title, sections and subject."""

    terms: dict[str, frozenset[str]]
    words: dict[str, frozenset[str]]


def _document_terms(passages: list[Passage], cached, subjects: list[Entity]) -> Documents:
    """Return, per document, every term and word its retrieved chunks, title, sections and subject hold."""
    found_terms: dict[str, frozenset[str]] = {}
    found_words: dict[str, frozenset[str]] = {}
    for passage in passages:
        m, source = passage.chunk.metadata, passage.chunk.source
        found_terms[source] = found_terms.get(source, frozenset()).union(
            _terms_of(m.get("title") or ""), _terms_of(m.get("section") or ""),
            _subject_terms(source, subjects), *cached[passage.chunk.id].terms)
        found_words[source] = found_words.get(source, frozenset()).union(
            _words_of(m.get("title") or ""), _words_of(m.get("section") or ""), *cached[passage.chunk.id].words)
    return Documents(found_terms, found_words)


@functools.lru_cache(maxsize=8192)
def _words_of(text: str) -> frozenset[str]:
    return frozenset(content_words(text))


def _subject_terms(source: str, subjects: list[Entity]) -> frozenset[str]:
    # In the document about a subject, "It was founded in 1984" is about that subject by its name.
    return frozenset().union(*(_terms_of(" ".join(e.names)) for e in subjects if e.source == source))


def _coverage(query: QueryTerms, words: frozenset[str]) -> float:
    if query.total <= 0:
        return 0.0
    return sum(w for t, w in query.weights.items() if _covers(t, words)) / query.total


def _soft_coverage(query: QueryTerms, words: frozenset[str], vectors: dict[str, np.ndarray]) -> float:
    """Return the weighted mean, over question terms, of the best cosine with a word of the sentence."""
    if query.total <= 0 or not words:
        return 0.0
    matrix = np.stack([vectors[w] for w in words])
    got = 0.0
    for term, weight in query.weights.items():
        if weight:
            got += weight * max(0.0, float((matrix @ vectors[query.surface[term]]).max()))
    return got / query.total


def _names(text: str, subjects: list[Entity]) -> float:
    """Return the share of the question's subjects the sentence names."""
    if not subjects:
        return 0.0
    hits = sum(1 for e in subjects if any(re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", text, re.I)
                                          for n in e.names))
    return hits / len(subjects)


_QUANTITIES = ("number", "duration", "money", "date", "time")


def given(span: Span, asked: set[str]) -> bool:
    """Say whether the question already gives a span (at least half its words; for a quantity, its
    number): it is no answer then. "four days" answers "how many days": the question gives "days", not "four"."""
    span_terms = set(terms(span.text))
    if span.kind in _QUANTITIES:
        span_terms = {t for t in span_terms if t[:1].isdigit()} or span_terms
    return not span_terms or len(span_terms & asked) * 2 >= len(span_terms)


def _items(question: Question, spans: list[Span], asked: set[str], text: str) -> float:
    """For a question asking for several things, return how many the sentence lists (log 1 + n): names of
    the kind asked for, or, for things without a kind ("which fields"), items of an enumeration."""
    if not question.wants_list:
        return 0.0
    if question.wants is None:
        return math.log1p(len(enumeration(text)))
    return math.log1p(len({s.text for s in spans if s.kind in _ACCEPTS[question.wants] and not given(s, asked)}))


_ITEM_SEPARATOR = re.compile(r",\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+")


def enumeration(text: str) -> list[str]:
    """Return the items of the longest enumeration in a sentence ("A, B, and C"), or [] if it has none."""
    best: list[str] = []
    for clause in re.split(r"[;:()]|\s[–—]\s", text):
        items = [i.strip(" .\"“”") for i in _ITEM_SEPARATOR.split(clause) if i.strip(" .\"“”")]
        if len(items) >= 3 and len(items) > len(best):
            best = items
    return best


def _offers(question: Question, spans: list[Span], asked: set[str], text: str) -> float:
    """Return 1 when the sentence states the kind of fact asked for and the question does not already
    give it; for "how many X", ½ for a number that does not count X."""
    if question.wants is None:
        return 1.0
    accepted = _ACCEPTS[question.wants]
    fresh = [s for s in spans if s.kind in accepted and not given(s, asked)]
    if not fresh:
        return 0.0
    if question.wants == "number" and question.head:
        return 1.0 if any(_counts(text, s, set(question.head)) for s in fresh) else 0.5
    if question.wants == "person" and not any(s.kind == "person" for s in fresh):
        return 0.5  # "which mayor …?": "the mayor of Aarhus" names no person, but may be all there is
    return 1.0


_CLAUSE = re.compile(r"[,;:()]|\s[–—]\s")


def _near(question: Question, spans: list[Span], asked: set[str], text: str, predicate: QueryTerms) -> float:
    """Return how much of what the question asks about stands in the same clause as a fact of the kind
    asked for ("founded … in 1984" answers "when was it founded?" better than "founded …, and in 2016 …")."""
    if question.wants is None or predicate.total <= 0:
        return 0.0
    bounds = [0] + [m.end() for m in _CLAUSE.finditer(text)] + [len(text)]
    best = 0.0
    for span in spans:
        if span.kind not in _ACCEPTS[question.wants] or given(span, asked):
            continue
        start = max(b for b in bounds if b <= span.start)
        end = min(b for b in bounds if b >= span.end)
        clause = _terms_of(text[start:end])
        best = max(best, _coverage(predicate, clause))
    return best


def _counts(text: str, span: Span, head: set[str]) -> bool:
    """Say whether a number counts what the question asks about ("12 American … associations")."""
    return bool(head & ({t for w in tokens(text[span.end:])[:5] for t in terms(w)} | set(terms(span.text))))


def _focus(question: Question, words: frozenset[str], sentence_terms: frozenset[str],
           vectors: dict[str, np.ndarray]) -> float:
    """Return how well the sentence addresses the question's focus: 1 for the word itself, else its
    best cosine with a word of the sentence; 1 when the question has no focus."""
    if not question.focus:
        return 1.0
    got = []
    for word in question.focus:
        if any(_covers(term, sentence_terms) for term in terms(word)):
            got.append(1.0)
        elif words:
            matrix = np.stack([vectors[w] for w in words])
            got.append(max(0.0, float((matrix @ vectors[word]).max())))
        else:
            got.append(0.0)
    return sum(got) / len(got)


def _soft_missing(query: QueryTerms, words: frozenset[str], vectors: dict[str, np.ndarray]) -> float:
    """Return the weighted share of the question's topics the document does not mention even in other
    words: one minus each topic's best cosine with a word of the document."""
    total = sum(query.weights[t] for t in query.topics)
    if total <= 0 or not words:
        return 0.0
    matrix = np.stack([vectors[w] for w in words])
    missing = sum(query.weights[t] * (1 - max(0.0, float((matrix @ vectors[query.surface[t]]).max())))
                  for t in query.topics)
    return missing / total


def _missing(query: QueryTerms, document: frozenset[str]) -> float:
    """Return the weighted share of the question's topics that the sentence's document never mentions."""
    total = sum(query.weights[t] for t in query.topics)
    if total <= 0:
        return 0.0
    return sum(query.weights[t] for t in query.topics if not _covers(t, document)) / total


__all__ = ["Candidate", "Reader", "content_words", "query_terms"]


_TOKEN_CACHE: dict[str, np.ndarray] = {}


def _sentence_tokens(sentence_vectors, texts: list[str]) -> dict[str, np.ndarray]:
    embeddings = sentence_vectors._embeddings
    if not hasattr(embeddings, "encode_tokens"):
        return {}
    missing = [t for t in dict.fromkeys(texts) if t not in _TOKEN_CACHE]
    if missing:
        for text, (vectors, offsets) in zip(missing, embeddings.encode_tokens(missing)):
            keep = [i for i, (a, b) in enumerate(offsets) if b > a]
            _TOKEN_CACHE[text] = vectors[keep].astype(np.float32)
    return {t: _TOKEN_CACHE[t] for t in texts}


def _question_tokens(sentence_vectors, text: str, query: QueryTerms, named: set[str]):
    embeddings = sentence_vectors._embeddings
    if not hasattr(embeddings, "encode_tokens"):
        return []
    ((vectors, offsets),) = embeddings.encode_tokens([text])
    words = {}
    for m in re.finditer(r"[\w'’-]+", text):
        ts = terms(m.group(0))
        weight = max((query.weights.get(t, 0.0) for t in ts), default=0.0)
        if weight > 0:
            words[(m.start(), m.end())] = (weight, bool(set(ts) & named))
    out = []
    for vector, (a, b) in zip(vectors, offsets):
        for (s, e), (weight, is_name) in words.items():
            if s <= a and b <= e and b > a:
                out.append((vector.astype(np.float32), weight, is_name, (s, e)))
    return out


def _maxsim(question_tokens, sentence: np.ndarray | None, rest: bool) -> float:
    if not question_tokens or sentence is None or not len(sentence):
        return 0.0
    by_word: dict = {}
    for vector, weight, is_name, word in question_tokens:
        if rest and is_name:
            continue
        by_word.setdefault(word, (weight, []))[1].append(float((sentence @ vector).max()))
    total = sum(w for w, _ in by_word.values())
    return sum(w * sum(v) / len(v) for w, v in by_word.values()) / total if total else 0.0
