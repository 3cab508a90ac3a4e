"""Embedding and writing changed documents window by window, and the report of what a run did.

A window holds at most a set number of chunks, from one or several documents; a document larger than a
window is written in parts, marked unfinished in the collection until its last part is written, and
its old version is deleted only then.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field

from ingest.documents import DocumentFile, Failure
from ingest.store import Chunk, ChunkStore

log = logging.getLogger(__name__)


@dataclass
class IndexReport:
    """What a run did; the JSON summary of `python -m ingest --json`."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: int = 0
    failures: list[Failure] = field(default_factory=list)
    chunks_written: int = 0
    total_documents: int = 0
    total_chunks: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict:
        """Return the report as plain data."""
        return asdict(self)


@dataclass
class Prepared:
    """A changed document, split, with the chunks still to embed and write (those not already there)."""

    item: DocumentFile
    versions: dict[str, list]
    doc_hash: str
    todo: list[Chunk]
    keep: set[str]  # ids of all the new version's chunks


@dataclass
class Part:
    """Some of one document's chunks, in one window; the last part of a document finishes it."""

    prepared: Prepared
    chunks: list[Chunk]
    first: bool
    last: bool


class Windows:
    """Cut the stream of chunks to write into windows of at most `size` chunks."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.parts: list[Part] = []
        self.filled = 0

    def add(self, prepared: Prepared) -> Iterator[tuple[list[Part], int]]:
        """Take a document's chunks; yield each window that fills up, with how many of them are queued."""
        offset, todo = 0, prepared.todo
        while True:
            take = min(self.size - self.filled, len(todo) - offset)
            last = offset + take == len(todo)
            self.parts.append(Part(prepared, todo[offset : offset + take], offset == 0, last))
            self.filled += take
            offset += take
            if self.filled >= self.size:
                yield self.flush(), offset
            if last:
                return

    def flush(self) -> list[Part]:
        """Return the window being filled and start a new one."""
        parts, self.parts, self.filled = self.parts, [], 0
        return parts


class Writer:
    """Embed windows in the calling thread and write them to Chroma in a writer thread, in order."""

    def __init__(self, store: ChunkStore, report: IndexReport, unfinished: dict[str, list[str]]) -> None:
        self.store, self.report, self.unfinished = store, report, unfinished
        self.finished: set[str] = set()
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-write")
        self._last: Future | None = None
        self.windows = 0

    def write(self, parts: list[Part]) -> None:
        """Embed a window, then hand its writes to the writer thread (overlapping the next embedding)."""
        if not parts:
            return
        vectors = self.store.embeddings.embed_documents([c.text for p in parts for c in p.chunks])
        self.wait()  # windows are written in order, and a failed write stops the run
        self._last = self._thread.submit(self._store_window, parts, vectors)

    def wait(self) -> None:
        """Wait for the window being written; raise its error."""
        if self._last is not None:
            self._last.result()

    def close(self) -> None:
        """Stop the writer thread, waiting for nothing more (an error already stopped the run)."""
        self._thread.shutdown(wait=True, cancel_futures=True)

    def _store_window(self, parts: list[Part], vectors) -> None:
        """Write each document part; a document's last part removes its old chunks. Bump the revision."""
        offset = 0
        for part in parts:
            prepared = part.prepared
            source = prepared.item.source
            if part.first and not part.last:
                self.store.mark_unfinished(source, prepared.doc_hash)
                self.unfinished.setdefault(source, []).append(prepared.doc_hash)
            self.store.upsert(part.chunks, vectors[offset : offset + len(part.chunks)])
            self.store.ledger().add(part.chunks)
            offset += len(part.chunks)
            self.report.chunks_written += len(part.chunks)
            if part.last:
                self._finish(prepared)
        self.windows += 1
        log.info("wrote window %d: %d chunks", self.windows, offset)
        self.store.bump_revision()  # once per window: readers' caches follow

    def _finish(self, prepared: Prepared) -> None:
        source = prepared.item.source
        if source in self.unfinished:  # shown to readers before the old version goes, so one is always there
            self.store.mark_finished({source})
            del self.unfinished[source]
        old = [cid for rows in prepared.versions.values() for cid, _ in rows if cid not in prepared.keep]
        self.store.delete(old)
        self.store.ledger().publish(source, prepared.doc_hash, old)
        self.finished.add(source)
        log.info("indexed %s: %d chunks", source, len(prepared.keep))
        if prepared.versions:
            self.report.updated += 1
        else:
            self.report.added += 1
