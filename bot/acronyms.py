"""What an abbreviation stands for, as the documents define it: "science, technology, and innovation (STI)",
"IC² (Innovation, Creativity, Capital)", "ENRICH, the European Network of Research and Innovation Centres
and Hubs, …". A question asking what one means ("What does ECCP stand for?") is answered with the long form,
cited with the sentence that defines it.

The definitions are found with Schwartz and Hearst's algorithm ("A Simple Algorithm for Identifying
Abbreviation Definitions in Biomedical Text", PSB 2003): each letter of the short form, from the last,
is matched in the long form from its end, the first at the start of a word. It is written here rather
than taken from PyPI's `abbreviations` package, which configures the root logger when imported, reads
only the "long form (SF)" order and works on lines, not sentences. One check is added for precision:
every content word of the long form starts with one of the short form's characters, and there are no
more of them than it has letters ("European Commission's DG Growth and its SME agency (EASME)" is no
definition), and at least two (Python's grammar writes "names (NAME)").
"""

from __future__ import annotations

import re
from collections import Counter

from bot.answer import Answer
from bot.compose import trim
from bot.question import Question
from ingest import Chunk, ChunkStore, sentence_spans, terms

# What a question says when it asks what an abbreviation stands for. General English, not this corpus.
_ASKS = re.compile(r"\b(?:stands?|stood)\s+for\b|\bshort\s+for\b|\bacronyms?\b|\babbreviat\w*|\binitialism\b|"
                   r"\b(?:long|full)\s+form\b|\bspell(?:ed|s)?\s+out\b|\bmean(?:s|t)?(?:\s+[\w'’-]+){0,2}\s*\??$|"
                   r"\bmeaning\s+of\b", re.I)
# A word written as an abbreviation: two capitals or more ("STI", "MsET"), or a capital and a digit ("IC²").
_SHORT = re.compile(r"(?<![\w-])(?=(?:\w*[A-Z]){2}|[A-Z]\w*[\d²³])[A-Za-z][\w²³&.-]*(?<![.-])")
# Words a long form may hold without a letter of its own ("Network *of* Research *and* Innovation").
_MINOR = frozenset("a an and as at by de for from in of on or the to with &".split())
_STANDS_FOR = re.compile(r"\b(?:stands?|stood|is\s+short|was\s+short)\s+for\s+([^,;:.()]+)", re.I)
_SUPERSCRIPT = {"2": "[2²]", "3": "[3³]", "²": "[2²]", "³": "[3³]"}
_WORD = re.compile(r"[\w'’&.-]+")


def acronym_answer(store: ChunkStore, question: Question) -> Answer | None:
    """Answer "what does ECCP stand for?" with the long form the documents give, or None when the question
    asks something else or no document defines the abbreviation."""
    if not _ASKS.search(question.text):
        return None
    for short in dict.fromkeys(_shorts(question)):
        found = definitions(store, short)
        if not found:
            continue
        # The documents may define it more than once: the long form they give most often, first where given.
        usual = Counter(long.casefold() for long, _, _ in found).most_common(1)[0][0]
        long, chunk, sentence = next(row for row in found if row[0].casefold() == usual)
        where = max(0, sentence.casefold().find(long.casefold()))
        quote = trim(sentence, (where, where + len(long)))
        return Answer.quoting(question.text, chunk, quote, lead=long, short=long)
    return None


def definitions(store: ChunkStore, short: str) -> list[tuple[str, Chunk, str]]:
    """Return each (long form, chunk, sentence to quote) where a document defines an abbreviation: in a
    sentence, or in its title or section heading ("European Cluster Collaboration Platform (ECCP)"), quoted
    then with the first sentence that writes the long form."""
    wanted = frozenset(terms(short))
    chunks = store.lexical().chunks_with([wanted]) if wanted else None
    # As the documents write it ("ECCP" for "eccp"), and written as an abbreviation there.
    # "IC2" as typed is the documents' "IC²".
    spelling = "".join(_SUPERSCRIPT.get(c, re.escape(c)) for c in short)
    written = re.compile(rf"(?<![\w-]){spelling}(?![\w-])", re.I)
    found, headings = [], []
    for chunk in chunks or []:
        sentences = [chunk.text[start:end] for start, end in sentence_spans(chunk.text)]
        form = next((m.group(0) for m in written.finditer(chunk.text) if _SHORT.fullmatch(m.group(0))), None)
        for sentence in sentences:
            long = _defined(written, sentence) or (stands_for(form, sentence) if form else None)
            if long:
                found.append((long, chunk, sentence))
        for heading in dict.fromkeys(chunk.metadata.get(key) or "" for key in ("title", "section")):
            long = _defined(written, heading)
            quoted = next((x for x in sentences if long and long.casefold() in x.casefold()), None)
            if quoted:
                headings.append((long, chunk, quoted))
    return found + headings


def _defined(written: re.Pattern, text: str) -> str | None:
    for form in dict.fromkeys(m.group(0) for m in written.finditer(text)):
        long = define(form, text) if _SHORT.fullmatch(form) else None
        if long:
            return long
    return None


def define(short: str, sentence: str) -> str | None:
    """Return the long form a sentence gives an abbreviation, in one of three shapes: "long form (SF)",
    "SF (long form)" or "SF, the long form,"; else None."""
    name = re.escape(short)
    for match in re.finditer(rf"\(\s*([^()]*?(?<![\w-]){name}(?![\w-])[^()]*?)\s*\)", sentence):
        # "long form (SF)", also "(MsET or MSET)": the words before it, as few as the letters need.
        if len(match.group(1).split()) <= 3:
            words = sentence[: match.start()].rstrip().split()
            window = " ".join(words[-min(len(short) + 5, len(short) * 2):])
            long = _matched(short, window, anchored_end=True)
            if long:
                return long
    after = re.search(rf"(?<![\w-]){name}\s*(?:\(([^()]+)\)|,\s+(?:the\s+)?([^,;.]+))", sentence)
    if after:  # "IC² (Innovation, Creativity, Capital)", "ENRICH, the European Network of …,"
        return _spelled(short, after.group(1) or after.group(2))
    return None


def stands_for(short: str, sentence: str) -> str | None:
    """Return the long form a sentence says an abbreviation stands for, written in full ("the name first
    stood for Digital Signal Processing"), though the sentence need not write the abbreviation itself."""
    return next(filter(None, (_spelled(short, m.group(1)) for m in _STANDS_FOR.finditer(sentence))), None)


def _spelled(short: str, text: str) -> str | None:
    """Return text when the short form's characters spell all of it, from its start."""
    long = _matched(short, text.strip(), anchored_end=False)
    return long if long and long == text.strip() else None


def _matched(short: str, text: str, anchored_end: bool) -> str | None:
    """Return the end of `text` that the short form's characters spell (Schwartz and Hearst), or None.

    Without `anchored_end` the long form is the whole text, which must then be spelled from its start."""
    letters = [c.casefold() for c in short if c.isalpha()]
    if len(letters) < 2:
        return None
    position, folded = len(text) - 1, text.casefold()
    for i in range(len(letters) - 1, -1, -1):
        while position >= 0 and (folded[position] != letters[i]
                                 or i == 0 and position > 0 and folded[position - 1].isalnum()):
            position -= 1
        if position < 0:
            return None
        position -= 1
    long = text[position + 1:].strip(" ,;:\"“”")
    words = [w for w in _WORD.findall(long) if w.casefold() not in _MINOR]
    initials = [c.casefold() for c in short if c.isalnum()]
    # An abbreviation shortens several words: one word it spells is that word in capitals ("names (NAME)").
    if len(words) < 2 or len(words) > len(initials) or any(w[0].casefold() not in initials for w in words):
        return None
    return None if long.casefold() == short.casefold() else long


def _shorts(question: Question) -> list[str]:
    """Return the words of a question (and of the turn it follows up) written as abbreviations; in a
    question typed all in lower case, every word (the documents say which are)."""
    found = _SHORT.findall(question.text)
    if question.text == question.text.lower():
        found += [w for w in re.findall(r"[\w²³&-]+", question.text) if len(w) >= 2 and not w.isdigit()]
    return found + _SHORT.findall(question.previous or "")
