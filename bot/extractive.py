"""The extractive reader: rank every sentence of the retrieved passages as an answer, and say whether the
best one answers at all.

Each sentence gets a few features (`bot/features.py`) that say, in general terms, whether it answers:
how close its meaning is (MiniLM cosine, and word by word through the model's token vectors), how much
of the question it covers, whether it is about the subject the question names, whether it states the
kind of fact asked for, near the question's words. Two small linear models, fitted on the dev question
set (`python -m benchmarks.fit_reader`, weights in `bot/weights.py`), use them: one ranks the sentences
of a question (listwise), the other gives the probability that the best one answers the question, to
which the refusal threshold applies.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from bot import features as f
from bot.catalogue import Entity
from bot.question import Question
from bot.retrieval import Passage
from bot.spans import Span, find_spans
from bot.vectors import ChunkSentences, SentenceVectors, WordVectors, content_words
from bot.weights import ANSWERABILITY, THRESHOLD, WEIGHTS
from ingest import ANAPHOR, LexicalIndex, term_set, terms, tokens

# What ranks the sentences of one question.
FEATURES = ("dense", "dense_before", "opening", "lexical", "context", "rest", "maxsim", "maxsim_rest", "subject_doc",
            "subject_name", "type", "near", "focus", "length", "items", "doc_miss", "rank", "defines")
# What says whether the best sentence answers at all: its rank score, its lead over the next, and what
# tells a near miss (the subject is there, the asked-for fact is not).
ANSWERABILITY_FEATURES = ("margin", "dense", "maxsim_rest", "rest", "type", "focus", "subject_doc",
                          "off_subject", "doc_miss", "no_subject", "typed", "yes_no", "listing", "bias")
# A question about the present ("how many members does it have *now*?"). General English.
_NOW = re.compile(r"\b(?:now|nowadays|today|currently|these days|so far|to date|at present|at the moment)\b", re.I)
# A sentence that says the documents do not know is not an answer, however well it matches.
DISCLAIMER = re.compile(r"\b(?:does not|doesn't|do not|did not|not) (?:say|give|state|name|mention)|\bgives? no\b|"
                        r"\bno public source\b|\bsays nothing\b|\bnot (?:known|stated|given)\b", re.I)


@dataclass
class Candidate:
    """A sentence of a retrieved passage, with its features and its rank score."""

    text: str
    passage: Passage
    start: int  # offset of the sentence in the chunk text
    features: dict[str, float]
    spans: list[Span]
    score: float = 0.0  # rank score: a logit, comparable within one question

    @property
    def disclaims(self) -> bool:
        """Say whether the sentence says the documents do not know."""
        return self.features["disclaims"] > 0

    @property
    def on_subject(self) -> bool:
        """Say whether the sentence is about the question's subjects (its document's, or naming them), or the
        question names none."""
        return on_subject(self.features)

    def as_likely_as(self, best: Candidate) -> bool:
        """Say whether the sentence is at least half as likely to be the answer as `best`: rank scores are
        logits, so within log 2 of it."""
        return self.score >= best.score - math.log(2)


def on_subject(features: dict[str, float]) -> bool:
    """Say whether a sentence with these features is about the question's subjects, or the question has none."""
    return bool(features["no_subject"] or features["subject_doc"] or features["subject_name"])


@dataclass
class _Sentence:
    passage: Passage
    rank: int
    index: int
    chunk: ChunkSentences
    context: frozenset[str]  # terms of its section and title, its subject's names, and (anaphora) its antecedent
    context_words: frozenset[str]

    @property
    def text(self) -> str:
        return self.passage.chunk.text[slice(*self.chunk.spans[self.index])]

    @property
    def leans(self) -> bool:
        """Say whether it leans on the sentence before ("These organizations include: …")."""
        return self.index > 0 and bool(ANAPHOR.match(self.text))


def answerability_features(best: dict[str, float], logits: np.ndarray) -> np.ndarray:
    """Return the answerability features of a question's best sentence, given the rank scores of all its
    sentences, best first."""
    values = dict(best)
    # A question about a named subject answered by a sentence neither in its document nor naming it.
    values["off_subject"] = float(not on_subject(best))
    values["score"] = float(logits[0])
    values["margin"] = float(logits[0] - logits[1]) if len(logits) > 1 else float(logits[0])
    return np.array([values.get(name, 1.0 if name == "bias" else 0.0) for name in ANSWERABILITY_FEATURES])


def disclaimed(candidates: list[Candidate], question: Question) -> bool:
    """Say whether the sentence most relevant to the question says the documents do not know
    ("the announcement does not say where the networking session was held"): then the answer is no.

    Only a question asking for a kind of fact (a date, a time, a place, a name…), or about the subject whose
    own document says it does not know, is settled so. A yes/no question never is: whether the roundtable
    was on 6 November is stated even where a sentence says no time is given.
    """
    if not candidates or not candidates[0].disclaims or question.yes_no:
        return False
    return question.wants is not None or candidates[0].features["subject_doc"] > 0


def states_quantity(candidates: list[Candidate], question: Question) -> bool:
    """Say whether the best sentence that does not disclaim states the date, number or amount asked for (the
    answer quoted): "Its founding members (15 at the time) set the ambition … by 2020" gives no founding year,
    and "Its long-term funding comes from Ohio's liquor business" no sum. Asked how many there are now, a
    figure the sentence dates ("began in October 2015 with nine organisations") is no answer either. Names and
    places are not checked so: a sentence may name one in words no span finds ("The Danish ministry of …")."""
    if question.wants not in f.QUANTITIES:
        return True
    best = next((c for c in candidates if not c.disclaims), None)
    if best is None or best.features["type"] <= 0:
        return False
    return not (question.wants == "number" and _NOW.search(question.text)
                and any(s.kind == "date" for s in best.spans))


class Reader:
    """Ranks sentences as answers and says whether the best one answers."""

    def __init__(self, sentence_vectors: SentenceVectors, word_vectors: WordVectors) -> None:
        self.sentence_vectors = sentence_vectors
        self.word_vectors = word_vectors
        self.weights = np.array([WEIGHTS.get(name, 0.0) for name in FEATURES])
        self.answerability_weights = np.array([ANSWERABILITY.get(name, 0.0) for name in ANSWERABILITY_FEATURES])
        self.threshold = THRESHOLD

    def read(self, question: Question, query_vector: np.ndarray, passages: list[Passage], lexical: LexicalIndex,
             subjects: list[Entity], names: list[str], places: list[str],
             described_by: set[str] = frozenset()) -> list[Candidate]:
        """Return the passages' sentences ranked as answers, best first. `described_by` are the words the
        question used to describe its subjects ("the mission's US partner"): their documents need not say them."""
        candidates = self.candidates(question, query_vector, passages, lexical, subjects, names, places, described_by)
        for c in candidates:
            c.score = float(self.weights @ np.array([c.features[name] for name in FEATURES]))
        return sorted(candidates, key=lambda c: c.score, reverse=True)

    def answerability(self, candidates: list[Candidate]) -> float:
        """Return the probability that the question is answered by its best sentence that does not disclaim."""
        answers = [c for c in candidates if not c.disclaims]
        if not answers:
            return 0.0
        x = answerability_features(answers[0].features, np.array([c.score for c in answers]))
        return 1.0 / (1.0 + math.exp(-float(self.answerability_weights @ x)))

    def candidates(self, question: Question, query_vector: np.ndarray, passages: list[Passage],
                   lexical: LexicalIndex, subjects: list[Entity], names: list[str],
                   places: list[str], described_by: set[str] = frozenset()) -> list[Candidate]:
        """Return every sentence of the passages with its features (unranked)."""
        query = f.query_terms(question, lexical, " ".join(e.name for e in subjects))
        # What the question asks *about* its subjects: every sentence of their documents names them.
        named = set().union(*(term_set(n) for e in subjects for n in e.names)) | set(described_by)
        predicate = query.without(named)
        sentences = self._sentences(passages, subjects)
        documents = _document_terms(sentences)
        question_tokens = self.sentence_vectors.question(question.text)
        weights, predicate_weights = f.word_weights(question.text, query), f.word_weights(question.text, predicate)
        # A question that describes its subject ("inno TSD's US partner") is also asked about it by name,
        # so that the subject's own sentences ("… as the Stanford Research Institute") compare fairly.
        restated = self._restated(question, subjects, described_by) if described_by else query_vector
        vectors = self.word_vectors.get(set(question.focus).union(
            *(s.chunk.words[s.index] | s.context_words for s in sentences))) if question.focus else {}
        asked = set(terms(question.text))
        out = []
        for s in sentences:
            text, sentence_terms, vector = s.text, s.chunk.terms[s.index], s.chunk.vectors[s.index]
            spans = find_spans(text, places, names)
            if question.asks_who:  # "who ran the workshop?": its quoted title is no one
                spans = [sp for sp in spans if not _quoted(text, sp)]
            if not _states(text, spans):
                continue
            token_vectors = s.chunk.tokens[s.index]
            # A document's first sentence usually says what its subject is.
            opening = float(s.passage.chunk.metadata.get("chunk_index") == 0
                            and not any(len(t) >= 2 for t in s.chunk.terms[:s.index]))
            features = {
                "dense": max(float(vector @ query_vector), float(vector @ restated)),
                # "These organizations include: …" means what the sentence before it says.
                "dense_before": float(s.chunk.vectors[s.index - 1] @ query_vector) if s.leans else 0.0,
                "opening": opening,
                "lexical": f.coverage(query, sentence_terms),
                "context": f.coverage(query, sentence_terms | s.context),
                "rest": f.coverage(predicate, sentence_terms | (s.context - named)),
                "maxsim": f.maxsim(question_tokens, weights, token_vectors),
                "maxsim_rest": f.maxsim(question_tokens, predicate_weights, token_vectors),
                "subject_doc": float(any(e.source == s.passage.chunk.source for e in subjects)),
                "subject_name": f.names(text, subjects),
                "type": f.offers(question, spans, asked, text),
                "near": f.near(question, spans, asked, text, predicate),
                "focus": f.focus(question, s.chunk.words[s.index] | s.context_words, sentence_terms | s.context,
                                 vectors, text),
                "length": math.log(1 + len(sentence_terms)),
                "items": f.items(question, spans, asked, text),
                "doc_miss": f.missing(predicate, documents[s.passage.chunk.source]),
                "rank": 1.0 / (1 + s.rank),
                # What a subject is, its document's opening sentence says.
                "defines": opening if question.classifies else 0.0,
                "disclaims": float(bool(DISCLAIMER.search(text))),
                # The same for every sentence of a question: they let the answerability of a question about a
                # named subject differ from one about the mission at large, a list from a yes/no, and so on.
                "no_subject": 0.0 if subjects else 1.0,
                "typed": 0.0 if question.wants is None else 1.0,
                "yes_no": float(question.yes_no),
                "listing": float(question.wants_list),
            }
            out.append(Candidate(text, s.passage, s.chunk.spans[s.index][0], features, spans))
        return out

    def _sentences(self, passages: list[Passage], subjects: list[Entity]) -> list[_Sentence]:
        """Return the passages' sentences, each once, without headings and fragments."""
        cached = self.sentence_vectors.get(passages)
        titles = {_plain(p.chunk.metadata.get("title") or "") for p in passages}
        out, seen = [], set()
        for rank, passage in enumerate(passages):
            chunk, m = cached[passage.chunk.id], passage.chunk.metadata
            context = term_set(m.get("section") or "") | term_set(m.get("title") or "")
            context |= _subject_terms(passage.chunk.source, subjects)
            context_words = _words_of(m.get("section") or "") | _words_of(m.get("title") or "")
            for i, (start, end) in enumerate(chunk.spans):
                text = passage.chunk.text[start:end]
                if text in seen or len(chunk.terms[i]) < 2 or _is_heading(text, titles):
                    continue
                seen.add(text)
                sentence = _Sentence(passage, rank, i, chunk, context, context_words)
                if sentence.leans:
                    sentence.context = context | chunk.terms[i - 1]
                    sentence.context_words = context_words | chunk.words[i - 1]
                out.append(sentence)
        return out

    def _restated(self, question: Question, subjects: list[Entity], described_by: set[str]) -> np.ndarray:
        words = [w for w in re.findall(r"[\w'’-]+", question.text) if not set(terms(w)) & described_by]
        return self.sentence_vectors.embed([" ".join(words + [e.name for e in subjects])])[0]


def _quoted(text: str, span: Span) -> bool:
    """Say whether a span is a title in quotation marks (“Building New Transatlantic …”)."""
    return 0 < span.start and span.end < len(text) and text[span.start - 1] in "\"“'‘" and text[span.end] in "\"”'’"


def _document_terms(sentences: list[_Sentence]) -> dict[str, frozenset[str]]:
    """Return, per document, every term of its retrieved sentences, titles, sections and subject's names."""
    found: dict[str, frozenset[str]] = {}
    for s in sentences:
        source = s.passage.chunk.source
        found[source] = found.get(source, frozenset()) | s.context | s.chunk.terms[s.index]
    return found


def _subject_terms(source: str, subjects: list[Entity]) -> frozenset[str]:
    # In the document about a subject, "It was founded in 1984" is about that subject by its name.
    return frozenset().union(*(term_set(" ".join(e.names)) for e in subjects if e.source == source))


def _words_of(text: str) -> frozenset[str]:
    return frozenset(content_words(text))


def _plain(text: str) -> str:
    return " ".join(tokens(text))


# How a line ends when it is a sentence, and how a list item starts.
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")
_LIST_ITEM = re.compile(r"(?:[-*+•]|\d+[.)])\s")


def _states(text: str, spans: list[Span]) -> bool:
    """Say whether a line reads as a statement: a sentence (it ends like one), a list item, or a dateline
    ("Posted on 29/11/2018 at 16:03"). A line that is none of these, such as a line of code, a table cell or
    a label, is not quoted as an answer."""
    return bool(_SENTENCE_END.search(text) or _LIST_ITEM.match(text)
                or any(s.kind in ("date", "time") for s in spans))


def _is_heading(text: str, titles: set[str]) -> bool:
    """Say whether a line is the document's title repeated in its text (no full stop): a heading, not a statement."""
    return not _SENTENCE_END.search(text.rstrip()) and _plain(text) in titles
