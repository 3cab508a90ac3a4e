"""Split extracted text into chunks that keep sentences whole and never cross a page or section."""

from __future__ import annotations

from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from ingest.loaders import LoadedDocument
from ingest.sentences import SENTENCE_BOUNDARY

# Paragraphs first, then lines, then sentence ends: a sentence is cut only when it alone is
# longer than a chunk.
SEPARATORS = [r"\n\n", r"\n", SENTENCE_BOUNDARY, r"(?<=[;:])\s+", r"(?<=,)\s+", r"\s+", ""]


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
        chunk_overlap=min(chunk_overlap, chunk_size // 2),
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
            start = segment.start + chunk.metadata["start_index"]
            if chunk.page_content.strip():
                pieces.append(Piece(chunk.page_content, start, segment.page, segment.heading))
    return pieces
