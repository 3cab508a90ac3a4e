"""What a question asks for: the kind of answer (a number, a date, a place, a name, a list) and
whether a sentence offers it. Used by retrieval (to favour chunks with that kind of fact) and by
sentence scoring."""

from __future__ import annotations

import re

from bot.text import NUMBER_WORDS, has_date, has_number, has_proper_name, terms, tokens

# Question words whose answer is a name ("Which body funded...", "Who led...").
_NAME_HEADS = frozenset(terms("organisation cluster partner project programme initiative institution"))


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
    if re.search(r"^\s*(who|whom)\b|\b(name|title|called)\b", q):
        return "name"
    head = re.search(r"\b(?:which|what)\s+(\w+)(?:\s+(\w+))?", q)
    if head and set(terms(f"{head.group(1)} {head.group(2) or ''}")) & _NAME_HEADS:
        return "name"
    return None


def is_yes_no(question: str) -> bool:
    """Say whether a question asks for a yes or a no ("Did the delegation visit imec?")."""
    return bool(re.match(r"\s*(?:did|do|does|was|were|is|are|has|have|had|can|could|will|would)\b", question,
                         re.IGNORECASE))


def quantity_heads(question: str) -> set[str]:
    """Return the terms of what a "how many" question counts ("How many US groups..." -> us, organisation)."""
    match = re.search(r"\bhow many\s+((?:[\w.-]+\s*){1,3})", question, re.IGNORECASE)
    return set(terms(match.group(1))) if match else set()


def counts(sentence: str, heads: set[str]) -> bool:
    """Say whether a number in the sentence counts one of heads ("12 American ... associations")."""
    toks = tokens(sentence)
    for i, tok in enumerate(toks):
        if tok.isdigit() or tok in NUMBER_WORDS:
            if heads & {t for w in toks[i + 1 : i + 5] for t in terms(w)}:
                return True
    return False


def listed_names(sentence: str, question_terms: set[str]) -> int:
    """Count the items of an enumeration of names ("A, B, and C") that the question does not contain."""
    items = re.split(r",\s*(?:and\s+|or\s+)?|\s+and\s+|:\s*", sentence)
    return sum(1 for item in items[1:] if item[:1].isupper() and not set(terms(item)) & question_terms)


def asks_for_list(question: str) -> bool:
    """Say whether a question asks for several things by name ("Which organisations ...?")."""
    head = re.search(r"\b(?:which|what)\s+(\w+)(?:\s+(\w+))?", question, re.IGNORECASE)
    return bool(head) and any(w and w.endswith("s") and not w.endswith("ss") and set(terms(w)) & _NAME_HEADS
                              for w in head.groups())


# A place is named after a locative preposition ("at the Danish Arkitektur Center", "in Copenhagen"),
# or a line states one ("venue: ...", "countries: ...").
_PLACE_CUE = re.compile(r"\b(?:in|at|to|from|near|across)\s+(?:the\s+)?[A-Z][\w-]")
_PLACE_WORD = re.compile(r"\b(?:venue|city|country|countries|location|address|region|based|headquarter(?:s|ed)?)\b",
                         re.IGNORECASE)

# Kinds of fact a chunk can be indexed under, so that BM25 favours chunks stating the kind asked for
# ("predictive annotation", Prager et al., SIGIR 2000): "When ...?" prefers chunks with a date.
INDEXED_KINDS = ("date", "number", "money")


def kind_token(kind: str) -> str:
    """Return the pseudo-term that marks a chunk stating this kind of fact."""
    return f"⟨{kind}⟩"


def kind_tokens(text: str) -> list[str]:
    """Return the pseudo-terms of the kinds of fact a text states."""
    return [kind_token(kind) for kind in INDEXED_KINDS if satisfies(kind, text)]


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
    if kind == "place":
        return bool(_PLACE_CUE.search(sentence) or _PLACE_WORD.search(sentence))
    return has_proper_name(sentence)
