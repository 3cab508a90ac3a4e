"""What the reader measures about a sentence, one function an idea: how much of the question it covers,
whether it states the kind of fact asked for, how near that fact is to the question's words, whether it
lists things, and whether its document mentions the question's topics at all."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from bot.catalogue import Entity
from bot.question import FOUNDING, Question
from bot.spans import Span
from bot.vectors import QuestionTokens
from ingest import LexicalIndex, similar, term_set, terms, tokens

# Words that name the kind of answer wanted ("what was the *title*", "which *year*"), not its topic.
SLOT_WORDS = frozenset(terms("name names title called year date day month time kind type sort number amount "
                              "big large long far old often high much"))
# The kinds of span that answer each kind of question ("who" is answered by a name, a person or a place;
# "how big was the grant?" by an amount of money).
ACCEPTS = {"name": {"name", "person", "place"}, "number": {"number", "duration", "money"}, "duration": {"duration"},
           "date": {"date", "time"}, "time": {"time"}, "place": {"place"}, "person": {"person", "name"},
           "money": {"money"}}
QUANTITIES = ("number", "duration", "money", "date", "time")
_ITEM_SEPARATOR = re.compile(r",\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+")
_YEAR = re.compile(r"\b\d{4}\b")
_CLAUSE = re.compile(r"[,;:()]|\s[–—]\s")


@dataclass
class QueryTerms:
    """The question's terms with their weights (1 + IDF) and the words they were written as."""

    weights: dict[str, float]
    surface: dict[str, str]
    topics: set[str] = field(default_factory=set)  # terms a document must mention to answer

    @property
    def total(self) -> float:
        return sum(self.weights.values())

    def without(self, drop: set[str]) -> QueryTerms:
        """Return the terms but those in `drop` (the words naming or describing the question's subjects)."""
        return QueryTerms({t: w for t, w in self.weights.items() if t not in drop}, self.surface, self.topics - drop)


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
                weight = share * (1 + (min(lexical.idf(term), rare) if lexical.knows(term) else rare))
                if term in SLOT_WORDS:
                    weight = 0.0
                elif term in question.head:
                    weight *= 0.5
                weights[term] = weight
                if share == 1.0 and weight > 0:
                    topics.add(term)
    return QueryTerms(weights, surface, topics)


def covers(term: str, words: frozenset[str] | set[str]) -> bool:
    """Say whether a term is among words, or glued into one ("ohio" in "jobsohio"), or a close form ("californian")."""
    return term in words or (len(term) >= 4 and not term.isdigit()
                             and any(term in w or similar(term, w) for w in words))


def coverage(query: QueryTerms, words: frozenset[str]) -> float:
    """Return the weighted share of the query's terms that words cover."""
    if query.total <= 0:
        return 0.0
    return sum(w for t, w in query.weights.items() if covers(t, words)) / query.total


def missing(query: QueryTerms, document: frozenset[str]) -> float:
    """Return the weighted share of the question's topics that the sentence's document never mentions."""
    total = sum(query.weights[t] for t in query.topics)
    if total <= 0:
        return 0.0
    return sum(query.weights[t] for t in query.topics if not covers(t, document)) / total


def names(text: str, subjects: list[Entity]) -> float:
    """Return the share of the question's subjects the sentence names."""
    if not subjects:
        return 0.0
    hits = sum(1 for e in subjects if any(re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", text, re.I)
                                          for n in e.names))
    return hits / len(subjects)


def fits(span: Span, question: Question, asked: set[str]) -> bool:
    """Say whether a span is of the kind of fact asked for, not given by the question, and, when a year is
    asked for, holds one."""
    return (span.kind in ACCEPTS[question.wants] and not given(span, asked)
            and (not question.wants_year or bool(_YEAR.search(span.text))))


def given(span: Span, asked: set[str]) -> bool:
    """Say whether the question already gives a span (more than half its words; for a quantity, its
    number): it is no answer then. "four days" answers "how many days": the question gives "days", not "four"."""
    span_terms = set(terms(span.text))
    if span.kind in QUANTITIES:
        span_terms = {t for t in span_terms if t[:1].isdigit()} or span_terms
    return not span_terms or len(span_terms & asked) * 2 > len(span_terms) or span_terms <= asked


def counts(text: str, span: Span, head: set[str]) -> bool:
    """Say whether a number counts what the question asks about ("12 American … associations")."""
    return bool(head & ({t for w in tokens(text[span.end:])[:5] for t in terms(w)} | set(terms(span.text))))


def offers(question: Question, spans: list[Span], asked: set[str], text: str) -> float:
    """Return 1 when the sentence states the kind of fact asked for and the question does not already
    give it; for "how many X", ½ for a number that does not count X. Asked when something was founded, a
    date answers only in a clause that says it came to be ("It was set up in 2014", not "by 2020")."""
    if question.wants is None:
        return 1.0
    fresh = [s for s in spans if fits(s, question, asked)]
    if question.asks_founding:
        fresh = [s for s in fresh if FOUNDING.search(clause(text, s))]
    if not fresh:
        return 0.0
    if question.wants == "number" and question.head:
        return 1.0 if any(counts(text, s, set(question.head)) for s in fresh) else 0.5
    if question.wants == "person" and not any(s.kind == "person" for s in fresh):
        return 0.5  # "which mayor …?": "the mayor of Aarhus" names no person, but may be all there is
    return 1.0


def clause(text: str, span: Span) -> str:
    """Return the clause of a sentence that holds a span (between commas, semicolons, brackets, dashes)."""
    bounds = [0] + [m.end() for m in _CLAUSE.finditer(text)] + [len(text)]
    return text[max(b for b in bounds if b <= span.start):min(b for b in bounds if b >= span.end)]


def near(question: Question, spans: list[Span], asked: set[str], text: str, predicate: QueryTerms) -> float:
    """Return how much of what the question asks about stands in the same clause as a fact of the kind
    asked for ("founded … in 1984" answers "when was it founded?" better than "founded …, and in 2016 …")."""
    if question.wants is None or predicate.total <= 0:
        return 0.0
    return max((coverage(predicate, term_set(clause(text, s))) for s in spans if fits(s, question, asked)),
               default=0.0)


def enumeration(text: str) -> list[str]:
    """Return the items of the longest enumeration in a sentence ("A, B, and C"), or [] if it has none."""
    best: list[str] = []
    for clause in re.split(r"[;:()]|\s[–—]\s", text):
        items = [i.strip(" .\"“”") for i in _ITEM_SEPARATOR.split(clause) if i.strip(" .\"“”")]
        if len(items) >= 3 and len(items) > len(best):
            best = items
    return best


def items(question: Question, spans: list[Span], asked: set[str], text: str) -> float:
    """For a question asking for several things, return how many the sentence lists (log 1 + n): names of
    the kind asked for, or, for things without a kind ("which fields"), items of an enumeration."""
    if not question.wants_list:
        return 0.0
    if question.wants is None:
        return math.log1p(len(enumeration(text)))
    return math.log1p(len({s.text for s in spans if fits(s, question, asked)}))


def focus(question: Question, words: frozenset[str], sentence_terms: frozenset[str],
          vectors: dict[str, np.ndarray], text: str = "") -> float:
    """Return how well the sentence addresses the question's focus: 1 for the word itself, or any word for
    coming to be when the focus is one ("who *set up* …" is answered by "It was formed by …"), else its
    best cosine with a word of the sentence; 1 when the question has no focus."""
    if not question.focus:
        return 1.0
    got = []
    for word in question.focus:
        if any(covers(term, sentence_terms) for term in terms(word)) or (
                word in question.founding_words and FOUNDING.search(text)):
            got.append(1.0)
        elif words:
            got.append(max(0.0, float((np.stack([vectors[w] for w in words]) @ vectors[word]).max())))
        else:
            got.append(0.0)
    return sum(got) / len(got)


def maxsim(question: QuestionTokens, weights: dict[tuple[int, int], float], sentence: np.ndarray) -> float:
    """Return the weighted mean, over the question's words, of their tokens' best cosine with a token of
    the sentence (late interaction, as ColBERT): "director" finds "Its director" in another sentence's words."""
    if not weights or not len(sentence) or not len(question.vectors):
        return 0.0
    best = (question.vectors @ sentence.astype(np.float32).T).max(axis=1)
    by_word: dict[tuple[int, int], list[float]] = {}
    for score, word in zip(best, question.words):
        if word in weights:
            by_word.setdefault(word, []).append(float(score))
    total = sum(weights[w] for w in by_word)
    return sum(weights[w] * sum(s) / len(s) for w, s in by_word.items()) / total if total else 0.0


def word_weights(text: str, query: QueryTerms) -> dict[tuple[int, int], float]:
    """Return the weight of each word of a question (by character span): its heaviest term's."""
    found = {}
    for match in re.finditer(r"[\w'’-]+", text):
        weight = max((query.weights.get(t, 0.0) for t in terms(match.group(0))), default=0.0)
        if weight > 0:
            found[match.span()] = weight
    return found
