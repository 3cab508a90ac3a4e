"""Extractive answers: pick the sentences of the retrieved passages that answer the question, and cite them."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from bot.answer import Citation
from bot.question import answer_type, asks_for_list, counts, is_yes_no, listed_names, quantity_heads, satisfies
from bot.retrieval import LexicalIndex, Passage, similar
from bot.text import proper_names, terms, tokens
from bot.vectors import SentenceVectors, WordVectors
from ingest import ANAPHOR, sentence_spans

SEMANTIC_WEIGHT = 0.5
TYPE_PENALTY = 0.6  # a sentence without the kind of fact asked for (a number, a date, a name) weighs less
CONTEXT_CREDIT = 0.7  # a question term found only in the section heading or the sentence an anaphor leans on
TITLE_CREDIT = 0.35  # a question term found only in the document title, which speaks for the whole document
PREVIOUS_TURN_WEIGHT = 0.5  # terms carried over from the previous question of a follow-up
SOFT_MATCH = 0.6  # cosine between single-word embeddings above which a paraphrase counts
SOFT_CREDIT = 0.8
# The question names something the sentence's document never mentions, nor the sentence paraphrases.
UNKNOWN_PENALTY = 0.6
UNKNOWN_VERB_WEIGHT = 0.3  # a verb no document uses ("play", "help") is usually a paraphrase, not a missing topic
QUANTITY_PENALTY = 0.8  # "how many X": the sentence has numbers, but none counts X
SUBJECT_BONUS = 0.2  # the document is about what the question asks about: its title names all of it
YES_NO_PENALTY = 0.8  # "Did they visit imec?": the sentence does not mention what is asked about
NAMES_BONUS = 0.3  # "which organisations...": a sentence listing names the question does not contain

# Words that name the kind of answer wanted ("what was the *title* of ..."), not what it is about.
SLOT_WORDS = frozenset("name names title called number amount date day time year month place location kind "
                       "type sort big large long far old often high".split())
SLOT_HEAD_WEIGHT = 0.5  # "Which *city* hosted...": the answer need not repeat the word asked with
# Verbs common in questions. When no document uses one, the question is paraphrasing, not asking
# about something the documents lack ("What part did SRI play?").
COMMON_VERBS = frozenset("""
achieve achieved act acted add added agree allow ask asked attend bring brought build call change
choose chose consider contribute cover create deal decide describe design develop discuss do end
expect explain feel find found follow go happen help hope host include involve join keep lead learn leave
let look manage mean meet mention move need offer pass plan play present provide put reach receive
remain report represent require run say see seem send serve set show spend start stay stop suggest
support take talk team tell think travel try turn understand use visit want win work write
""".split())
_AUXILIARY = frozenset("to did do does didn didnt will would can could should may might shall".split())


@dataclass
class Candidate:
    """A sentence of a retrieved passage, scored against the question."""

    text: str
    passage: Passage
    start: int  # offset of the sentence in the chunk text
    semantic: float
    coverage: float
    score: float
    antecedent: str | None = None  # the sentence before it in the chunk, if any


@dataclass
class QueryTerms:
    """The question's terms with their weights, the words they came from, and the topics it asks about."""

    weights: dict[str, float]
    surface: dict[str, str]
    topics: set[str] = field(default_factory=set)  # terms that are not verbs or slot words ("hotel", "visa")
    names: set[str] = field(default_factory=set)  # terms written as names ("Sweden"): no paraphrase stands in


def weighted_terms(question: str, previous: str | None, lexical: LexicalIndex | None = None) -> QueryTerms:
    """Return the question's terms with weights.

    A term weighs 1 + its IDF (smoothed: in a small corpus plain IDF is near zero for everything the
    documents are about). A follow-up's earlier question counts less. A word no document contains
    weighs as a rare one, except a verb, which is more often a paraphrase ("What part did SRI
    play?"), and a word that only names the kind of answer ("title"), which weighs nothing.
    Topics are the question's own terms other than those: a document that mentions none of a topic
    cannot answer the question.
    """
    weights: dict[str, float] = {}
    surface: dict[str, str] = {}
    topics: set[str] = set()
    named: set[str] = set()
    rare = lexical.rare_idf() if lexical is not None else 0.0
    for text, turn_weight in ((question, 1.0), (previous or "", PREVIOUS_TURN_WEIGHT)):
        words = tokens(text)
        names = proper_names(text)
        for i, word in enumerate(words):
            for term in terms(word):
                if term in weights:
                    continue
                surface[term] = word
                slot = word in SLOT_WORDS
                verb = word not in names and _verb_like(word, words[i - 1] if i else "")
                if word in names:
                    named.add(term)
                # "What *sectors* does X cover?": a word asked with names the kind of answer, and weighs less.
                head = turn_weight == 1.0 and i > 0 and words[i - 1] in ("which", "what")
                if turn_weight == 1.0 and not (slot or verb):
                    topics.add(term)
                if lexical is None:
                    weights[term] = turn_weight
                elif lexical.knows(term):
                    weights[term] = turn_weight * (1 + min(lexical.idf(term), rare))
                    if head:
                        weights[term] *= SLOT_HEAD_WEIGHT
                elif slot:
                    weights[term] = 0.0
                else:
                    weights[term] = turn_weight * (UNKNOWN_VERB_WEIGHT if verb else 1.0) * (1 + rare)
    return QueryTerms(weights, surface, topics, named)


def _verb_like(word: str, before: str) -> bool:
    bases = {word, word.removesuffix("s"), word.removesuffix("ing"), word.removesuffix("ing") + "e"}
    return before in _AUXILIARY or bool(bases & COMMON_VERBS) or (len(word) > 4 and word.endswith("ed"))


def _covers(term: str, words: set[str]) -> bool:
    # "ohio" is covered by "jobsohio": names glued together still count; "californian" by "california".
    return term in words or (len(term) >= 4 and not term.isdigit() and any(term in w or similar(term, w)
                                                                            for w in words))


@dataclass
class SentenceFeatures:
    """What a sentence offers to match a question with."""

    terms: frozenset[str]
    words: frozenset[str]  # content words as written (folded), for soft matching
    context: frozenset[str]  # terms of the section heading, and of the sentence before an anaphoric one
    title: frozenset[str]  # terms of the document title


def coverage(query: QueryTerms, features: SentenceFeatures, word_vectors: dict[str, np.ndarray],
             document: frozenset[str]) -> tuple[float, bool]:
    """Return the weighted share of question terms the sentence covers, and whether it misses a topic
    that its whole document (as retrieved) never mentions: a sign this document does not answer."""
    total = sum(query.weights.values())
    if total <= 0:
        return 0.0, False
    got, misses_unknown = 0.0, False
    for term, weight in query.weights.items():
        if _covers(term, features.terms):
            credit = 1.0
        elif _covers(term, features.context):
            credit = CONTEXT_CREDIT
        elif term not in query.names and _covers(term, features.title):
            # A name asked about must be in the sentence or its context: a document titled
            # "BILAT USA 4.0 (and its predecessor BILAT USA 2.0)" is about both.
            credit = TITLE_CREDIT
        else:
            credit = 0.0 if term in query.names else _soft_credit(word_vectors.get(query.surface[term]),
                                                                  features.words, word_vectors)
            misses_unknown |= credit == 0 and term in query.topics and not _covers(term, document)
        got += credit * weight
    return got / total, misses_unknown


def _soft_credit(vector: np.ndarray | None, words: set[str], word_vectors: dict[str, np.ndarray]) -> float:
    if vector is None or not words:
        return 0.0
    best = max(float(vector @ word_vectors[w]) for w in words if w in word_vectors)
    return SOFT_CREDIT if best >= SOFT_MATCH else 0.0


@functools.lru_cache(maxsize=4096)
def _context_terms(text: str) -> frozenset[str]:
    return frozenset(terms(text))


def score_sentences(question: str, previous: str | None, query_vector: np.ndarray, passages: list[Passage],
                    vectors: SentenceVectors, words: WordVectors, lexical: LexicalIndex) -> list[Candidate]:
    """Score every sentence of the passages against the question, best first."""
    query = weighted_terms(question, previous, lexical)
    kind = answer_type(question)
    heads = quantity_heads(question) if kind == "number" else set()
    asked = set(query.weights)
    # The thing asked about, by its name when the question writes one ("Lifestyle & Design Cluster").
    subject = frozenset(query.names & query.topics or query.topics)
    # A yes/no question is about its most specific topic ("imec" in "Did they visit imec?").
    topics = [t for t in query.topics if query.weights.get(t, 0) > 0]
    focus = max(topics, key=lambda t: query.weights[t]) if is_yes_no(question) and topics else None
    sentences, seen = [], set()
    cached = vectors.get(passages)
    documents: dict[str, frozenset[str]] = {}
    for passage in passages:
        m = passage.chunk.metadata
        documents[passage.chunk.source] = documents.get(passage.chunk.source, frozenset()).union(
            _context_terms(m.get("title") or ""), _context_terms(m.get("section") or ""),
            *cached[passage.chunk.id].terms)
    for passage in passages:
        chunk = cached[passage.chunk.id]
        m = passage.chunk.metadata
        context, title = _context_terms(m.get("section") or ""), _context_terms(m.get("title") or "")
        for i, (start, end) in enumerate(chunk.spans):
            text = passage.chunk.text[start:end]
            if text in seen or len(chunk.terms[i]) < 3:
                continue
            seen.add(text)
            leans = i > 0 and ANAPHOR.match(text)
            features = SentenceFeatures(chunk.terms[i], chunk.words[i],
                                        context | chunk.terms[i - 1] if leans else context, title)
            sentences.append((passage, start, text, chunk.vectors[i], features,
                              passage.chunk.text[slice(*chunk.spans[i - 1])] if i > 0 else None))
    word_vectors = words.get(set(query.surface.values()).union(*(f.words for _, _, _, _, f, _ in sentences)))
    candidates = []
    for passage, start, text, vector, features, antecedent in sentences:
        semantic = float(vector @ query_vector)
        cover, misses_unknown = coverage(query, features, word_vectors, documents[passage.chunk.source])
        score = SEMANTIC_WEIGHT * semantic + (1 - SEMANTIC_WEIGHT) * cover
        if not satisfies(kind, text):
            score *= TYPE_PENALTY
        elif heads and not counts(text, heads):
            score *= QUANTITY_PENALTY
        if focus and not (_covers(focus, features.terms) or _covers(focus, features.context)):
            score *= YES_NO_PENALTY
        if misses_unknown:
            score *= UNKNOWN_PENALTY
        if subject and subject <= features.title:
            score *= 1 + SUBJECT_BONUS
        candidates.append(Candidate(text, passage, start, semantic, cover, score, antecedent))
    if kind == "name" and asks_for_list(question):
        _favour_lists(candidates, asked)
    return sorted(candidates, key=lambda c: c.score, reverse=True)


def _favour_lists(candidates: list[Candidate], asked: set[str]) -> None:
    """For a question asking for several names, favour sentences that list things the question does not.

    An enumeration that leans on the sentence before it ("These organizations include: A, B, C")
    is what answers "which organisations ...?" about that sentence, so it takes the better score of the two.
    """
    base = {c.text: c.score for c in candidates}
    for c in candidates:
        if c.antecedent is not None and ANAPHOR.match(c.text) and c.text.count(",") >= 2:
            c.score = max(c.score, base.get(c.antecedent, 0.0))
        c.score *= 1 + NAMES_BONUS * min(listed_names(c.text, asked), 4) / 4


def compose(candidates: list[Candidate], max_sentences: int = 3, max_chars: int = 600,
            keep_ratio: float = 0.9) -> tuple[str, list[Citation]]:
    """Join the best sentences (those close to the best score) with [n] markers, within the length limit.

    A sentence that leans on the ones before it ("It was created in 1994 ...") comes with them, so
    the answer says what "it" is.
    """
    best = candidates[0].score
    chosen: list[Candidate] = []
    length = 0
    for candidate in candidates:
        if len(chosen) == max_sentences or candidate.score < keep_ratio * best:
            break
        if any(_overlap(candidate, c) for c in chosen):
            continue
        candidate = _with_antecedents(candidate, chosen, max_chars - length)
        if chosen and length + len(candidate.text) > max_chars:
            continue
        chosen.append(candidate)
        length += len(candidate.text) + 5
    # One citation per sentence, quoting it verbatim, so every marker can be checked on its own.
    citations = [Citation.from_chunk(n, c.passage.chunk, c.text, c.score) for n, c in enumerate(chosen, start=1)]
    return " ".join(f"{c.text} [{n}]" for n, c in enumerate(chosen, start=1)), citations


MAX_LEAD_SENTENCES = 2


def _overlap(a: Candidate, b: Candidate) -> bool:
    same = a.passage.chunk.id == b.passage.chunk.id
    return same and a.start < b.start + len(b.text) and b.start < a.start + len(a.text)


def _with_antecedents(candidate: Candidate, chosen: list[Candidate], room: int) -> Candidate:
    """Put the sentences an anaphoric one leans on in front of it (at most two), if they fit."""
    if not ANAPHOR.match(candidate.text):
        return candidate
    text = candidate.passage.chunk.text
    spans = sentence_spans(text)
    index = next((i for i, (s, _) in enumerate(spans) if s == candidate.start), None)
    if index is None:
        return candidate
    first = index
    while first > 0 and index - first < MAX_LEAD_SENTENCES and ANAPHOR.match(text[slice(*spans[first])]):
        first -= 1
    start = spans[first][0]
    joined = Candidate(text[start : candidate.start + len(candidate.text)], candidate.passage, start,
                       candidate.semantic, candidate.coverage, candidate.score)
    if first == index or len(joined.text) - len(candidate.text) > room or any(_overlap(joined, c) for c in chosen):
        return candidate
    return joined
