"""Split extracted text into chunks that keep sentences whole and never cross a page or section."""

from __future__ import annotations

from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from ingest.loaders import LoadedDocument
from ingest.sentences import ANAPHOR, SENTENCE_BOUNDARY, sentence_spans

# Paragraphs first, then lines, then sentence ends: a sentence is cut only when it alone is
# longer than a chunk.
SEPARATORS = [r"\n\n", r"\n", SENTENCE_BOUNDARY, r"(?<=[;:])\s+", r"(?<=,)\s+", r"\s+", ""]


LEAD_SENTENCES = 2  # at most this many sentences are taken in before an anaphoric chunk start


@dataclass
class Piece:
    """One chunk of a document, with where it stands in the extracted text."""

    text: str
    start: int
    page: int | None
    heading: str | None


def make_splitter(chunk_size: int, chunk_overlap: int) -> RecursiveCharacterTextSplitter:
    """Return the one splitter that ingestion uses."""
    return RecursiveCharacterTextSplitter(
        chunk_size=chunk_size,
        chunk_overlap=chunk_overlap,  # at most half the chunk size: the settings refuse more
        separators=SEPARATORS,
        is_separator_regex=True,
        keep_separator="end",
        add_start_index=True,
        strip_whitespace=True,
    )


def split_document(document: LoadedDocument, splitter: RecursiveCharacterTextSplitter) -> list[Piece]:
    """Split each segment of a document; offsets point into document.text."""
    pieces = []
    for segment in document.segments:
        body = document.text[segment.start : segment.end]
        for chunk in splitter.create_documents([body]):
            start, text = _with_lead_in(body, chunk.metadata["start_index"], chunk.page_content,
                                        splitter._chunk_size)
            if text.strip():
                pieces.append(Piece(text, segment.start + start, segment.page, segment.heading))
    return pieces


def _with_lead_in(body: str, start: int, text: str, chunk_size: int) -> tuple[int, str]:
    """Start a chunk earlier when its first sentence leans on the one before ("These organizations
    include: ..."), and one more if that one leans too, so the chunk can be understood, and quoted, alone."""
    if start == 0 or not ANAPHOR.match(text):
        return start, text
    limit = chunk_size * 3 // 2  # the longest a chunk may grow by taking sentences in
    # Only the text a lead-in could reach is scanned (a 19 MB file is one long segment); the first
    # sentence found there may be cut off by the window, so it is not used.
    window = max(0, start - 2 * limit)
    before = [(window + s, window + e) for s, e in sentence_spans(body[window:start])][1 if window else 0 :]
    lead = start
    for span in reversed(before[-LEAD_SENTENCES:]):
        if start + len(text) - span[0] > limit:
            break
        lead = span[0]
        if not ANAPHOR.match(body[span[0] : span[1]]):
            break
    return lead, body[lead : start + len(text)]
