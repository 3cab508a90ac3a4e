"""What a question is about: the subjects it names ("EnergyVille"), describes ("inno TSD's US partner",
"the Ohio member of the delegation") or carries over from the last turn ("and who funds *it*?"), and, when
all it asks is which subjects fit a description ("which of the visited organisations are Belgian?"), the
answer that names them."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace

from bot.answer import Answer, Citation, and_list
from bot.catalogue import PLACE_FIELDS, Catalogue, Entity, Resolution
from bot.compose import trim
from bot.question import Question
from bot.structured import evidence, list_answer, name_pattern, places_answer, role_chunks
from ingest import ChunkStore, fold, terms

MAX_SUBJECTS = 3  # a question describing more subjects than this is answered from retrieval alone
_ANY = re.compile(r"\bany\s+((?:[\w'’-]+\s+){0,2}[\w'’-]+)", re.I)  # "any research centre in Genk"
_KIND_OF = re.compile(r"\b(?:kind|type|sort)s?\s+of\s+([\w'’-]+)", re.I)  # "what kind of *organisation* is …"
_POSSESSIVE = re.compile(r"\b(?:its|their)\b", re.I)  # "their US partner": someone the last turn's subject has
_PLURAL_PRONOUN = re.compile(r"\b(them|they|those|these)\b", re.I)  # not "their": "their US partner" is no one of them
# "Besides JobsOhio and the Smart Cities Council, who else …?", "apart from imec, which …": what follows is set aside.
_SET_ASIDE = re.compile(r"\b(?:besides|apart from|aside from|other than|except(?: for)?|excluding|not counting)\s+"
                        r"([^,;?]+)", re.I)


@dataclass
class Subjects:
    """The subjects of one question."""

    entities: list[Entity] = field(default_factory=list)
    named: list[Entity] = field(default_factory=list)  # those the question names (no answer to it)
    described_by: set[str] = field(default_factory=set)  # the words that described the others ("US partner")
    listed: Answer | None = None  # the answer, when naming the subjects is all the question asks
    pool: list[Entity] = field(default_factory=list)  # the many it asks which one of ("which delegation member …")
    carried: list[Entity] = field(default_factory=list)  # those of the last turn a follow-up is about ("that one")

    @property
    def described(self) -> list[Entity]:
        """Return the subjects the question describes rather than names ("the mission's US partner")."""
        return [e for e in self.entities if e not in self.named]


def _place_level(text: str) -> set[str]:
    """Return the level word a place name carries ("from Washington *state*", "Copenhagen *city*"): part of
    the place, not something more the question asks about."""
    levels = re.finditer(r"\b[A-Z][\w’'-]*\s+(state|city|region|province)\b", text)
    return {t for m in levels for t in terms(m.group(1))}


def find_subjects(question: Question, catalogue: Catalogue, store: ChunkStore,
                  earlier: list[Entity] = ()) -> Subjects:
    """Return the subjects of a question; `earlier` are the last turn's, for a follow-up."""
    aside = [e for m in _SET_ASIDE.finditer(question.text) for e in catalogue.mentioned(m.group(1))]
    named = [e for e in catalogue.mentioned(question.text, partial=True) if e not in aside]
    asked_for = question.head + question.modifiers
    among = list(earlier) if earlier and _PLURAL_PRONOUN.search(question.text) else None
    existing = (_existential(question, catalogue, store) or _none_there(question, catalogue, store)) \
        if question.yes_no and not named and among is None else None
    if existing is not None:
        return existing
    if question.yes_no and len(named) == 1 and among is None:
        part = _took_part(question, catalogue, store, named[0])
        if part is not None:
            return part
    # "Did they go to Sweden?" asks about a claim, not about the organisations in Sweden; "who is the head of
    # Nordic Edge?" asks for a person, whom no organisation's role describes.
    resolution = None if question.yes_no and not named or question.wants == "person" else catalogue.resolve(
        set(terms(question.text)) - _kind_noun(question.text) - _place_level(question.text), among, asked_for)
    if resolution and aside:  # the others of the role, place or kind: "who else was in the delegation?"
        resolution = replace(resolution, entities=[e for e in resolution.entities if e not in aside])
    if resolution and resolution.by_role and question.wants == "place" and question.wants_list and not named:
        # "Which US states did the delegates come from?": the places the role's subjects' documents record.
        places = places_answer(store, question, resolution)
        if places is not None:
            return Subjects(resolution.entities, named, resolution.words, places)
    if resolution and resolution.entities and (
            _asks_which(question, catalogue, resolution, named, among) or aside and not named
            and question.wants == "name" and (resolution.by_role or resolution.narrowed)):
        listed = list_answer(store, catalogue, question, resolution)
        if listed.grounded:
            return Subjects(resolution.entities, named, resolution.words, listed)
    # A description by role ("the mission's US partner") stands for its subjects; a place alone does not.
    by_role = resolution if resolution and (among or resolution.by_role) else None
    if earlier and not named and among is None and by_role and not _POSSESSIVE.search(question.text):
        by_role = None  # "what did it lead in 2013?": "it" is the last turn's subject, whatever role "lead" recalls
    described = [e for e in by_role.entities if e not in named] if by_role else []
    if len(described) > MAX_SUBJECTS and question.wants_entity and not question.wants_list:
        # "Which delegation member is a city government office?": one of a role's many subjects, picked by what
        # its own document says; their documents are read for it, each a candidate answer.
        carried = [] if named else list(earlier)[:MAX_SUBJECTS]
        return Subjects(named or carried, named, by_role.words, pool=described, carried=carried)
    if named and 0 < len(described) <= MAX_SUBJECTS:
        return Subjects(named + described, named, by_role.words)  # "inno TSD's American partner": both
    if named:
        return Subjects(named, named)
    if by_role and len(by_role.entities) <= MAX_SUBJECTS:
        return Subjects(by_role.entities, [], by_role.words)
    carried = list(earlier)[:MAX_SUBJECTS]
    return Subjects(carried, carried=carried)


def _asks_holder(question: Question, resolution: Resolution) -> bool:
    """Say whether a question asks who holds the one role it describes: it asks with the role's own noun
    ("which American *partner* …"), or with "who" and an empty verb ("who was inno TSD's partner …?")."""
    if not resolution.by_role or len(resolution.entities) != 1:
        return False
    if question.head:
        return question.head[-1] in resolution.words
    return not question.focus


def _same_frame(named: Entity, holder: Entity) -> bool:
    """Say whether two subjects' roles are of the same thing ("organiser *of the mission*", "US partner *of
    the mission*"): only then is the one the partner of the other; ICN's American partner is not the mission's."""
    def frame(entity: Entity) -> str:
        return entity.facts.get("role", "").partition(" of ")[2]

    return bool(frame(holder)) and frame(named) == frame(holder)


def _kind_noun(text: str) -> set[str]:
    """Return the terms of the noun a question asks the kind of ("what kind of *organisation*"): it names a
    class of answer, not a role that describes the subject (a delegation *member*)."""
    return {t for m in _KIND_OF.finditer(text) for t in terms(m.group(1))}


def _existential(question: Question, catalogue: Catalogue, store: ChunkStore) -> Subjects | None:
    """Answer "did they visit *any* Dutch cluster?" by naming the subjects that fit, when the place it names
    picks some (a kind may narrow them further): the sheets say which organisation is where, the
    announcement does not."""
    phrase = _ANY.search(question.text)
    if phrase is None:
        return None
    resolution = catalogue.resolve(set(terms(question.text)), None, tuple(terms(phrase.group(1))))
    # A kind alone is no answer to "any German clusters?": the place must have picked them.
    if not resolution or not any(key in PLACE_FIELDS for key, _ in resolution.constraints):
        return None
    listed = list_answer(store, catalogue, question, resolution)
    if not listed.grounded:
        return None
    listed.answer = f"Yes: {listed.answer}"
    return Subjects(resolution.entities, [], resolution.words, listed)


def _none_there(question: Question, catalogue: Catalogue, store: ChunkStore) -> Subjects | None:
    """Answer "did the delegation visit clusters in Germany?" with no, when the question states a role and a
    country where no subject of that role is (each sheet says where its subject is), saying where they are."""
    question_terms = set(terms(question.text))
    resolution = catalogue.resolve(question_terms)
    if not resolution or not resolution.by_role or resolution.narrowed:
        return None
    # "US" in "the US delegation" is part of a role, not a country asked about.
    stated = _countries(frozenset(question_terms - catalogue.role_terms()))
    theirs = sorted({e.facts["country"] for e in resolution.entities if e.facts.get("country")})
    if not stated or not theirs or {fold(c) for c in stated} & {fold(c) for c in theirs}:
        return None
    citations, parts = [], []
    for country in theirs:
        holder = next(e for e in resolution.entities if e.facts.get("country") == country)
        found = evidence(store.of_source(holder.source), [country], strict=True)
        if found is not None:
            citations.append(Citation.from_chunk(len(citations) + 1, found[0], found[1], 1.0))
            parts.append(f"{country} [{len(citations)}]")
    if not parts:
        return None
    role = dict(resolution.constraints)["role"]
    text = (f"No: of the organisations the documents give the role “{role}”, none is in {' or '.join(stated)}; "
            f"they are in {and_list(parts)} (each from its organisation's own document).")
    return Subjects(resolution.entities, [], resolution.words,
                    Answer(question.text, text, True, "extractive", citations, short="No"))


def _took_part(question: Question, catalogue: Catalogue, store: ChunkStore, entity: Entity) -> Subjects | None:
    """Answer "did JobsOhio take part in the mission?" or "was imec part of the US delegation?" with yes or no
    and the subject's role, as the documents that state the roles give it, when that is all the question asks."""
    role = entity.facts.get("role")
    asked = set(terms(question.text)) - set().union(*(set(terms(n)) for n in entity.names))
    if not role or not asked & _PART_OF or asked - catalogue.role_terms() - _TAKING_PART:
        return None  # "is inno TSD an American company?" asks what it is; "does ICN have US members?", its members
    roles = catalogue.roles(asked)
    found = evidence(role_chunks(store, catalogue, [entity]), list(entity.names), strict=True)
    if found is None:
        return None
    chunk, sentence = found
    where = next((m.span() for n in entity.names for m in [name_pattern(n).search(fold(sentence))] if m), (0, 0))
    quote = trim(sentence, where)
    if not roles or roles[0] == role:
        short, lead = "Yes", f"Yes: the documents give {entity.name} the role “{role}”"
    else:
        short, lead = "No", f"No: the documents give {entity.name} the role “{role}”, not “{roles[0]}”"
    return Subjects([entity], [entity], set(), Answer.quoting(question.text, chunk, quote, lead, short))


# What a question asking whether a subject took part in the mission may say besides its name and a role
# (general English; the text analysis reads "attended", "joined", "visitors" … as "participant").
_PART_OF = frozenset(terms("part among participant mission visit roundtable"))  # it must say one of these
_TAKING_PART = frozenset(terms("be is are was were did do does take took part participant among one also really "
                               "actually on in came come over from state states group right correct"))


def _countries(question_terms: frozenset[str]) -> list[str]:
    """Return the countries (ISO 3166) a question's terms name, by name or by their people ("German")."""
    return [name for name, names in _country_terms() if any(n <= question_terms for n in names)]


@functools.lru_cache(maxsize=1)
def _country_terms() -> tuple[tuple[str, tuple[frozenset[str], ...]], ...]:
    """Return each country's usual name with the terms of its names, read once."""
    import pycountry  # loaded on first use

    table = []
    for country in pycountry.countries:
        name = getattr(country, "common_name", None) or country.name
        names = tuple(t for t in {frozenset(terms(n)) for n in (name, country.name)} if t)
        table.append((name, names))
    return tuple(table)


def _asks_which(question: Question, catalogue: Catalogue, resolution: Resolution, named: list[Entity],
                among: list[Entity] | None) -> bool:
    """Say whether naming the resolved subjects answers the question: it asks for names, names none
    itself, and either a place or kind picked them and that is all it says ("which of the visited are
    Belgian?"), or it asks for a list of a role's subjects ("which US organisations were in the delegation?"),
    or for the one subject a role describes and says nothing more ("who was the mission's US partner?")."""
    # "Which of the places the delegation visited are based in Leuven?" gives the place: it asks what is there.
    gives_place = question.wants == "place" and resolution.by_role and len(resolution.entities) > 1 \
        and any(key in PLACE_FIELDS for key, _ in resolution.constraints)
    if question.wants != "name" and not gives_place or question.yes_no:
        return False
    if named:  # "which American partner helped inno TSD …?": the holder of the role it describes, if that is asked
        return among is None and _asks_holder(question, resolution) and resolution.entities[0] not in named \
            and all(_same_frame(e, resolution.entities[0]) for e in named)
    if question.wants_list and (resolution.narrowed or resolution.by_role or among is not None):
        return True
    # A place or kind picked the subjects, or a role picked one ("who was the US partner of the mission?"),
    # and that is all the question says.
    return (resolution.narrowed or resolution.by_role and (len(resolution.entities) == 1 or not question.head)) and \
        catalogue.only_describes(set(terms(question.text)) - _place_level(question.text), resolution,
                                 question.head + question.modifiers)
