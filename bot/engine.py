"""The answering engine that the Discord bot and the terminal share; no Discord code here."""

from __future__ import annotations

import logging
import re
import time
import unicodedata
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from bot.acronyms import acronym_answer
from bot.agenda import Agenda
from bot.answer import MENTION, REFUSAL, Answer, LLMUnavailable
from bot.catalogue import Catalogue, Entity
from bot.compose import compose
from bot.extractive import Candidate, Reader, disclaimed, states_quantity
from bot.features import QUANTITIES
from bot.question import Question, analyse
from bot.retrieval import HybridRetriever, Passage
from bot.settings import HISTORY_TURNS, MAX_QUESTION_CHARS
from bot.structured import (
    event_answer,
    head_refusal,
    name_answer,
    place_answer,
    place_check,
    programme_answer,
    publication_answer,
)
from bot.subjects import Subjects, find_subjects
from bot.vectors import SentenceVectors, WordVectors
from ingest import ChunkStore, IndexProblem, LexicalIndex, newest_versions, terms

log = logging.getLogger(__name__)

LLM_GATE = 0.5  # share of the refusal threshold at which the LLM still gets to read the passages
_FOLLOW_UP_START = re.compile(r"^\s*(and|but|also|so|then|what about|how about|what of|and what|ok|okay)\b", re.I)
_YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")
# A year the question gives as a fact ("in 2005"), not as a bound ("before 2015"). General English.
_GIVEN_YEAR = re.compile(r"(?:\b(\w+)\s+)?\b((?:1[89]|20)\d\d)\b")
_BOUND = re.compile(r"before|after|since|until|till|by|than|from|pre|post|between|around|circa|about", re.I)
_STILL = re.compile(r"\b(?:still|anymore|any more|any longer|no longer|nowadays|today)\b", re.I)
_PRONOUN = re.compile(r"\b(them|they|it|its|their|theirs|there|those|these|he|she|him|her|that one|this one)\b", re.I)


class QuestionRejected(ValueError):
    """The question cannot be asked as it is; the message says what to change."""


class IndexEmpty(IndexProblem):
    """Nothing is indexed yet."""


@dataclass
class Turn:
    """One question and answer of a conversation, and the subjects the answer was about."""

    question: str  # made standalone
    answer: str
    subjects: tuple[str, ...] = ()  # sources of the documents whose subjects the answer is about


@dataclass
class Conversation:
    """The recent turns of one thread or terminal session."""

    max_turns: int = HISTORY_TURNS
    turns: deque = field(default_factory=deque)

    def add(self, standalone_question: str, answer: str, subjects: tuple[str, ...] = ()) -> None:
        """Remember a turn, forgetting the oldest beyond max_turns."""
        self.turns.append(Turn(standalone_question, answer, subjects))
        while len(self.turns) > self.max_turns:
            self.turns.popleft()

    @property
    def last(self) -> Turn | None:
        return self.turns[-1] if self.turns else None

    @property
    def last_question(self) -> str | None:
        return self.turns[-1].question if self.turns else None


def clean_question(text: str, max_chars: int) -> str:
    """Remove control and zero-width characters, collapse spaces, and check the length."""
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch
                   for ch in text if unicodedata.category(ch) != "Cf")
    text = re.sub(r"\s+", " ", MENTION.sub(" ", text)).strip()  # pings are not part of what is asked
    if not text:
        raise QuestionRejected("Please type a question, for example: Where was the roundtable held?")
    if len(text) > max_chars:
        raise QuestionRejected(f"Your question is {len(text):,} characters long; please keep it under "
                               f"{max_chars:,} characters.")
    return text


def is_follow_up(question: str, conversation: Conversation | None) -> bool:
    """Say whether a question leans on the previous turn ("and which of them...?"), or is too short to stand
    alone ("how many people showed up?")."""
    if conversation is None or conversation.last_question is None:
        return False
    return leans_back(question) or len(terms(question)) <= 2


def leans_back(question: str) -> bool:
    """Say whether a question points back at the previous turn by a word ("and …", "it", "them")."""
    return bool(_FOLLOW_UP_START.search(question) or _PRONOUN.search(question))


@dataclass
class Reading:
    """What the engine found for a question before writing the answer."""

    question: Question
    about: Subjects
    passages: list[Passage]
    candidates: list[Candidate]  # ranked sentences, best first
    structured: Answer | None = None  # the answer, when the documents' structure gives it

    @property
    def subjects(self) -> list[Entity]:
        return self.about.entities


class AnswerEngine:
    """Retrieve passages, answer with the LLM when configured, else (or on failure) extractively."""

    def __init__(self, store: ChunkStore, retriever: HybridRetriever | None = None, llm=None,
                 threshold: float | None = None, max_question_chars: int = MAX_QUESTION_CHARS,
                 agenda: Agenda | None = None) -> None:
        self.store = store
        self.agenda = agenda
        self.retriever = retriever or HybridRetriever(store)
        self.llm = llm
        self.max_question_chars = max_question_chars
        self.reader = Reader(SentenceVectors(store.embeddings), WordVectors(store.embeddings))
        self.threshold = self.reader.threshold if threshold is None else threshold
        self._catalogue: tuple[int, Catalogue] | None = None

    @property
    def mode(self) -> str:
        return "llm" if self.llm is not None else "extractive"

    def catalogue(self) -> Catalogue:
        """Return what the documents state about their subjects, rebuilt when the index changes."""
        revision = self.store.revision()
        if self._catalogue is None or self._catalogue[0] != revision:
            self._catalogue = (revision, Catalogue(self.store.sources()))
        return self._catalogue[1]

    def standalone(self, question: str, conversation: Conversation | None) -> tuple[str, str | None]:
        """Return the question made standalone, and the earlier question it leans on (if any)."""
        if not is_follow_up(question, conversation):
            return question, None
        previous = conversation.last_question
        if self.llm is not None:
            rewritten = self.llm.rephrase(question, [(t.question, t.answer) for t in conversation.turns])
            if rewritten:
                return rewritten, previous
        return f"{question} ({previous})", previous

    def answer(self, question: str, conversation: Conversation | None = None) -> Answer:
        """Answer one question, citing the passages it rests on, or say plainly that the documents don't say."""
        started = time.perf_counter()
        reading = self.read(question, conversation)
        retrieved = time.perf_counter()
        result = reading.structured or self._answer(reading)
        done = time.perf_counter()
        asked = reading.question
        result.standalone_question = asked.standalone if asked.standalone != asked.text else None
        result.timings_ms = {"retrieve": round((retrieved - started) * 1000, 2),
                             "generate": round((done - retrieved) * 1000, 2),
                             "total": round((done - started) * 1000, 2)}
        if conversation is not None:
            conversation.add(asked.standalone, result.answer, tuple(e.source for e in self._about(reading, result)))
        return result

    def _about(self, reading: Reading, result: Answer) -> list[Entity]:
        """Return what a follow-up's "it" or "they" will mean: the subjects the answer named when the
        question asked for a name ("who led it?" → inno TSD), else the question's own subjects, also when the
        documents did not answer it: after "What was SRI originally called?" is refused, "it" is still SRI."""
        catalogue = self.catalogue()
        if result.grounded and reading.question.wants == "name" and result.short:
            named = catalogue.mentioned(result.short)
            if named:
                return named  # all of them: "which of *them* …" narrows the whole list
        return reading.subjects

    def read(self, question: str, conversation: Conversation | None = None) -> Reading:
        """Analyse a question, find its subjects and passages, and score their sentences as answers."""
        text = clean_question(question, self.max_question_chars)
        standalone, previous = self.standalone(text, conversation)
        reading = self._read(text, standalone, previous, conversation)
        if self.llm is None and previous is not None and not leans_back(text):
            # Short, but pointing back by no word: "What did the presentations cover?" after a question on another
            # topic may be a question of its own. Read with the earlier turn it finds nothing, so it is read alone.
            if not self._answers(reading):
                alone = self._read(text, text, None, None)
                if self._answers(alone):
                    return alone
        return reading

    def _answers(self, reading: Reading) -> bool:
        """Say whether a reading answers: from the documents' structure, or with a sentence over the threshold."""
        if reading.structured is not None:
            return reading.structured.grounded
        return self.reader.answerability(reading.candidates) >= self.threshold

    def _read(self, text: str, standalone: str, previous: str | None, conversation: Conversation | None) -> Reading:
        asked = analyse(text, previous, standalone)
        structured = (publication_answer(self.store, asked) or acronym_answer(self.store, asked)
                      or programme_answer(self.store, self.agenda, asked))
        leans = previous is not None and leans_back(text)
        if structured is None and self.llm is None:  # the model reads the programme's lines in the passages itself
            # "and where was it held?" after "… the roundtable?": the event the earlier turn named, unless that
            # turn was about subjects with documents ("it" is then one of them).
            event_turn = previous if leans and not conversation.last.subjects else None
            structured = event_answer(self.store, self.agenda, asked, event_turn)
        if structured is not None:
            return Reading(asked, Subjects(), [], [], structured)
        catalogue = self.catalogue()
        # A question that is a follow-up only by being short ("how many people showed up?") carries the last
        # turn's words, not its subjects: "which year did the mission take place?" is not about them.
        earlier = [e for e in map(catalogue.by_source, conversation.last.subjects) if e] if leans else []
        about = find_subjects(asked, catalogue, self.store, earlier)
        subjects = about.entities
        structured = about.listed or self._one_subject(asked, about)
        if structured is not None:
            return Reading(asked, about, [], [], structured)
        query_vector = np.asarray(self.store.embeddings.embed_query(standalone), dtype=np.float32)
        lexical = self.retriever.lexical()  # one revision check per question, shared by both steps
        passages = self._passages(asked, query_vector, lexical, subjects + about.pool)
        if not passages and self.store.count() == 0:
            raise IndexEmpty("nothing is indexed yet: ask an admin to run /reindex (or run `make index`)")
        candidates = self.reader.read(asked, query_vector, passages, lexical, subjects, catalogue.names(),
                                      catalogue.places(), about.described_by) if passages else []
        return Reading(asked, about, passages, candidates)

    def _one_subject(self, asked: Question, about: Subjects) -> Answer | None:
        """Answer "which country is inno TSD's US partner in?" or "what was it originally called?" from the front
        matter and own document of the one subject it asks about: the one it describes, else the one it names."""
        described = about.described
        target = described if len(described) == 1 else about.entities
        if len(target) != 1:
            return None
        known = about.described_by.union(*(set(terms(n)) for e in about.entities for n in e.names))
        # "Who heads the Fort Collins Economic Health Office?" is about the office it names, though "heads"
        # is also how the documents call the mission's organiser.
        head_of = about.named[0] if len(about.named) == 1 else target[0]
        return (place_answer(self.store, asked, target[0], known, described=bool(described))
                or place_check(self.store, self.catalogue(), asked, target[0])
                or name_answer(self.store, asked, target[0]) or head_refusal(self.store, asked, head_of))

    def _passages(self, asked: Question, query_vector: np.ndarray, lexical: LexicalIndex,
                  subjects: list[Entity]) -> list[Passage]:
        """Return the retrieved passages, plus every chunk of the subjects' own documents."""
        passages = self.retriever.search(asked.standalone, query_vector.tolist(), lexical, asked.wants)
        have = {p.chunk.id for p in passages}
        for entity in subjects:
            for chunk in newest_versions(self.store.of_source(entity.source)):
                if chunk.id not in have:
                    passages.append(Passage(chunk, 0.0, 0.0, 0.0))
                    have.add(chunk.id)
        return passages

    def _within(self, candidates: list[Candidate], likely: float, sources: set[str]) -> tuple[list[Candidate], float]:
        """Return the candidates from these documents and their answerability, when they answer; else those given."""
        own = [c for c in candidates if c.passage.chunk.source in sources]
        own_likely = self.reader.answerability(own) if own else 0.0
        return (own, own_likely) if own and own_likely >= self.threshold else (candidates, likely)

    def _answer(self, reading: Reading) -> Answer:
        asked, candidates = reading.question, reading.candidates
        likely = self.reader.answerability(candidates)
        described = reading.about.described
        if len(described) == 1 and reading.about.described_by and (asked.wants not in (None, "name")
                                                                   or asked.classifies):
            # "When was the mission's US partner founded?": the partner's own document answers, when it can.
            candidates, likely = self._within(candidates, likely, {described[0].source})
        if reading.about.pool:
            # "Which visited research organisation co-founded DSP Valley?": one of the visited, by its own document.
            candidates, likely = self._within(candidates, likely, {e.source for e in reading.about.pool})
        named = reading.about.named
        if asked.yes_no and asked.classifies and len(named) == 1 and not described:
            # "Is JobsOhio a state government department?": what it is, its own document's opening says.
            opening = [c for c in candidates if c.passage.chunk.source == named[0].source and c.features["opening"]]
            if opening:
                candidates = opening[:1] + [c for c in candidates if c is not opening[0]]
                likely = self.reader.answerability(candidates)
        years = {m.group(2) for m in _GIVEN_YEAR.finditer(asked.text) if not _BOUND.fullmatch(m.group(1) or "")}
        if years:
            # "Where did DSP Valley branch out to in 2005?": the year the question gives is part of what it asks.
            dated = [c for c in candidates if years & set(_YEAR.findall(c.text))]
            if not dated and asked.yes_no:
                # "The mission happened in 2019, correct?": no sentence says 2019; the year it did, one says.
                dated = [c for c in candidates if _YEAR.search(c.text)]
            if dated and dated[0] is not candidates[0]:
                candidates = dated + [c for c in candidates if c not in dated]
                likely = self.reader.answerability(candidates)
        if asked.yes_no and len(named) == 1 and _STILL.search(asked.text):
            # "Is SRI still part of Stanford?": whether a state lasts, a dated change in its own document says.
            dated = [c for c in candidates[:5] if c.passage.chunk.source == named[0].source
                     and any(span.kind == "date" for span in c.spans)]
            if dated:
                candidates = dated[:1] + [c for c in candidates if c is not dated[0]]
                likely = self.reader.answerability(candidates)
        if asked.wants in QUANTITIES and candidates and candidates[0].features["type"] <= 0:
            # "How many people took part in the roundtable?": a sentence without a number is no answer; one as
            # likely that states what is asked, of the subject asked about, is read instead.
            typed = next((c for c in candidates[1:] if c.as_likely_as(candidates[0]) and c.features["type"] >= 1
                          and not c.disclaims and c.on_subject), None)
            if typed is not None:
                candidates = [typed] + [c for c in candidates if c is not typed]
                likely = self.reader.answerability(candidates)
        grounded = likely >= self.threshold and not disclaimed(candidates, asked) and states_quantity(candidates, asked)
        note = None
        # The model reads better than the sentence ranker, so it sees the passages on weaker evidence,
        # and may itself say that they do not answer.
        if self.llm is not None and likely >= self.threshold * LLM_GATE:
            try:
                return self.llm.answer(asked.text, asked.standalone, reading.passages)
            except LLMUnavailable as exc:
                log.warning("LLM unavailable, answering extractively: %s", exc)
                note = f"{exc} " + ("This is an extractive answer quoting the documents." if grounded else
                                    "Without it, I looked for sentences that answer this and found none.")
        if not grounded:
            return Answer(asked.text, REFUSAL, False, "extractive", note=note)
        answers = [c for c in candidates if not c.disclaims]
        catalogue = self.catalogue()
        # What the question names, or carries from the last turn ("that one"), is what it asks about: no answer.
        # A subject it only described may be ("inno TSD's partner": SRI).
        about_now = reading.about.named + reading.about.carried
        # The subject whose own document holds the best sentence is the answer, unless it is asked about:
        # when the question asks for an organisation by its kind ("which delegation member is from Washington
        # state?", "… was created under Governor Kasich?"), or picks one of several it described ("which of the
        # roundtable's co-organisers was founded in 2009?").
        owner = catalogue.by_source(answers[0].passage.chunk.source)
        lead = owner.name if owner is not None and owner not in about_now and (
            asked.wants_entity or asked.wants == "name" and len(described) > 1 and owner in described) else None
        # Say who "it" is when the question only described it, in room kept for it within the answer's length.
        who = described[0].name if len(described) == 1 and not reading.about.named else None
        short, text, citations = compose(asked, answers, tuple(n for e in about_now for n in e.names),
                                         lambda source: (e := catalogue.by_source(source)) and e.name, lead,
                                         reserve=len(f"{who}: ") if who else 0)
        if who and not _names_in(described[0], text):
            text = f"{who}: {text}"
        return Answer(asked.text, text, True, "extractive", citations, note=note, short=short)


def _names_in(entity: Entity, text: str) -> bool:
    return any(n.casefold() in text.casefold() for n in entity.names)
