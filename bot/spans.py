"""Typed spans in a sentence: the dates, numbers, amounts, durations, places and names it states.

An answer to "when …?" must contain a date the question does not already give, an answer to "who
…?" a name, and so on; these spans are how the reader checks that, and what a short answer leads with.
Patterns, not a model: PyPI ships no usable NER weights for this offline setting (a mirrored spaCy model
tagged "KU Leuven" a person and "Stavanger" a date on these documents), while the documents' own front
matter and ISO 3166 (pycountry) give places, and English capitalisation gives names.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from ingest import DEMONYMS, NUMBER_WORDS, fold

KINDS = ("date", "time", "number", "money", "duration", "place", "person", "name")

_MONTH = (r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
          r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?")
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_YEAR = r"(?:1[5-9]|20)\d\d"
_DATE = re.compile(
    rf"\b(?:(?:the\s+)?{_DAY}(?:\s*(?:to|and|-|–)\s*(?:the\s+)?{_DAY})?\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR})?"
    rf"|{_MONTH}\s+{_DAY}(?:\s*(?:to|-|–)\s*{_DAY})?(?:,?\s+{_YEAR})?\b"
    rf"|{_MONTH}\s+{_YEAR}"
    rf"|\d{{1,2}}[/.]\d{{1,2}}[/.]\d{{2,4}}|\d{{4}}-\d\d-\d\d"
    rf"|{_YEAR}(?:\s*[–-]\s*(?:{_YEAR}|\d\d))?(?!\d)"
    rf"|(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday))")
_TIME = re.compile(r"\b\d{1,2}[:.]\d\d\s*(?:[ap]\.?m\.?|h)?\b|\b\d{1,2}\s*[ap]\.?m\.?(?!\w)|\bnoon\b|\bmidnight\b",
                   re.I)
_NUMBER_WORD = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
_QUALIFIER = r"(?:(?:more|fewer|less)\s+than|over|about|around|nearly|almost|some|at\s+least|up\s+to)\s+(?:a\s+)?"
_NUMBER = re.compile(rf"\b(?:{_QUALIFIER})?(?:\d[\d,.]*\d|\d|(?:{_NUMBER_WORD})\b|a\s+dozen\b)(?![\w/:])", re.I)
_UNIT = r"(?:days?|weeks?|months?|years?|hours?|minutes?|decades?)"
_DURATION = re.compile(rf"\b(?:\d+|{_NUMBER_WORD})[\s-]{_UNIT}\b", re.I)
_MONEY = re.compile(r"(?:\b(?:US|USD|EUR)\s?)?[$€£]\s?\d(?:[\d,.]*\d)?(?:\s*(?:million|billion|m|bn)\b)?"
                    r"|\b\d(?:[\d,.]*\d)?\s*(?:million|billion)?\s*(?:euros?|EUR|dollars?|USD|kroner|DKK)\b", re.I)

# Words that make a capitalised phrase an organisation or a place rather than a person.
_INSTITUTION_WORDS = frozenset(fold(w) for w in """
Agency Alliance Association Authority Bank Board Campus Center Centre Centrum Cluster College Commission
Committee Company Conference Consortium Corporation Council Department Directorate Energy Expo Forum
Foundation Group Hub Incubator Industry Initiative Institute Institution Lab Laboratory League Ltd Inc
Ministry Museum Network Office Park Partnership Platform Programme Program Project Region School Service
Society Space Station Systems Technology Trust University Valley Week Zone
""".split())
_PERSON_CUES = frozenset(fold(w) for w in """
professor prof dr mr mrs ms sir governor president mayor minister director ceo chairman chairwoman chair
founder co-founder activist executive manager senator secretary commissioner dean rector
""".split())
_PARTICLES = frozenset("van von der den de da di du la le of and & for the".split())
# Someone named by role rather than by name ("the Danish minister of higher education and science"): it
# answers "who …?" when the documents name no one.
_ROLE = re.compile(r"\b(?:the\s+)?(?:[A-Z][a-z]+\s+)?(?:" + "|".join(sorted(_PERSON_CUES, key=len, reverse=True))
                   + r"|trustees)\b(?:\s+of\s+[a-z]+(?:\s+(?:and\s+)?[a-z]+){0,2})?")
_CAPITAL = re.compile(r"[A-ZÀ-ÖØ-Þ][\w’'&.-]*|[a-z]+[A-Z][\w-]*|\d+(?:\.\d+)?")
_SENTENCE_STARTERS = frozenset(fold(w) for w in """
the a an it its this these those they their there in on at from following for with by as after before no
when while since during under of and but or if our we he she his her one each both some many most such
""".split())
_LOCATIVE = re.compile(r"\b(?:in|at|near|on|from|to|outside|across|based in|located in|headquartered in)\s+"
                       r"(?:the\s+)?(?=[A-ZÀ-ÖØ-Þ])")
_CONTINENTS = ("Africa", "Asia", "Europe", "North America", "South America", "Oceania", "Antarctica",
               "European Union", "Scandinavia", "Silicon Valley")


DEMONYM_PLACES = frozenset(fold(alias) for aliases in DEMONYMS.values() for alias in aliases)


@dataclass(frozen=True)
class Span:
    """A typed stretch of a sentence."""

    start: int
    end: int
    kind: str
    text: str


@functools.lru_cache(maxsize=1)
def _world_places() -> frozenset[str]:
    """Return the folded names of countries and their subdivisions (ISO 3166), and continents."""
    import pycountry  # loaded on first use: about 60 ms

    names = set(_CONTINENTS)
    for country in pycountry.countries:
        names.update(n for n in (country.name, getattr(country, "common_name", None),
                                 getattr(country, "official_name", None)) if n)
    names.update(s.name for s in pycountry.subdivisions if "," not in s.name and "(" not in s.name)
    return frozenset(fold(n) for n in names)


_MONTHS_AND_DAYS = frozenset(fold(w) for w in """
January February March April May June July August September October November December Jan Feb Mar Apr
Jun Jul Aug Sep Sept Oct Nov Dec Monday Tuesday Wednesday Thursday Friday Saturday Sunday
""".split())
_TOKEN = re.compile(r"[^\W_][\w’'&.²-]*")


def capitalised_phrases(sentence: str) -> list[tuple[int, int]]:
    """Return (start, end) of each run of capitalised words ("Lean Energy Cluster", "Fred van Beuningen").

    A run may hold particles ("of", "van", "&"), ends at punctuation, and takes a version number that
    follows it ("BILAT USA 4.0"). A sentence's first word alone is no name unless it is written like one
    ("EnergyVille", "ATI"): "Research topics include …" names nothing.
    """
    runs: list[list[tuple[int, int, str]]] = []
    run: list[tuple[int, int, str]] = []
    first = True
    for match in _TOKEN.finditer(sentence):
        word = re.sub(r"(?:['’]s|['’.])$", "", match.group(0))  # "Ohio's" is Ohio
        start, end = match.start(), match.start() + len(word)
        gap = sentence[run[-1][1]:start] if run else " "
        initial = bool(run) and gap.strip() == "." and re.fullmatch(r"\x00?[A-Z]", run[-1][2]) is not None
        if run and gap.strip() and not initial:  # punctuation between words ends a run, but "John C. Stennis"
            runs.append(run)
            run = []
        folded = fold(word)
        if _CAPITAL.fullmatch(word) and not word.isdigit() and folded not in _MONTHS_AND_DAYS:
            run.append((start, end, word))
        elif run and re.fullmatch(r"\d+(?:\.\d+)*|[IVX]+", word) and not run[-1][2][0].isdigit():
            run.append((start, end, word))
            runs.append(run)
            run = []
        elif run and folded in _PARTICLES and not _closes(run[-1][2]) and fold(run[-1][2]) not in _PARTICLES:
            run.append((start, end, word))
        else:
            if run:
                runs.append(run)
            run = []
        if first and run:
            run[0] = (*run[0][:2], "\x00" + run[0][2])  # mark the sentence's first word
        first = False
    if run:
        runs.append(run)
    spans = []
    for run in runs:
        while run and fold(run[-1][2]) in _PARTICLES:
            run = run[:-1]
        if not run:
            continue
        head = run[0][2]
        if head.startswith("\x00"):
            head = head[1:]
            if fold(head) in _SENTENCE_STARTERS:
                run = run[1:]
                while run and (run[0][2][0].isdigit() or fold(run[0][2]) in _PARTICLES):
                    run = run[1:]
            elif len(run) == 1 and not (head.isupper() or re.search(r"[a-z][A-Z]|\d", head)):
                continue
        if run:
            spans.append((run[0][0], run[-1][1]))
    return spans


def _closes(word: str) -> bool:
    """Say whether a capitalised word ends a name, so that "and" after it starts another one."""
    word = word.lstrip("\x00")
    return fold(word).rstrip("s") in _INSTITUTION_WORDS or (len(word) > 1 and word.isupper())


def find_spans(sentence: str, places: Iterable[str] = (), names: Iterable[str] = ()) -> list[Span]:
    """Return the typed spans of a sentence; `places` and `names` are known ones (from the documents)."""
    return list(_find_spans(sentence, tuple(places), tuple(names)))


@functools.lru_cache(maxsize=1)
def _known(places: tuple[str, ...], names: tuple[str, ...]) -> tuple[frozenset[str], re.Pattern | None]:
    """Return the folded known places, and one pattern matching any known name as written."""
    pattern = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
                         + r")(?![\w-])") if names else None
    return _world_places() | {fold(p) for p in places}, pattern


@functools.lru_cache(maxsize=16384)  # a sentence's spans depend only on it and the documents' names
def _find_spans(sentence: str, places: tuple[str, ...], names: tuple[str, ...]) -> tuple[Span, ...]:
    known_places, name_pattern = _known(places, names)
    spans: list[Span] = []
    taken: list[tuple[int, int]] = []

    def add(start: int, end: int, kind: str) -> None:
        if end > start and not any(s < end and start < e for s, e in taken):
            spans.append(Span(start, end, kind, sentence[start:end]))
            taken.append((start, end))

    for pattern, kind in ((_MONEY, "money"), (_TIME, "time")):  # "US$748,244" is money, not the name "US"
        for match in pattern.finditer(sentence):
            add(match.start(), match.end(), kind)
    for match in name_pattern.finditer(sentence) if name_pattern else ():  # the documents' own names first
        add(match.start(), match.end(), "name")  # as written ("imec", "inno TSD", "CLEAN")
    for start, end in capitalised_phrases(sentence):
        words = fold(sentence[start:end]).split()
        if words == words[:1] and words[0] in DEMONYM_PLACES and re.match(r"\s+[a-z]", sentence[end:]):
            continue  # "a Danish cluster", "EU clusters": an adjective, not a place
        if " ".join(words) in known_places or words == words[:1] and words[0] in DEMONYM_PLACES \
                or _after_locative(sentence, start):
            add(start, end, "place")
        elif _is_person(sentence, start, end, words):
            add(start, end, "person")
        else:
            add(start, end, "name")
    for pattern, kind in ((_DATE, "date"), (_DURATION, "duration"), (_NUMBER, "number"), (_ROLE, "person")):
        for match in pattern.finditer(sentence):
            add(match.start(), match.end(), kind)
    return tuple(sorted(spans, key=lambda s: s.start))


def _after_locative(sentence: str, start: int) -> bool:
    """Say whether a phrase follows "in", "at", "based in" … ("in Genk"), or a place and a comma ("Genk, Belgium")."""
    window = sentence[max(0, start - 40):start + 1]
    if any(m.end() == len(window) - 1 for m in _LOCATIVE.finditer(window)):
        return True
    comma = re.search(r"(?:in|at|on|near)\s+(?:the\s+)?[A-ZÀ-ÖØ-Þ][\w’'-]*(?:\s+[A-ZÀ-ÖØ-Þ][\w’'-]*)*,\s*$",
                      sentence[max(0, start - 40):start])
    return comma is not None


def _is_person(sentence: str, start: int, end: int, words: list[str]) -> bool:
    names = [w for w in words if w not in _PARTICLES]
    if not 2 <= len(names) <= 4 or not all(w.replace(".", "").isalpha() for w in names):
        return False
    if set(words) & _INSTITUTION_WORDS or any(len(w) > 2 and w.isupper() for w in sentence[start:end].split()):
        return False
    before = fold(sentence[max(0, start - 30):start]).split()[-2:]
    return bool(set(before) & (_PERSON_CUES | {"by", "under"}))
