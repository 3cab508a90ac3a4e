"""Answers from the documents' structure rather than from one sentence: which subjects have a role, a
place or a kind ("which of the visited organisations are Belgian?"), and when a document was published.

Every name in such an answer is cited with a sentence, quoted verbatim, of the document that shows it:
the subject's own document for its place or kind, the documents that state the roles (those about no
single subject, such as the announcement) for its role.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from bot.agenda import PROGRAMME_DAY, Agenda, AgendaEntry, parse_day
from bot.answer import REFUSAL_HINT, Answer, Citation, and_list
from bot.catalogue import Catalogue, Entity, Resolution
from bot.compose import MAX_ANSWER, trim
from bot.extractive import DISCLAIMER
from bot.features import SLOT_WORDS
from bot.question import Question
from bot.spans import find_spans
from ingest import Chunk, ChunkStore, fold, sentence_spans, terms, tokens

MAX_ITEMS = 12
PUBLICATION = frozenset(terms("posted published publication release released"))
# Words for a document of any kind and for putting one online ("when was the *write-up* *put up* on the
# *website*?"): they name no document by its title. General English, not this corpus.
DOCUMENT = frozenset(terms("article item story piece page write-up writeup report entry blog notice text document "
                           "website site web online put go went up"))
# What a question about a day of the programme may say besides the day ("what was on the programme for Nov 6?").
PROGRAMME = frozenset(terms("programme program schedule agenda plan planned event events activity activities "
                            "scheduled going on"))
# What a question may call the event whose programme it is ("the first day of the trip", "the whole mission").
MISSION = frozenset(terms("mission delegation trip tour whole entire"))
# What a question about where or when one event of the programme took place may say besides naming it
# ("which city hosted the roundtable?", "when did the visits end?"). General English, not this corpus.
WHERE_WHEN = frozenset(terms("where when held hosted host located location place venue building city town country "
                             "countries site date day time start begin end finish"))
_ENDS = frozenset(terms("end last wrap"))  # the text analysis makes "ended", "finish", "until" all "end"
_STARTS = frozenset(terms("start"))  # and "began", "kick off", "opened", "first" all "start"
# What a question about the day of one stop of the visits may say besides naming it ("which day did the
# Americans go to imec?"). General English, not this corpus.
_VISIT = frozenset(terms("visit visited visiting visits go goes going went stop stopped trip tour delegation "
                         "group participants americans american us mission see saw meet met arrive arrived "
                         "there spend spent exactly when day date which"))
# What a question about who held one event may say besides naming it and the organisations it names ("who
# co-hosted the roundtable together with inno TSD?"). General English, not this corpus.
HELD_BY = frozenset(terms("organise organised organiser organisers organisation organisations host hosted hosts "
                          "co-host co-hosted co-hosts co-organised co-organisers held run together collaboration"))
# The levels of place a subject's front matter records, by the nouns that ask for each.
_LEVELS = {"country": frozenset(terms("country nation")), "region": frozenset(terms("state region province")),
           "city": frozenset(terms("city town"))}
_SHOWN = {"country": "country", "region": "state or region", "city": "city"}
# What a question asking where a subject is may say besides the subject (general English; "organisation"
# stands for its synonyms, "company", "body"…, as the text analysis reads them).
_IS_IN = frozenset(terms("based located headquartered situated seated home come comes came from origin organisation "
                   "office offices headquarters hq seat"))
# A question about what a name means, where or when it comes from, and a sentence that says (general English).
_ASKS_NAME = re.compile(r"\b(?:why|how come)\b.*\b(?:called|named)\b|\bnamed (?:after|for)\b|"
                        r"\b(?:behind|origin of|meaning of)\s+(?:the|its|their)\s+name\b|"
                        r"\bname\b.*\b(?:come|comes|came|mean|means|meant|refer|refers)\b|"
                        r"\b(?:get|got|take|took|adopt|adopted|change|changed)\b.*\bname\b|\brenamed\b", re.I)
_NAMING = re.compile(r"\bnamed (?:after|for)\b|\brefers? to\b|\b(?:stands?|stood) for\b|\brenamed\b|"
                     r"\btook (?:the|its) name\b|\bin (?:his|her|their) hono(?:u)?r\b", re.I)
# "What was it originally called?", "its former name", "what did it use to be called?"
_ASKS_FORMER = re.compile(r"\b(?:original(?:ly)?|former(?:ly)?|previous(?:ly)?|first|old|earlier|at first|before)\b.*"
                          r"\b(?:name|called|named|known)\b|\b(?:name|called|named|known)\b.*\b(?:originally|"
                          r"at first|before|previously|formerly|at the start)\b|\bused to be (?:called|named|known)\b",
                          re.I)
# What writes a name as an earlier one of a subject: "… in 1946, as the Stanford Research Institute".
_EARLIER = r"\b(?:as|called|named|out of|formerly|originally|previously|renamed from)\s+"
_PLACE_FIELDS = {"venue": frozenset(terms("venue building place location site address")),
                 "city": frozenset(terms("city town")), "countries": frozenset(terms("country countries nation"))}


def list_answer(store: ChunkStore, catalogue: Catalogue, question: Question, resolution: Resolution) -> Answer:
    """Name the subjects that match a question, each cited with a sentence that shows why."""
    values = [value for key, value in resolution.constraints if key != "role"]
    stating = role_chunks(store, catalogue, resolution.entities) if not values else []
    cited: dict[tuple[str, str], int] = {}
    citations: list[Citation] = []
    parts, shown = [], []
    for entity in resolution.entities[:MAX_ITEMS]:
        chunks = stating or store.of_source(entity.source)
        found = evidence(chunks, values or list(entity.names), strict=not values)
        if found is None:
            continue
        chunk, sentence = found
        key = (chunk.id, sentence)
        if key not in cited:
            cited[key] = len(citations) + 1
            citations.append(Citation.from_chunk(cited[key], chunk, sentence, 1.0))
        name = written(entity, sentence)
        shown.append(name)
        parts.append(f"{name} [{cited[key]}]")
    if not parts:
        return Answer(question.text, "", False, "extractive")
    where = [key for key, _ in resolution.constraints if key != "role"]
    note = f" (The {' and '.join(where)} of each comes from its own document.)" if where else ""
    return Answer(question.text, f"{and_list(parts)}.{note}", True, "extractive", citations, short=and_list(shown))


def places_answer(store: ChunkStore, question: Question, resolution: Resolution) -> Answer | None:
    """Answer "which US states did the delegates come from?" with the places the subjects' own documents record
    at the level asked (country, state or region, city), each cited with a sentence of a document that writes
    it; None when the question asks for no such level."""
    level = _asked_level(question)
    if level is None:
        return None
    found: dict[str, list[Entity]] = {}
    for entity in resolution.entities:
        if entity.facts.get(level):
            found.setdefault(entity.facts[level], []).append(entity)
    parts, whose, citations, shown = [], [], [], []
    for value, entities in sorted(found.items())[:MAX_ITEMS]:
        evidenced = evidence(store.of_source(entities[0].source), [value], strict=True)
        if evidenced is None:
            continue
        citations.append(Citation.from_chunk(len(citations) + 1, evidenced[0], evidenced[1], 1.0))
        parts.append(f"{value} [{len(citations)}]")
        whose.append(f"{value} ({and_list([e.name for e in entities])}) [{len(citations)}]")
        shown.append(value)
    if not parts:
        return None
    unrecorded = [e.name for e in resolution.entities if not e.facts.get(level)]
    note = f" The {_SHOWN[level]} of each comes from its own document"
    text = f"{and_list(whose)}.{note}" + (f"; those of {and_list(unrecorded)} record none." if unrecorded else ".")
    if len(text) > MAX_ANSWER:  # the places alone, when saying whose each is would run too long
        text = f"{and_list(parts)}.{note}."
    return Answer(question.text, text, True, "extractive", citations, short=and_list(shown))


def _asked_level(question: Question) -> str | None:
    """Return the level of place the noun asked with names ("which *state*": "region"), if it names one."""
    return next((key for key, words in _LEVELS.items() if question.head and question.head[-1] in words), None)


def place_answer(store: ChunkStore, question: Question, entity: Entity, known: set[str],
                 described: bool) -> Answer | None:
    """Answer "which country is Nordic Edge in?" with the place its own document records at the level asked
    (country, state or region, city), cited with a sentence of that document that states it: the reader
    would lead with whatever place its best sentence names first ("Stavanger"). Only when that is all the
    question asks besides `known`, the terms that name or describe its subjects: "in which country had inno
    TSD been active in 2006?" asks about something else."""
    if question.wants != "place":
        return None
    if question.head and question.head[-1] in known:
        return None  # "tell me what state of green is": the noun asked with is the subject's own name
    level = _asked_level(question)
    recorded = {key: entity.facts[key] for key in _LEVELS if entity.facts.get(key)}
    said = set(terms(question.text)) - known - set().union(*(set(terms(v)) for v in recorded.values()))
    if said - _LEVELS.get(level, frozenset()) - _IS_IN or not (level or said & _IS_IN):
        return None
    if level not in recorded and (level or not recorded):
        # Its sheet's front matter records every place its sources give: "which Swedish city is Sustainable
        # Business Hub in?" (a region and a country only), "where is the Smart Cities Council based?" (none).
        return _no_place(question, entity, level)
    if not question.head:
        return None
    value = entity.facts.get(level) if level else None
    who = f"{entity.name}: " if described else ""
    return _quote_place(store, question, entity, value, f"{who}{value}") if value else None


def _no_place(question: Question, entity: Entity, shown: str | None) -> Answer:
    """Say that a subject's sheet records no place at a level (`shown`, as the reply names it), or none at all."""
    missing = f"name no {shown} for {entity.name}" if shown else f"do not say where {entity.name} is based"
    return Answer(question.text, f"The documents {missing}. {REFUSAL_HINT}", False, "extractive")


def _quote_place(store: ChunkStore, question: Question, entity: Entity, value: str, lead: str) -> Answer | None:
    """Answer with a place the subject's sheet records, cited with the first sentence of its document that
    writes it (trimmed around it); None when no sentence does."""
    found = evidence(store.of_source(entity.source), [value], strict=True)
    if found is None:
        return None
    chunk, sentence = found
    where = max(0, fold(sentence).find(fold(value)))
    return Answer.quoting(question.text, chunk, trim(sentence, (where, where + len(value))), lead=lead, short=value)


# "Is The Vault based in California?": whether a subject is in a place (general English).
_IS_IT_IN = re.compile(r"^\s*(?i:is|was|are|were)\b.*?\s(?:based|located|headquartered|situated|seated)?\s*"
                       r"\bin\s+(?:the\s+)?([A-Z][\w'’ -]*?)\s*\??\s*$")


def place_check(store: ChunkStore, catalogue: Catalogue, question: Question, entity: Entity) -> Answer | None:
    """Answer "Is imec based in the Netherlands?" from the place its own document records at that place's
    level (a city, a state or region, a country, as the front matter records places): "Yes, in …" or "No,
    in …", cited with a sentence that states it; and say so when its sheet records no place at that level
    ("Is The Vault based in California?"). A place no sheet records is left to the reader."""
    asked = _IS_IT_IN.match(question.text) if question.yes_no else None
    if asked is None:
        return None
    place = fold(asked.group(1))
    level = next((key for key in _LEVELS for e in catalogue.entities if fold(e.facts.get(key) or "") == place), None)
    if level is None:
        return None
    value = entity.facts.get(level)
    if not value:
        return _no_place(question, entity, _SHOWN[level] if any(entity.facts.get(k) for k in _LEVELS) else None)
    return _quote_place(store, question, entity, value, f"{'Yes' if fold(value) == place else 'No'}, in {value}")


# "Who is the CEO of JobsOhio?", "who heads House of Energy?": the person at an organisation's head, by the
# noun or verb of that role. General English, not this corpus.
_ASKS_HEAD = re.compile(r"^\s*(?:and\s+)?who(?:'s|’s|\s+is|\s+was|\s+are|\s+were)?\s+(?:(?:the|its|their)\s+)?"
                        r"(?:(ceo|director|president|chair|chairman|chairwoman|chairperson|boss|manager|"
                        r"head|chief executive|managing director|executive director)\b|(heads|headed)\b)", re.I)
_HEAD_WORDS = {"heads": "head", "headed": "head", "chief executive": "ceo"}
# "Who runs the IC² Institute?", "who was in charge of House of Energy?": who runs it, person or organisation.
_ASKS_RUN = re.compile(r"^\s*(?:and\s+)?who(?:'s|’s|\s+is|\s+was|\s+are|\s+were)?\s+(?:currently\s+|now\s+)?"
                       r"(?:runs|ran|running|leads|led|leading|manages|managed|managing|directs|directed|"
                       r"in\s+charge\s+of)\b", re.I)
# Any word of running something, which a sentence naming who runs a subject would use.
_RUNS = re.compile(r"\b(?:run|runs|ran|running|lead(?:s|er|ers|ership)?|led|head(?:s|ed)?|"
                   r"manag(?:e|es|ed|er|ers|ing|ement)|direct(?:s|ed|or|ors)|chair\w*|in charge|chief|ceo|president|"
                   r"coordinat\w*|operat(?:e|es|ed|or))\b", re.I)


def head_refusal(store: ChunkStore, question: Question, entity: Entity) -> Answer | None:
    """Say that the documents name no one at a subject's head when asked who it is ("who is the CEO of
    JobsOhio?") and the subject's own document has no sentence naming a person beside that role's word
    ("Its director Fred van Beuningen …" answers for Clean Tech Delta, and the reader quotes it)."""
    asked = _ASKS_HEAD.match(question.text)
    if asked is None:
        return _run_refusal(store, question, entity)
    role = fold(asked.group(1) or asked.group(2))
    role = _HEAD_WORDS.get(role, role)
    word = re.compile(rf"\b{re.escape(role)}", re.I)
    if any(word.search(sentence) and any(s.kind == "person" for s in find_spans(sentence))
           for _, sentence in _own_sentences(store, entity)):
        return None
    shown = "CEO" if role == "ceo" else role
    return Answer(question.text, f"The documents name no {shown} of {entity.name}. {REFUSAL_HINT}", False,
                  "extractive")


def _run_refusal(store: ChunkStore, question: Question, entity: Entity) -> Answer | None:
    """Say that the documents do not say who runs a subject ("Who runs the IC² Institute these days?") when
    its own document has no sentence with a word of running anything, but one saying it does not know."""
    if not _ASKS_RUN.match(question.text):
        return None
    if any(_RUNS.search(sentence) and not DISCLAIMER.search(sentence) for _, sentence in _own_sentences(store, entity)):
        return None
    named = next((n for n in entity.names if fold(n) in fold(question.text)), entity.name)
    return Answer(question.text, f"The documents do not say who runs {named}. {REFUSAL_HINT}", False, "extractive")


def name_answer(store: ChunkStore, question: Question, entity: Entity) -> Answer | None:
    """Answer "why is the Flemish energy cluster called Flux50?" with the sentence of the subject's own
    document that says what its name means or where it comes from ("\"Flux\" refers to flows of …"), and
    "what was SRI originally called?" with the earlier name it writes."""
    if _ASKS_FORMER.search(question.text):
        return _former_name(store, question, entity)
    if not _ASKS_NAME.search(question.text):
        return None
    for chunk, sentence in _own_sentences(store, entity):
        naming = _NAMING.search(sentence)
        if naming:
            quote = trim(sentence, naming.span())
            # "When did it get its current name?": the date that follows the naming ("… took the name
            # SRI International in 1977"), else the one nearest it.
            dates = [s for s in find_spans(quote) if s.kind == "date"] if question.wants == "date" else []
            after = quote.find(naming.group(0))
            when = min(dates, key=lambda s: (s.start < after, abs(s.start - after)), default=None)
            said = when.text if when else ""
            return Answer.quoting(question.text, chunk, quote, lead=said, short=said)
    return None


def _former_name(store: ChunkStore, question: Question, entity: Entity) -> Answer | None:
    """Return the first of the subject's other names (its front matter's aliases, but abbreviations and spellings
    of its usual name) that its own document writes as an earlier one: "set it up in 1946, as the Stanford
    Research Institute", "was called NearUS", "grew out of the Climate Consortium Denmark"."""
    usual = set(tokens(entity.name))

    def other(name: str) -> bool:  # more than one word of its own, or one word, not the usual name's
        own = set(tokens(name)) - usual
        return not name.isupper() and (len(own) > 1 or len(own) == 1 and own == set(tokens(name)))

    others = [n for n in entity.names[1:] if other(n)]
    for chunk, sentence in _own_sentences(store, entity):
        for name in others:
            found = re.search(rf"{_EARLIER}(?:the\s+)?({re.escape(name)})(?![\w-])", sentence)
            if found:
                quote = trim(sentence, found.span(1))
                return Answer.quoting(question.text, chunk, quote, lead=name, short=name)
    return None


def name_pattern(name: str) -> re.Pattern:
    """Return what finds a name as whole words in a folded text ("imec", not the "imec" of "imec-led")."""
    return re.compile(rf"(?<![\w-]){re.escape(fold(name))}(?![\w-])")


def written(entity: Entity, sentence: str) -> str:
    """Return the subject's usual name ("Fort Collins Economic Health Office", though the cited sentence says
    "The Economic Health Office"), or a longer form of it that the sentence writes ("Cluster CLEAN")."""
    folded = fold(sentence)
    longer = [n for n in entity.names if fold(entity.name) in fold(n) and name_pattern(n).search(folded)]
    return max(longer, key=len, default=entity.name)


def role_chunks(store: ChunkStore, catalogue: Catalogue, entities: list[Entity]) -> list[Chunk]:
    """Return the chunks of the documents about no single subject (they state the roles), the one
    naming most of the entities first."""
    # Only chunks holding every word of an entity's name can name it: at scale, reading whole documents
    # (every distractor) would hold the whole collection's text to answer one question.
    naming = store.lexical().chunks_with([frozenset(terms(n)) for e in entities for n in e.names])
    sources = [s.source for s in store.sources() if not s.facts]
    if naming is None:
        documents = [store.of_source(source) for source in sources]
    else:
        by_source: dict[str, list[Chunk]] = {}
        for chunk in naming:
            by_source.setdefault(chunk.source, []).append(chunk)
        documents = [by_source[source] for source in sources if source in by_source]

    def named(chunks: list[Chunk]) -> int:
        text = fold(" ".join(c.text for c in chunks))
        return sum(any(fold(n) in text for n in e.names) for e in entities)

    return [c for chunks in sorted(documents, key=named, reverse=True) for c in chunks]


def evidence(chunks: list[Chunk], words: list[str], strict: bool = False) -> tuple[Chunk, str] | None:
    """Return the first sentence of the chunks that contains one of the words (as a whole word), else
    (unless strict) the first sentence of the first chunk."""
    first = None
    patterns = [name_pattern(w) for w in words if w]
    for chunk in chunks:
        for start, end in sentence_spans(chunk.text):
            sentence = chunk.text[start:end]
            if len(sentence.split()) < 3:
                continue
            first = first or (chunk, sentence)
            if any(p.search(fold(sentence)) for p in patterns):
                return chunk, sentence
    return None if strict else first


def _own_sentences(store: ChunkStore, entity: Entity) -> Iterator[tuple[Chunk, str]]:
    """Yield each sentence of a subject's own document, with its chunk, in order."""
    for chunk in store.of_source(entity.source):
        for start, end in sentence_spans(chunk.text):
            yield chunk, chunk.text[start:end]


def publication_answer(store: ChunkStore, question: Question) -> Answer | None:
    """Answer "when was the announcement posted?" (or at what time) from a document's publication date, when the
    question asks when something was published and one dated document's title matches it best."""
    asked = set(terms(question.text))
    if question.wants not in ("date", "time") or not asked & PUBLICATION:
        return None
    rest = asked - PUBLICATION - SLOT_WORDS  # "what *time* of *day* …" names the answer's kind, not the document
    dated = [s for s in store.sources() if s.published]
    scored = sorted(((len(rest & set(terms(s.title))), s) for s in dated), key=lambda x: -x[0])
    if not scored or (len(scored) > 1 and scored[0][0] == scored[1][0]) or scored[0][0] * 2 < len(rest - DOCUMENT):
        return None  # which document is meant must be clear: most of the question's words in its title
    source = scored[0][1]
    when = _published(source.published)
    chunks = store.of_source(source.source)
    # Quote the document's own line that dates it ("Posted on 29/11/2018 at 16:03"), else its title.
    dated_line = evidence(chunks, _date_forms(source.published), strict=True)
    found = dated_line or evidence(chunks, [])
    if found is None:
        return None
    chunk, sentence = found
    said = f"“{sentence.strip()}” [1]" if dated_line else f"“{source.title}” was published then."
    return Answer(question.text, f"{when} [1]: {said}", True, "extractive",
                  [Citation.from_chunk(1, chunk, sentence, 1.0)], short=when)


def _date_forms(value: str) -> list[str]:
    """Return the ways a document may write its publication date: 29/11/2018, 2018-11-29, 29 November 2018,
    November 29, 2018."""
    try:
        day = dt.date.fromisoformat(value[:10])
    except ValueError:
        return []
    month = f"{day:%B}"
    return [f"{day.day}/{day.month}/{day.year}", f"{day:%d/%m/%Y}", day.isoformat(), f"{day.day} {month} {day.year}",
            f"{month} {day.day}, {day.year}"]


def programme_answer(store: ChunkStore, agenda: Agenda | None, question: Question) -> Answer | None:
    """Answer "what happened on 6 November?" from the programme: its entries that day, each cited with the
    programme's line that dates it."""
    if agenda is None or question.yes_no or question.wants not in (None, "name"):
        return None
    dates = [s.text for s in find_spans(question.text) if s.kind == "date"]
    counted = [m.group(0) for m in PROGRAMME_DAY.finditer(question.text)]
    if not dates + counted:  # "what did they do in Copenhagen?"; "which of them were in Belgium?" asks for names
        return _programme_at(store, agenda, question) if question.wants is None else None
    if len(dates + counted) != 1:
        return None
    try:
        day = parse_day((dates + counted)[0], agenda)
    except ValueError:
        return None
    entries = agenda.lookup(day=day)
    # Besides the day, the question may say what the programme is of and where that day was spent
    # ("what was on the programme for the first day in Copenhagen?").
    rest = set(terms(question.text)) - set(terms((dates + counted)[0])) - PROGRAMME - MISSION \
        - set().union(*(_entry_place_terms(e) for e in entries))
    if rest or not entries:
        return None
    parts, citations, _ = _cited_entries(_programme_chunks(store, agenda), entries, "date")
    if not parts:
        return None
    when = f"{day.day} {day:%B %Y}"
    return Answer(question.text, f"On {when}: {and_list(parts)}.", True, "extractive", citations,
                  short=and_list([e.title for e in entries]))


def _cited_entries(chunks: list[Chunk], entries: list[AgendaEntry],
                   field: str) -> tuple[list[str], list[Citation], list[str]]:
    """Return each entry's title with its marker, the citations of the programme's lines that state the field
    for them (or, failing that, name them), and the titles cited; an entry no line states is left out."""
    parts, citations, shown = [], [], []
    for entry in entries:
        found = evidence(chunks, [f"{entry.title} — {field}"], strict=True) or evidence(chunks, [entry.title],
                                                                                      strict=True)
        if found is None:
            continue
        citations.append(Citation.from_chunk(len(citations) + 1, found[0], found[1], 1.0))
        parts.append(f"{entry.title} [{len(citations)}]")
        shown.append(entry.title)
    return parts, citations, shown


def _programme_at(store: ChunkStore, agenda: Agenda, question: Question) -> Answer | None:
    """Answer "what did they do in Copenhagen?" from the programme: its entries held in the one city or country
    the question names, each cited with the programme's line that places it, when that is all it asks."""
    asked = set(terms(question.text))
    found: dict[tuple[str, str], list[AgendaEntry]] = {}
    for entry in agenda.entries:
        for field, values in (("city", [entry.city]), ("countries", entry.countries)):
            for value in values:
                if value and set(terms(value)) and set(terms(value)) <= asked:
                    found.setdefault((field, value), []).append(entry)
    places = {value for _, value in found}
    if len(places) != 1:
        return None
    place = places.pop()
    if asked - set(terms(place)) - PROGRAMME - MISSION:
        return None  # it asks something more ("what did they learn in Copenhagen?")
    field = "city" if ("city", place) in found else "countries"
    parts, citations, shown = _cited_entries(_programme_chunks(store, agenda), found[(field, place)], field)
    if not parts:
        return None
    return Answer(question.text, f"In {place}: {and_list(parts)}.", True, "extractive", citations,
                  short=and_list(shown))


def event_answer(store: ChunkStore, agenda: Agenda | None, question: Question,
                 earlier: str | None = None) -> Answer | None:
    """Answer where or on which day one event of the programme took place ("which city hosted the roundtable?"),
    or who held it, from its entry, cited with the programme's lines that state it; or say that the
    announcement does not give the place, when the entry says so. Only a question that asks nothing else
    is answered so. `earlier` is the earlier turn a follow-up leans on, when that turn was about no subject
    with a document: the event it named is the one "it" means ("… the roundtable?", then "where was it held?")."""
    if agenda is None or question.yes_no:
        return None
    asked = set(terms(question.text))
    if question.wants == "name":
        return _held_by(store, agenda, question, asked, earlier)
    if question.wants_list or question.wants not in ("place", "date"):
        return None
    if question.wants == "date":
        undated = _visit_day(store, agenda, question, asked)
        if undated is not None:
            return undated
    entry = _named_event(agenda, asked) or _whole_event(agenda, asked) or _earlier_event(agenda, earlier)
    if entry is None:
        return None
    dates = {t for s in find_spans(question.text) if s.kind == "date" for t in terms(s.text)}
    if asked - _entry_terms(entry) - dates - WHERE_WHEN - _ENDS - MISSION:
        return None  # it asks something more ("where did the roundtable's participants come from?")
    chunks = _programme_chunks(store, agenda)
    if question.wants == "place":
        fields = [f for f, words in _PLACE_FIELDS.items() if words & set(question.head)] or ["venue", "city"]
        values = [(f, getattr(entry, f)) for f in fields if getattr(entry, f)]
        if not values:
            if entry.place_note and not any(getattr(entry, f) for f in _PLACE_FIELDS):
                return Answer(question.text, f"{entry.place_note} {REFUSAL_HINT}", False, "extractive")
            return None
    else:
        ends = bool(asked & _ENDS) and entry.date_end is not None
        value = entry.date_end if ends else entry.date
        if value is None:
            return None
        values = [("date end" if ends else "date", f"{value.day} {value:%B %Y}")]
    parts, shown, citations = [], [], []
    for field, value in values:
        text = ", ".join(value) if isinstance(value, list) else value
        found = evidence(chunks, [f"{entry.title} — {field}"], strict=True)
        if found is None:
            return None
        citations.append(Citation.from_chunk(len(citations) + 1, found[0], found[1], 1.0))
        parts.append(f"{text} [{len(citations)}]")
        shown.append(text)
    return Answer(question.text, f"{entry.title}: {', '.join(parts)}.", True, "extractive",
                  citations, short=", ".join(shown))


def _visit_day(store: ChunkStore, agenda: Agenda, question: Question, asked: set[str]) -> Answer | None:
    """Say that the programme gives no day for one stop of a several-day entry ("which day did the group go
    to imec?", "what day were they in Belgium?"), in the words of the entry's note, when that is all the
    question asks and no document dates that stop within the entry's days either (Clean Tech Delta's own
    report does: "on 9 November it welcomed …"; then the reader quotes it)."""
    for entry in agenda.entries:
        if entry.date is None or entry.date_end in (None, entry.date) or not entry.date_note:
            continue
        stops = [o for o in entry.organisations if _written(o, question.text)] + \
            [c for c in entry.countries if set(terms(c)) <= asked]
        if len(stops) != 1:
            continue
        if asked - set(terms(stops[0])) - set(terms(entry.title)) - _VISIT:
            return None  # it asks something more ("when was imec founded?")
        if _dated_elsewhere(store, stops[0], entry.days()):
            return None
        return Answer(question.text, f"{entry.date_note} {REFUSAL_HINT}", False, "extractive")
    return None


def _written(name: str, text: str) -> bool:
    """Say whether a text writes a name, whatever its case and spaces ("Flux50" for "Flux 50")."""
    squeezed = _squeeze(name)
    return bool(squeezed) and (name_pattern(name).search(fold(text)) is not None
                               or squeezed in {_squeeze(w) for w in re.findall(r"[\w-]+", text)})


def _squeeze(text: str) -> str:
    return re.sub(r"[\W_]+", "", fold(text))


def _dated_elsewhere(store: ChunkStore, stop: str, days: list[dt.date]) -> bool:
    """Say whether a sentence of a document about a subject gives one of the days and names the stop, or
    stands in the stop's own document ("on 9 November it welcomed …"). The announcement and the programme,
    which give the entry's own dates, are about no subject."""
    spelled = [re.compile(rf"\b{d.day}(?:st|nd|rd|th)? (?:of )?{d:%B}\b|\b{d:%B} {d.day}\b", re.I) for d in days]
    for source in store.sources():
        if not source.facts.get("aliases") and not source.facts.get("role"):
            continue
        own = any(_written(stop, n) for n in [source.title, *source.facts.get("aliases", "").split(";")] if n.strip())
        for chunk in store.of_source(source.source):
            for start, end in sentence_spans(chunk.text):
                sentence = chunk.text[start:end]
                if any(p.search(sentence) for p in spelled) and (own or _written(stop, sentence)):
                    return True
    return False


def _held_by(store: ChunkStore, agenda: Agenda, question: Question, asked: set[str],
             earlier: str | None) -> Answer | None:
    """Answer who held an event of the programme ("who co-hosted the roundtable with inno TSD?") from its
    entry's organisations, but those the question names, cited with the programme's line that lists them.
    Only a question that says nothing else about the event is answered so."""
    # "team up" is no word of the workshop's title
    entry = _named_event(agenda, asked - HELD_BY) or _earlier_event(agenda, earlier)
    if entry is None or not asked & HELD_BY - set(question.head):  # "which *organisations* were visited …"
        return None
    named = [o for o in entry.organisations if set(terms(o)) <= asked]
    others = [o for o in entry.organisations if o not in named]
    if not others or asked - _entry_terms(entry) - HELD_BY - set().union(*(terms(o) for o in named)):
        return None
    found = evidence(_programme_chunks(store, agenda), [f"{entry.title} — organisations"], strict=True)
    if found is None:
        return None
    citation = Citation.from_chunk(1, found[0], found[1], 1.0)
    return Answer(question.text, f"{entry.title}: {and_list(others)} [1].", True, "extractive", [citation],
                  short=and_list(others))


def _programme_chunks(store: ChunkStore, agenda: Agenda) -> list[Chunk]:
    """Return the indexed chunks of the programme, whose lines cite its entries ([] when it is not indexed)."""
    source = next((s.source for s in store.sources() if s.title == agenda.title), None)
    return store.of_source(source) if source else []


def _entry_terms(entry: AgendaEntry) -> set[str]:
    """Return the terms a question may use to name an entry of the programme: its title and its place."""
    return set(terms(entry.title)) | _entry_place_terms(entry)


def _entry_place_terms(entry: AgendaEntry) -> set[str]:
    """Return the terms of where an entry of the programme took place."""
    return set(terms(" ".join([entry.venue or "", entry.city or "", *entry.countries])))


def _named_event(agenda: Agenda, asked: set[str]) -> AgendaEntry | None:
    """Return the one entry of the programme the question names by a word no other entry's title has."""
    titles = {e.id: set(terms(e.title)) for e in agenda.entries}
    named = [e for e in agenda.entries
             if asked & (titles[e.id] - set().union(*(t for i, t in titles.items() if i != e.id)))]
    return named[0] if len(named) == 1 else None


def _earlier_event(agenda: Agenda, earlier: str | None) -> AgendaEntry | None:
    """Return the entry the earlier turn named, for a follow-up that names none."""
    return _named_event(agenda, set(terms(earlier)) - HELD_BY) if earlier else None


def _whole_event(agenda: Agenda, asked: set[str]) -> AgendaEntry | None:
    """Return the entry a question about how the whole event began or ended means ("what city did the
    mission kick off in?", "when did the whole trip wrap up?"): the programme's first, or last to end."""
    dated = [e for e in agenda.entries if e.date]
    if not asked & MISSION or not dated or bool(asked & _ENDS) == bool(asked & _STARTS):
        return None
    if asked & _ENDS:
        return max(dated, key=lambda e: e.date_end or e.date)
    return min(dated, key=lambda e: e.date)


def _published(value: str) -> str:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    time = f", {moment:%H:%M}" if (moment.hour, moment.minute) != (0, 0) else ""
    return f"{moment.day} {moment:%B %Y}{time}"
