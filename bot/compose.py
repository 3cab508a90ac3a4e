"""Short answers: lead with what was asked ("Genk [1]"), then quote only the part of the sentence that
supports it, verbatim, so every claim can be checked against its source.

A list question gets the matching items, not the whole list sentence; a long sentence is cut to the
clauses around the answer, with "…" where it was cut.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from bot.answer import Citation, and_list
from bot.extractive import Candidate
from bot.features import counts, fits
from bot.question import Question
from bot.spans import Span
from ingest import ANAPHOR, terms

# Characters of quoted evidence per sentence. Answers right on dev: 0.810 at 220, 0.812 at 280, 0.815 at 340
# and at 400 (train 0.818, 0.838, 0.838, 0.838); the median answer stays near 210 characters.
QUOTE_BUDGET = 340
MAX_ANSWER = 600  # characters: a second sentence is quoted only in what is left of this (README's promise)
_OVER = 40  # characters a sentence may run over its budget and still be quoted whole (no cut for a few words)
MAX_ITEMS = 12
_CLAUSE_END = re.compile(r"(?<=[,;:])\s+|\s+(?=\()|\s+[–—]\s+")


def compose(question: Question, candidates: list[Candidate], known: tuple[str, ...] = (),
            subject_of: Callable[[str], str | None] = lambda source: None,
            lead: str | None = None, reserve: int = 0) -> tuple[str, str, list[Citation]]:
    """Return the short answer, the answer text and its citations: a lead (the answer itself) when the
    kind of answer is clear, then the supporting quote; a second sentence only when it scores close to
    the best. `known` are names the question already gives (its subjects), which are no answer;
    `subject_of` names a document's subject, to say who "It" is in a quote that starts so; `lead`, when
    given, is the answer already known (the subject a "which of them" question picks); `reserve` is room the
    caller keeps out of MAX_ANSWER for what it puts before the answer."""
    best = candidates[0]
    chosen = [best]
    # One from another passage first: it adds what the best sentence's own passage does not.
    close = [c for c in candidates[1:] if c.as_likely_as(best) and not c.disclaims]
    second = next((c for c in close if c.passage.chunk.id != best.passage.chunk.id), close[0] if close else None)
    lead = lead or _lead(question, best, known)
    if second is not None and not lead:
        chosen.append(second)
    parts: list[str] = []
    citations = []
    room = MAX_ANSWER - reserve - (len(f"{lead} [1]: ") if lead else 0)
    for n, candidate in enumerate(chosen, start=1):
        subject = subject_of(candidate.passage.chunk.source) if not lead else None
        frame = len(f"{subject}: “” [{n}] ") if subject else len(f"“” [{n}] ")
        budget = min(QUOTE_BUDGET, room - frame - _OVER - 2)  # 2: its "…"
        if n > 1 and budget < QUOTE_BUDGET // 2:
            break  # no room left for a second quote worth reading
        quote = trim(candidate.text, _anchor(question, candidate, lead if n == 1 else ""), budget)
        citations.append(Citation.from_chunk(n, candidate.passage.chunk, quote.strip("…"), candidate.score))
        said = f"{subject + ': ' if subject and ANAPHOR.match(quote) else ''}“{quote}” [{n}]"
        parts.append(said)
        room -= len(said) + 1
    if lead:
        return lead, f"{lead} [1]: {parts[0]}", citations
    return "", " ".join(parts), citations


def _lead(question: Question, candidate: Candidate, known: tuple[str, ...]) -> str:
    """Return the answer itself, as written in the sentence: the spans of the kind asked for."""
    if question.wants is None:
        return ""
    asked = set(terms(question.text)) | set().union(*(set(terms(k)) for k in known))
    spans = [s for s in candidate.spans if fits(s, question, asked)]
    # "Its director Fred van Beuningen": a person's role right before their name is said of the name.
    spans = [s for s in spans if not (s.kind == "person" and any(
        o.kind == "person" and o.start == s.end + 1 for o in spans))]
    if not spans:
        return ""
    if question.wants_list:
        items = list(dict.fromkeys(s.text for s in spans))[:MAX_ITEMS]
        return and_list(items)
    if question.wants == "number" and question.head:  # "how many states": the number that counts states
        spans = [s for s in spans if counts(candidate.text, s, set(question.head))] or spans
    doer = _doer(question, candidate.text, spans)
    if doer is not None:
        return doer.text
    return _whole(candidate, max(spans, key=lambda s: _closeness(candidate.text, s, question)))


def _whole(candidate: Candidate, span: Span) -> str:
    """Return a span with what it owns when a name follows its possessive: "NASA's John C. Stennis Space
    Center", not "NASA"."""
    text = candidate.text
    if text[span.end:span.end + 3] in ("'s ", "’s "):
        owned = next((o for o in candidate.spans if o.start == span.end + 3), None)
        if owned is not None:
            return text[span.start:owned.end]
    return span.text


_PASSIVE = re.compile(r"\b(?:was|were|is|are|been|being)\s+(?:\w+ly\s+)?$", re.I)


def _doer(question: Question, text: str, spans: list[Span]) -> Span | None:
    """For "who *led* …?", return who does it in the sentence: the first name before the verb ("inno TSD with
    … partner SRI, led …"), or the first after it in the passive ("founded … by George Kozmetsky")."""
    if question.wants not in ("name", "person") or not question.focus:
        return None
    wanted = set(terms(question.focus[0]))
    verb = next((m for m in re.finditer(r"[\w-]+", text) if set(terms(m.group(0))) & wanted), None) if wanted else None
    if verb is None:  # "who started …?" said in other words ("founded … by X"): the agent named after "by"
        if not question.text.lstrip().casefold().startswith(("who ", "whom ")):
            return None
        return next((s for s in spans if re.search(r"\bby\s+(?:the\s+)?$", text[: s.start])), None) or (
            _agent(text, by.start()) if (by := re.search(r"\bby\b", text)) else None)
    if _PASSIVE.search(text[: verb.start()]) or re.match(r"\s+(?:\w+ly\s+)?by\b", text[verb.end():]):
        return _agent(text, verb.end(), spans) or next((s for s in spans if s.start > verb.end()), None)
    opener = _OPENER.match(text)  # "In the earlier BILAT USA 2.0 project, inno TSD led …": not the project
    return next((s for s in spans if s.end <= verb.start() and not (opener and s.end <= opener.end())), None)


# A sentence's opening adverbial, up to its comma ("In October 2015, …", "During the mission, …"). General English.
_OPENER = re.compile(r"^(?:In|On|At|During|After|Before|From|Since|Under|Within|Through|Following|Besides|Like)\b"
                     r"[^,]{0,80},")
_AGENT = re.compile(r"\bby\s+((?:the\s+)?[\w'’&.-]+(?:\s+(?!(?:together|with|and|in|on|at|for|to|as|from|under)\b)"
                    r"[\w'’&.-]+){0,5})")


def _agent(text: str, after: int, spans: list[Span] = ()) -> Span | None:
    """Return who does it in a passive sentence, after "by" ("founded by *the Danish government* together
    with …"): the typed span there, else the words up to the next preposition or punctuation."""
    match = _AGENT.search(text, after)
    if match is None or match.start() - after > 40:
        return None
    start = match.start(1)
    return next((s for s in spans if s.start in (start, start + 4)), None) or Span(start, match.end(1), "name",
                                                                                  match.group(1))


def _closeness(text: str, span: Span, question: Question) -> tuple[float, float, int]:
    """Prefer the span nearest the noun asked with ("U.S. project *partner* SRI"), then nearest the
    question's other words, then the longest ("6 November 2018" over "2018")."""
    def distance(wanted: set[str], inside: bool = False) -> float:
        positions = [m.start() for m in re.finditer(r"[\w-]+", text) if set(terms(m.group(0))) & wanted
                     and (inside or not span.start <= m.start() < span.end)]
        return min((0 if span.start <= p < span.end else abs(p - span.start) for p in positions), default=math.inf)

    # A span that holds the noun asked with is nearest it ("which governor": "Governor John Kasich").
    near = min(distance(set(question.head), inside=True), distance(set(question.modifiers)))
    return -near, -distance(set(terms(question.text))), len(span.text)


def _anchor(question: Question, candidate: Candidate, lead: str) -> tuple[int, int]:
    """Return the stretch of the sentence the quote must keep: the lead, else the question's words."""
    if lead and not question.wants_list:
        where = candidate.text.find(lead)
        if where >= 0:
            return where, where + len(lead)
    if lead:  # a list: from its first item to its last, so that the quote shows them all
        found = [m.span() for item in re.split(r", | and ", lead) if item
                 for m in [re.search(re.escape(item), candidate.text)] if m]
        if found:
            return min(a for a, _ in found), max(b for _, b in found)
    asked = set(terms(question.text))
    hits = [m.span() for m in re.finditer(r"[\w-]+", candidate.text) if set(terms(m.group(0))) & asked]
    return (hits[0][0], hits[-1][1]) if hits else (0, 0)


def trim(sentence: str, anchor: tuple[int, int], budget: int = QUOTE_BUDGET) -> str:
    """Cut a long sentence to whole clauses around the anchor, within the budget, marking cuts with "…"."""
    if len(sentence) <= budget + _OVER:
        return sentence
    bounds = [0] + [m.end() for m in _CLAUSE_END.finditer(sentence)] + [len(sentence)]
    clauses = [(bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]
    first = next(i for i, (s, e) in enumerate(clauses) if e > anchor[0] or i == len(clauses) - 1)
    last = first
    while last + 1 < len(clauses) and clauses[last + 1][0] < anchor[1]:
        last += 1
    # Grow to the right first (a clause usually explains what came before it), then to the left.
    while True:
        grown = False
        if last + 1 < len(clauses) and clauses[last + 1][1] - clauses[first][0] <= budget:
            last, grown = last + 1, True
        elif first > 0 and clauses[last][1] - clauses[first - 1][0] <= budget:
            first, grown = first - 1, True
        if not grown:
            break
    start, end = clauses[first][0], clauses[last][1]
    text = sentence[start:end].strip().rstrip(",;:")
    if end - start > budget + _OVER:  # one clause alone is too long: cut at a word
        text = text[: budget].rsplit(" ", 1)[0].rstrip(",;:")
        end = start + len(text)
    return ("…" if start > 0 else "") + text + ("…" if end < len(sentence.rstrip()) - 1 else "")
