"""Check a written answer against the passages, sentence by sentence, before anyone sees it (OWASP LLM02).

A sentence stays only if one of its [n] markers names a retrieved passage that supports it: the passage
says most of what the sentence says, and the sentence does not negate what the passage says. Every other
sentence is dropped, whatever the model was told by a document or a question. A sentence that links
anywhere the passages it cites do not (in their text, or as their document's own URL) is dropped too.
The markers left are renumbered 1, 2, ... in order of appearance, and each citation quotes, verbatim,
the passage's sentence closest to the claim.
"""

from __future__ import annotations

import logging
import re

from bot.answer import Citation
from bot.retrieval import Passage
from ingest import fold, sentence_spans, terms

log = logging.getLogger(__name__)

SUPPORT_SHARE = 0.5  # share of a claim's content terms the passage must contain
ANCHOR_SHARE = 0.8  # or: share of its numbers and names, for a claim in another language than the passage

_MARKER_GROUP = re.compile(r"(?:\s*\[\d+\])+")
_MARKER = re.compile(r"\[(\d+)\]")
_MARKERS_AFTER_STOP = re.compile(r"([.!?])((?:\s*\[\d+\])+)")  # "Copenhagen. [1]" cites the sentence before
_ANCHOR = re.compile(r"\d[\d.,:/-]*|(?<!^)\b[A-Z][\w&-]*(?:\s+[A-Z][\w&-]*)*")
_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)|<(https?://[^>\s]+)>|((?:https?://|www\.)[^\s<>()\[\]]+)", re.I)
# Words that turn a statement into its denial, in the languages answers are asked in.
_NEGATIONS = frozenset("""
    not no never neither nor none nobody nothing false untrue incorrect wrong cannot
    nicht kein keine keinen keiner nie niemals falsch ne pas jamais aucun aucune faux fausse
    nunca ningun ninguno ninguna falso falsa niet geen nooit onwaar ikke inte aldrig ingen falsk
""".split())


def negations(text: str) -> set[str]:
    """Return the denying words of a text ("not", "never", "false", "didn't" ...)."""
    words = re.findall(r"[^\W\d_]+(?:['’][^\W\d_]+)?", fold(text))
    return {w for w in words if w in _NEGATIONS or w.endswith(("n't", "n’t"))}


def supports(claim: str, passage_text: str) -> bool:
    """Say whether a passage says what a claim says: most of its terms, or most of its numbers and names,
    and no denial the passage's closest sentence does not make itself."""
    if negations(claim) - negations(best_quote(claim, passage_text)):
        return False
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


def links(text: str) -> list[str]:
    """Return the URLs a text links to: Markdown links, <autolinks> and bare URLs."""
    return [next(g for g in m.groups() if g).rstrip(".,;:!?'\"") for m in _LINK.finditer(text)]


def links_allowed(claim: str, cited: list[Passage]) -> bool:
    """Say whether every link in a claim appears in a cited passage's text or is its document's own URL."""
    known = " ".join(p.chunk.text + " " + (p.chunk.metadata.get("url") or "") for p in cited)
    return all(_bare(url) in _bare(known) for url in links(claim))


def _bare(url: str) -> str:
    return re.sub(r"^(?:https?://)?(?:www\.)?", "", url.strip().casefold()).rstrip("/")


def check_citations(text: str, passages: list[Passage]) -> tuple[str, list[Citation]]:
    """Keep the sentences a cited passage backs (markers renumbered), drop the rest; build their citations."""
    text = _MARKERS_AFTER_STOP.sub(r"\2\1", text)
    renumber: dict[int, int] = {}
    citations: list[Citation] = []
    out, previous_end = [], 0
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        kept = _kept_sentence(sentence, passages, renumber, citations)
        if kept is None:
            log.info("dropped a sentence of the LLM answer that no cited passage supports: %.80r", sentence)
        else:
            out.append((text[previous_end:start] if out else "") + kept)
        previous_end = end
    return re.sub(r"[ \t]+([.,;:!?])", r"\1", "".join(out)).strip(), citations


def _kept_sentence(sentence: str, passages: list[Passage], renumber: dict[int, int],
                   citations: list[Citation]) -> str | None:
    """Return the sentence with only its supporting markers (renumbered), or None if none supports it."""
    claim = _MARKER_GROUP.sub("", sentence)
    cited = [n for n in dict.fromkeys(int(m) for m in _MARKER.findall(sentence))
             if 1 <= n <= len(passages) and supports(claim, passages[n - 1].chunk.text)]
    if not cited or not links_allowed(claim, [passages[n - 1] for n in cited]):
        return None
    for n in cited:
        if n not in renumber:
            renumber[n] = len(renumber) + 1
            passage = passages[n - 1]
            citations.append(Citation.from_chunk(renumber[n], passage.chunk, best_quote(claim, passage.chunk.text),
                                                 passage.fused))

    def markers(group: re.Match[str]) -> str:
        kept = [f"[{renumber[n]}]" for n in dict.fromkeys(int(m) for m in _MARKER.findall(group.group(0)))
                if n in cited]
        return (" " + "".join(kept)) if kept else ""

    return _MARKER_GROUP.sub(markers, sentence)
