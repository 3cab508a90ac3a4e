"""Check the [n] markers of a written answer against the passages, before anyone sees them.

A marker stays only if it names a passage that was retrieved and that passage supports the
sentence it is attached to; the markers left are renumbered 1, 2, ... in order of appearance,
and each citation quotes, verbatim, the passage's sentence closest to the claim.
"""

from __future__ import annotations

import re

from bot.answer import Citation
from bot.retrieval import Passage
from bot.text import fold, terms
from ingest import sentence_spans

SUPPORT_SHARE = 0.5  # share of a claim's content terms the passage must contain
ANCHOR_SHARE = 0.8  # or: share of its numbers and names, for a claim in another language than the passage

_MARKER_GROUP = re.compile(r"(?:\s*\[\d+\])+")
_MARKER = re.compile(r"\[(\d+)\]")
_ANCHOR = re.compile(r"\d[\d.,:/-]*|(?<!^)\b[A-Z][\w&-]*(?:\s+[A-Z][\w&-]*)*")


def supports(claim: str, passage_text: str) -> bool:
    """Say whether a passage says what a claim says: most of its terms, or most of its numbers and names."""
    claim_terms = set(terms(claim))
    passage_terms = set(terms(passage_text))
    if claim_terms and len(claim_terms & passage_terms) / len(claim_terms) >= SUPPORT_SHARE:
        return True
    anchors = {a.strip() for a in _ANCHOR.findall(claim.strip())}
    passage = fold(passage_text)
    return bool(anchors) and sum(fold(a) in passage for a in anchors) / len(anchors) >= ANCHOR_SHARE


def best_quote(claim: str, passage_text: str) -> str:
    """Return the passage's sentence that shares the most terms with the claim (verbatim)."""
    claim_terms = set(terms(claim))
    sentences = [passage_text[s:e] for s, e in sentence_spans(passage_text)] or [passage_text]
    return max(sentences, key=lambda s: len(claim_terms & set(terms(s))))


def check_citations(text: str, passages: list[Passage]) -> tuple[str, list[Citation]]:
    """Drop the markers that a passage does not back, renumber the rest and build their citations."""
    renumber: dict[int, int] = {}
    citations: list[Citation] = []
    out, cursor = [], 0
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        claim = _MARKER_GROUP.sub("", sentence)
        out.append(text[cursor:start])
        out.append(_MARKER_GROUP.sub(lambda g: _kept(g.group(0), claim, passages, renumber, citations), sentence))
        cursor = end
    out.append(text[cursor:])
    return re.sub(r"[ \t]+([.,;:!?])", r"\1", "".join(out)).strip(), citations


def _kept(group: str, claim: str, passages: list[Passage], renumber: dict[int, int],
          citations: list[Citation]) -> str:
    kept = []
    for n in dict.fromkeys(int(m) for m in _MARKER.findall(group)):
        if not 1 <= n <= len(passages) or not supports(claim, passages[n - 1].chunk.text):
            continue
        if n not in renumber:
            renumber[n] = len(renumber) + 1
            passage = passages[n - 1]
            citations.append(Citation.from_chunk(renumber[n], passage.chunk, best_quote(claim, passage.chunk.text),
                                                 passage.fused))
        kept.append(f"[{renumber[n]}]")
    return (" " + "".join(kept)) if kept else ""
