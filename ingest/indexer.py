"""Keep the index in step with a folder of documents, incrementally and safely under kill -9.

Per document: if the chunks in the index carry this file's hash and are all there, nothing is done.
Otherwise the document is loaded, split and embedded, all its new chunks are written in one upsert,
and only then are its old chunks deleted. A run killed anywhere leaves, for some documents, a
missing, partial or doubled version, which the next run sees (hash or count differ) and rewrites.
Readers keep only the newest version of each source they retrieve (see `newest_versions`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ingest.loaders import FACT_FIELDS, SIDECAR_SUFFIX, LoadError, load_file, sidecar_path
from ingest.locks import writer_lock
from ingest.settings import IndexSettings
from ingest.splitting import Piece, make_splitter, split_document
from ingest.store import Chunk, ChunkStore, IndexProblem

log = logging.getLogger(__name__)

EMBED_WINDOW = 1024  # chunks embedded together across documents: fewer, better-packed batches
PIPELINE_VERSION = "7"  # bump when loading or splitting changes, so every document is re-indexed
LOOKAHEAD = 8  # files loaded ahead of the embedding window


@dataclass
class Failure:
    """A document that could not be indexed, and why."""

    path: str
    reason: str


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
class _File:
    source: str
    path: Path


ProgressFn = Callable[[int, int, str], None]


def _scan(settings: IndexSettings, report: IndexReport) -> list[_File]:
    """List the documents to index; symlinks leading out of the folder are reported, not followed."""
    root = settings.docs_dir.resolve()
    if not root.is_dir():
        raise IndexProblem(f"the documents folder {settings.docs_dir} does not exist")
    files: list[_File] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(".") or name.endswith(SIDECAR_SUFFIX):
                continue
            path = Path(dirpath) / name
            source = path.relative_to(root).as_posix()
            if path.is_symlink() and not path.resolve().is_relative_to(root):
                report.failures.append(Failure(source, "it is a link to a file outside the documents folder"))
                continue
            files.append(_File(source, path))
    agenda = settings.agenda_file
    if agenda is not None and agenda.is_file() and not agenda.resolve().is_relative_to(root):
        files.append(_File(agenda.name, agenda))
    return files


def _file_hash(settings: IndexSettings, data: bytes, path: Path) -> str:
    digest = hashlib.sha256(f"{PIPELINE_VERSION}:{settings.chunk_size}:{settings.chunk_overlap}\n".encode())
    digest.update(data)
    sidecar = sidecar_path(path)
    if sidecar.is_file():
        digest.update(sidecar.read_bytes())
    return digest.hexdigest()


def chunk_id(source: str, start: int, text: str) -> str:
    """Return a chunk's id, derived from its source, position and content."""
    return hashlib.sha256(f"{source}\x00{start}\x00{text}".encode()).hexdigest()[:40]


def _make_chunks(source: str, path: Path, doc_hash: str, pieces: list[Piece], document, now: str) -> list[Chunk]:
    chunks = []
    for number, piece in enumerate(pieces):
        meta = {
            "source": source, "title": document.title, "file_type": path.suffix.lower().lstrip("."),
            "start_index": piece.start, "chunk_index": number, "chunk_count": len(pieces),
            "doc_hash": doc_hash, "content_hash": hashlib.sha256(piece.text.encode()).hexdigest()[:16],
            "indexed_at": now,
        }
        # Absent keys are written as None: Chroma merges an upsert's metadata into the stored chunk's
        # (same content, same id), so a field removed from a document would otherwise outlive it.
        meta.update({"url": document.url, "published": document.published, "page": piece.page,
                     "section": piece.heading})
        meta.update({key: document.facts.get(key) for key in FACT_FIELDS})
        chunks.append(Chunk(chunk_id(source, piece.start, piece.text), piece.text, meta))
    return chunks


def _indexed_state(store: ChunkStore) -> dict[str, dict[str, list]]:
    """Map each indexed source to {doc_hash: [(chunk id, chunk_count), ...]}."""
    state: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for chunk in store.iter_chunks(with_text=False):
        m = chunk.metadata
        state[chunk.source][m.get("doc_hash", "")].append((chunk.id, m.get("chunk_count", -1)))
    return state


def _is_current(versions: dict[str, list], doc_hash: str) -> bool:
    rows = versions.get(doc_hash, [])
    return len(versions) == 1 and bool(rows) and all(count == len(rows) for _, count in rows)


@dataclass
class _Prepared:
    """A changed document, split and waiting to be embedded and written."""

    item: _File
    versions: dict[str, list]
    chunks: list[Chunk]


def _prepared_ahead(settings, files: list[_File], state, splitter) -> Iterator[_Prepared | Exception | None]:
    """Yield each file prepared (or its load error), loading up to LOOKAHEAD files ahead in a thread.

    Loading and splitting (parsers, Python) then overlap with embedding and writing, which spend
    their time in onnxruntime and Chroma with the GIL released.
    """
    def job(item: _File):
        try:
            return _prepare(settings, item, state.get(item.source, {}), splitter)
        except (LoadError, OSError) as exc:
            return exc

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-load") as loader:
        queue: deque = deque()
        upcoming = iter(files)
        for item in upcoming:
            queue.append(loader.submit(job, item))
            if len(queue) >= LOOKAHEAD:
                break
        try:
            while queue:
                outcome = queue.popleft().result()
                following = next(upcoming, None)
                if following is not None:
                    queue.append(loader.submit(job, following))
                yield outcome
        finally:
            for future in queue:
                future.cancel()


def _prepare(settings, item: _File, versions, splitter) -> _Prepared | None:
    """Load and split a document, or return None if its indexed version is current."""
    size = item.path.stat().st_size
    if size > settings.max_file_mb * 2**20:
        raise LoadError(f"the file is {size / 2**20:.1f} MB, over the {settings.max_file_mb:g} MB limit "
                        f"(MISSIONBOT_MAX_FILE_MB)")
    data = item.path.read_bytes()
    doc_hash = _file_hash(settings, data, item.path)
    if _is_current(versions, doc_hash):
        return None
    document = load_file(item.path, data)
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")
    chunks = _make_chunks(item.source, item.path, doc_hash, split_document(document, splitter), document, now)
    return _Prepared(item, versions, chunks)


def _write(store: ChunkStore, pending: list[_Prepared], report: IndexReport, writer: ThreadPoolExecutor,
           previous: Future | None) -> tuple[set[str], Future]:
    """Embed the pending documents together (one length-sorted pass), then hand the Chroma writes to the
    writer thread, so they overlap the next window's embedding; return the sources and that job."""
    batch = list(pending)
    pending.clear()
    vectors = store.embeddings.embed_documents([c.text for p in batch for c in p.chunks])
    if previous is not None:
        previous.result()  # windows are written in order, and a failed write stops the run
    return {p.item.source for p in batch}, writer.submit(_store_window, store, batch, vectors, report)


def _store_window(store: ChunkStore, batch: list[_Prepared], vectors, report: IndexReport) -> None:
    """Write each document whole (new chunks first, then its old ones removed) and bump the revision."""
    offset = 0
    for prepared in batch:
        chunks = prepared.chunks
        store.upsert(chunks, vectors[offset : offset + len(chunks)])
        offset += len(chunks)
        keep = {c.id for c in chunks}
        store.delete([cid for rows in prepared.versions.values() for cid, _ in rows if cid not in keep])
        report.chunks_written += len(chunks)
        log.info("indexed %s: %d chunks", prepared.item.source, len(chunks))
        if prepared.versions:
            report.updated += 1
        else:
            report.added += 1
    store.bump_revision()  # once per window: readers rebuild their lexical index after these documents


def sync_index(settings: IndexSettings, store: ChunkStore, full: bool = False,
               progress: ProgressFn | None = None) -> IndexReport:
    """Bring the index in step with the documents folder and return what was done."""
    started = time.perf_counter()
    report = IndexReport()
    with writer_lock(settings, store.client) as lock:
        if full:
            store.drop()
        store.collection(create=True)
        state = _indexed_state(store)
        files = _scan(settings, report)
        splitter = make_splitter(settings.chunk_size, settings.chunk_overlap)
        pending: list[_Prepared] = []
        written: set[str] = set()
        # Chroma writes run in their own thread, overlapping the next window's embedding.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-write") as writer:
            last: Future | None = None
            outcomes = _prepared_ahead(settings, files, state, splitter)
            for done, (item, outcome) in enumerate(zip(files, outcomes), start=1):
                prepared = None
                if isinstance(outcome, (LoadError, OSError)):
                    # What was indexed for this file before stays: a bad upload must not erase good text.
                    log.warning("could not index %s: %s", item.source, outcome)
                    report.failures.append(Failure(item.source, str(outcome)))
                elif outcome is None:
                    report.unchanged += 1
                else:
                    prepared = outcome
                if prepared:
                    pending.append(prepared)
                if sum(len(p.chunks) for p in pending) >= EMBED_WINDOW:
                    sources, last = _write(store, pending, report, writer, last)
                    written |= sources
                    lock.renew()
                if progress:
                    progress(done, len(files), item.source)
            if pending:
                sources, last = _write(store, pending, report, writer, last)
                written |= sources
            if last is not None:
                last.result()
        present = {f.source for f in files} | {f.path for f in report.failures}
        removed = _remove_missing(store, state, present, report)
        report.failed = len(report.failures)
        report.total_chunks = store.count()
        # Derived rather than re-read: under the writer lock the index holds what it held, plus what
        # this run wrote, minus what it removed.
        report.total_documents = len((set(state) | written) - removed)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _remove_missing(store: ChunkStore, state, present: set[str], report: IndexReport) -> set[str]:
    """Delete the chunks of sources no longer present; return those sources."""
    gone = {source for source in state if source not in present}
    for source in gone:
        store.delete([cid for rows in state[source].values() for cid, _ in rows])
        report.removed += 1
    if gone:
        store.bump_revision()
    return gone


def newest_versions(chunks: list[Chunk]) -> list[Chunk]:
    """Drop chunks of any source's older version, so a reader never sees a document twice."""
    newest: dict[str, tuple[str, str]] = {}
    for chunk in chunks:
        key = (chunk.metadata.get("indexed_at", ""), chunk.metadata.get("doc_hash", ""))
        if key > newest.get(chunk.source, ("", "")):
            newest[chunk.source] = key
    return [c for c in chunks if c.metadata.get("doc_hash", "") == newest.get(c.source, ("", ""))[1]]
