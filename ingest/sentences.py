"""Sentence boundaries that survive abbreviations such as "U.S." and "e.g."; shared by splitter and answerer."""

from __future__ import annotations

import re

# A boundary is whitespace after . ! ? (optionally closed by a quote or bracket) that is not the
# dot of an initialism ("U.S.", "R&I." is fine), a single capital ("J. Smith"), or a Latin
# abbreviation, and is followed by something that can start a sentence.
SENTENCE_BOUNDARY = (
    r"(?:(?<=[.!?])|(?<=[.!?][\"'”’)\]]))"
    r"(?<![A-Z]\.[A-Z]\.)(?<!\b[A-Z]\.)(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\betc\.)(?<!\bvs\.)(?<!\bcf\.)"
    r"(?<!\bNo\.)(?<!\bMr\.)(?<!\bDr\.)(?<!\bSt\.)(?<!\bInc\.)(?<!\bIncl\.)"
    r"\s+(?=[\"'“‘(\[]?[A-Z0-9À-ÖØ-Þ])"
)
_BOUNDARY = re.compile(SENTENCE_BOUNDARY)
# A sentence that starts like this leans on the one before it ("These included ...").
ANAPHOR = re.compile(r"^(?:(?:These|Those|They|This|It|Its|Their|Such|Both)\b|Following,)")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Return (start, end) of each sentence in text, whitespace trimmed; lines and paragraphs also end one."""
    spans = []
    for block in re.finditer(r"[^\n]+", text):
        cursor = block.start()
        for match in _BOUNDARY.finditer(text, block.start(), block.end()):
            spans.append((cursor, match.start()))
            cursor = match.end()
        spans.append((cursor, block.end()))
    return [(s, e) for s, e in (_trim(text, s, e) for s, e in spans) if e > s]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def split_sentences(text: str) -> list[str]:
    """Return the sentences of text."""
    return [text[s:e] for s, e in sentence_spans(text)]
