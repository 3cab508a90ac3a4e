"""Keep the index in step with a folder of documents, incrementally and safely under kill -9.

Per document: if the chunks in the index carry this file's hash and are all there, nothing is done.
Otherwise the document is loaded and split, and its new chunks are embedded and written in windows of
at most EMBED_WINDOW chunks (several small documents share a window; a large one spans several), and
only after its last chunk is written are its old chunks deleted. A document written in more than one
part is marked unfinished in the collection first, and readers leave a marked version out, so they see
the old version or the new one, never a part of it. A run killed anywhere leaves, for some documents,
a missing, partial or doubled version, which the next run sees (hash or count differ) and completes,
embedding only the chunks that are not there yet. Readers keep only the newest version of each source
they retrieve (see `newest_versions`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ingest.documents import DocumentFile, Failure, list_documents
from ingest.errors import IndexProblem
from ingest.loaders import FACT_FIELDS, LoadError, load_file, sidecar_path
from ingest.locks import writer_lock
from ingest.settings import IndexSettings
from ingest.splitting import Piece, make_splitter, split_document
from ingest.store import Chunk, ChunkStore
from ingest.writing import IndexReport, Prepared, Windows, Writer

log = logging.getLogger(__name__)

EMBED_WINDOW = 1024  # chunks embedded and written together: fewer, better-packed batches; bounded memory
PIPELINE_VERSION = "8"  # bump when loading or splitting changes, so every document is re-indexed
LOOKAHEAD = 8  # files loaded ahead of the embedding window


ProgressFn = Callable[[int, int, str], None]


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
    """Map each indexed source to {doc_hash: [(chunk id, chunk_count), ...]}, from the ledger."""
    ledger = store.ledger()
    if not ledger.in_step(store):
        ledger.rebuild(store)
    return ledger.state()


def _is_current(versions: dict[str, list], doc_hash: str) -> bool:
    rows = versions.get(doc_hash, [])
    return len(versions) == 1 and bool(rows) and all(count == len(rows) for _, count in rows)


def _prepared_ahead(settings, files: list[DocumentFile], state, splitter) -> Iterator[Prepared | Exception | None]:
    """Yield each file prepared (or its load error), loading up to LOOKAHEAD files ahead in a thread.

    Loading and splitting (parsers, Python) then overlap with embedding and writing, which spend
    their time in onnxruntime and Chroma with the GIL released.
    """
    def job(item: DocumentFile):
        try:
            return _prepare(settings, item, state.get(item.source, {}), splitter)
        except FileNotFoundError:
            return LoadError("it disappeared while the run was reading the folder")
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


def _prepare(settings, item: DocumentFile, versions, splitter) -> Prepared | None:
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
    pieces = split_document(document, splitter)
    if not pieces:
        raise LoadError("it splits into no passages, so there is nothing to answer from")
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")
    chunks = _make_chunks(item.source, item.path, doc_hash, pieces, document, now)
    there = {cid for cid, _ in versions.get(doc_hash, [])}  # written by a run that was stopped part-way
    return Prepared(item, versions, doc_hash, [c for c in chunks if c.id not in there], {c.id for c in chunks})


def sync_index(settings: IndexSettings, store: ChunkStore, full: bool = False,
               progress: ProgressFn | None = None) -> IndexReport:
    """Bring the index in step with the documents folder and return what was done."""
    started = time.perf_counter()
    report = IndexReport()
    if not settings.docs_dir.is_dir():
        raise IndexProblem(f"the documents folder {settings.docs_dir} does not exist")
    if settings.chroma_host:  # a server may restart under a long run: wait for it rather than fail
        store = store.retrying(settings.chroma_retry_seconds)
    with writer_lock(settings, store) as lock:
        if full:
            store.drop()
        store.collection(create=True)
        state, unfinished = _indexed_state(store), store.unfinished()
        listing = list_documents(settings.docs_dir, settings.agenda_file)
        report.failures.extend(listing.problems)
        writer = Writer(store, report, unfinished)
        try:
            _write_documents(settings, store, listing.files, state, writer, lock, progress)
        finally:
            writer.close()
        present = {f.source for f in listing.files} | {f.path for f in report.failures}
        removed = _remove_missing(store, state, present, report, writer.unfinished)
        report.failed = len(report.failures)
        report.total_chunks = store.count()
        # Derived rather than re-read: under the writer lock the index holds what it held (versions
        # readers can see), plus what this run finished, minus what it removed.
        readable = {s for s, versions in state.items() if set(versions) - set(unfinished.get(s, ()))}
        report.total_documents = len((readable | writer.finished) - removed)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def clean_chunk_ids(settings: IndexSettings) -> list[str]:
    """Return the sorted ids of the chunks a clean run over the documents folder writes (to check convergence)."""
    splitter = make_splitter(settings.chunk_size, settings.chunk_overlap)
    ids: list[str] = []
    for item in list_documents(settings.docs_dir, settings.agenda_file).files:
        with contextlib.suppress(LoadError):  # a file a run cannot index leaves no chunks
            ids.extend(_prepare(settings, item, {}, splitter).keep)
    return sorted(ids)


def _write_documents(settings, store: ChunkStore, files: list[DocumentFile], state, writer: Writer, lock,
                     progress: ProgressFn | None) -> None:
    """Prepare each file, and embed and write the changed ones window by window."""
    windows = Windows(min(EMBED_WINDOW, store.max_batch()))
    splitter = make_splitter(settings.chunk_size, settings.chunk_overlap)
    # Closed here, also when a write fails: a generator left to the garbage collector shuts its loader
    # down wherever collection happens to run, once inside threading's own locks (a hang, seen in CI).
    with contextlib.closing(_prepared_ahead(settings, files, state, splitter)) as outcomes:
        _write_each(files, outcomes, windows, writer, lock, progress)
    writer.write(windows.flush())
    writer.wait()


def _write_each(files: list[DocumentFile], outcomes, windows: Windows, writer: Writer, lock,
                progress: ProgressFn | None) -> None:
    """Write each prepared file's changed chunks, window by window, and report the files that failed."""
    for done, (item, outcome) in enumerate(zip(files, outcomes), start=1):
        if isinstance(outcome, (LoadError, OSError)):
            # What was indexed for this file before stays: a bad upload must not erase good text.
            log.warning("could not index %s: %s", item.source, outcome)
            writer.report.failures.append(Failure(item.source, str(outcome)))
        elif outcome is None:
            writer.report.unchanged += 1
        else:
            for window, queued in windows.add(outcome):
                writer.write(window)
                lock.renew()
                if progress and len(outcome.todo) > queued:  # a large document: show how far it has got
                    there = len(outcome.keep) - len(outcome.todo) + queued
                    progress(done - 1, len(files), f"{item.source} ({there:,} of {len(outcome.keep):,} chunks)")
        if progress:
            progress(done, len(files), item.source)


def _remove_missing(store: ChunkStore, state, present: set[str], report: IndexReport,
                    unfinished: dict[str, list[str]]) -> set[str]:
    """Delete the chunks of sources no longer present; return those sources."""
    gone = {source for source in state if source not in present}
    for source in gone:
        ids = [cid for rows in state[source].values() for cid, _ in rows]
        store.delete(ids)
        store.ledger().remove(source, ids)
        report.removed += 1
    if gone & set(unfinished):
        store.mark_finished(gone)
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
