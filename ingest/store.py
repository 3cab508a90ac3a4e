"""The index: one Chroma collection whose chunks carry everything needed to cite and to re-sync them.

The collection is its own record of what is indexed (source, document hash, chunk count on every
chunk), so there is no second bookkeeping store to drift from it, and in server mode every process
sees the same record.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.embeddings import Embeddings

from ingest.errors import IndexModelMismatch, IndexProblem, gave_up, unavailable
from ingest.retry import persist, transient

if TYPE_CHECKING:
    from ingest.ledger import Ledger
    from ingest.lexical import LexicalIndex, LexicalReader

log = logging.getLogger(__name__)

PAGE = 2000  # rows per Chroma get() page when reading the whole collection
# The HNSW graph and its search breadth. Chroma's defaults (16 neighbours, 100 at construction and search)
# found 0.64 of the exact 20 nearest chunks at 20k; these reach 0.98 or more (0.994 at 110k chunks of real
# text; BENCHMARKS.md "Scale", `python -m benchmarks.bench_scale`). The graph's shape is fixed when a
# collection is made; the breadth is not.
HNSW = {"space": "cosine", "max_neighbors": 48, "ef_construction": 400}
HNSW_EF_SEARCH = 400
UNFINISHED = "unfinished"  # collection metadata: {source: [doc_hash, ...]} of versions still being written


@dataclass(frozen=True)
class Chunk:
    """One indexed passage and its metadata."""

    id: str
    text: str
    metadata: dict[str, Any]

    @property
    def source(self) -> str:
        return self.metadata.get("source", "")


@dataclass(frozen=True)
class SourceInfo:
    """What the index holds for one document."""

    source: str
    title: str
    url: str | None
    chunks: int
    indexed_at: str
    published: str | None = None
    facts: dict[str, str] = field(default_factory=dict)  # what the document states about its subject (FACT_FIELDS)


class ChunkStore:
    """Read and write access to the collection; every Chroma call goes through here."""

    def __init__(self, client, collection_name: str, embeddings: Embeddings, model_name: str,
                 dimension: int | None, location: str, lexical_path: Path) -> None:
        self.client = client
        self.collection_name = collection_name
        self.embeddings = embeddings
        self.model_name = model_name
        self.dimension = dimension
        self.location = location
        self._collection = None
        self._max_batch: int | None = None
        self.retry_seconds = 0.0
        self.lexical_path = lexical_path
        self._reader: LexicalReader | None = None
        self._ledger: Ledger | None = None

    def retrying(self, seconds: float) -> ChunkStore:
        """Return this store for a writer: its calls wait up to `seconds` for a server that stopped answering."""
        writer = copy.copy(self)
        writer.retry_seconds = seconds
        return writer

    # -- opening -----------------------------------------------------------------------------
    def call(self, what: str, fn, *args, **kwargs):
        """Run one Chroma call with the store's error handling (a writer's store also waits out a restart)."""
        try:
            return persist(self.retry_seconds, self.location, fn, *args, **kwargs)
        except IndexProblem:
            raise
        except Exception as exc:
            if self.retry_seconds and transient(exc):
                raise gave_up(self.location, self.retry_seconds, exc) from exc
            raise unavailable(self.location, f"the knowledge base at {self.location} is unavailable ({what}: "
                                              f"{type(exc).__name__})", exc) from exc

    def collection(self, create: bool = False):
        """Return the collection, checking it was built with this store's embedding model."""
        if self._collection is None:
            if create:
                metadata = {"embedding_model": self.model_name, "embedding_dim": self.dimension or 0, "revision": 0}
                col = self.call("open", self.client.get_or_create_collection, self.collection_name,
                                 metadata=metadata, embedding_function=None,
                                 configuration={"hnsw": {**HNSW, "ef_search": HNSW_EF_SEARCH}})
                self._widen_search(col)
            else:
                col = self.call("open", self._get_existing)
                if col is None:
                    return None
            self._check_model(col.metadata or {})
            self._collection = col
        return self._collection

    def _widen_search(self, col) -> None:
        """Give a collection made with another search breadth (an earlier version's) this one; vectors stay."""
        hnsw = (col.configuration_json or {}).get("hnsw") or {}
        if hnsw.get("ef_search") != HNSW_EF_SEARCH:
            self.call("write", col.modify, configuration={"hnsw": {"ef_search": HNSW_EF_SEARCH}})
            # Measured with Chroma 1.5.9: a process that has loaded the vectors (`chroma run`, or a bot
            # with the embedded index, this one included) keeps searching with the breadth it loaded.
            log.warning("set the collection's HNSW search breadth to %d (it was %s); searches use it once the "
                        "processes that hold the index restart: the Chroma server (`docker compose restart "
                        "chroma`) or, with the embedded index, the bot", HNSW_EF_SEARCH, hnsw.get("ef_search"))

    def _get_existing(self):
        names = {c if isinstance(c, str) else c.name for c in self.client.list_collections()}
        if self.collection_name not in names:
            return None
        return self.client.get_collection(self.collection_name, embedding_function=None)

    def _check_model(self, metadata: dict) -> None:
        built_with = metadata.get("embedding_model")
        dim = metadata.get("embedding_dim") or 0
        if built_with != self.model_name or (self.dimension and dim and dim != self.dimension):
            raise IndexModelMismatch(
                f"the index was built with the embedding model {built_with!r} ({dim} dimensions) but "
                f"{self.model_name!r} is configured; run a full re-index (`python -m ingest --full` "
                f"or /reindex full) to rebuild it with the configured model"
            )

    def close(self) -> None:
        """Release the client: the embedded store's files, or the server connection."""
        self._collection = None
        for part in (self._reader, self._ledger):
            if part is not None:
                part.close()
        self.client.close()

    # -- the lexical index (a file beside the collection; see ingest.lexical) ----------------------
    def lexical(self) -> LexicalIndex:
        """Return the lexical index as the writer last committed it (opened in milliseconds, never rebuilt here)."""
        if self._reader is None:
            from ingest.lexical import LexicalReader

            self._reader = LexicalReader(self.lexical_path)
        return self._reader.current()

    def ledger(self) -> Ledger:
        """Return the writer's side of the lexical file."""
        if self._ledger is None:
            from ingest.ledger import Ledger

            self._ledger = Ledger(self.lexical_path)
        return self._ledger

    def drop(self) -> None:
        """Delete the whole collection (for a full rebuild)."""
        if self.call("open", self._get_existing) is not None:
            self.call("drop", self.client.delete_collection, self.collection_name)
        self._collection = None

    # -- reading -----------------------------------------------------------------------------
    def revision(self) -> int:
        """Return a number that changes whenever the indexed content changes (-1 with no index)."""
        if self.collection() is None:
            return -1
        return int(self._metadata().get("revision", 0))

    def count(self) -> int:
        """Return how many chunks are indexed."""
        col = self.collection()
        return 0 if col is None else self.call("count", col.count)

    def iter_chunks(self, with_text: bool = True, unfinished: bool = False) -> Iterator[Chunk]:
        """Yield every indexed chunk; versions still being written only if `unfinished`."""
        for page in self.pages(with_text, unfinished):
            yield from page

    def pages(self, with_text: bool = True, unfinished: bool = False) -> Iterator[list[Chunk]]:
        """Yield every indexed chunk, a page at a time; versions still being written only if `unfinished`."""
        col = self.collection()
        if col is None:
            return
        include = ["metadatas", "documents"] if with_text else ["metadatas"]
        # Pages by id, not by offset: Chroma serves an offset in time growing with it.
        ids = self.call("read", col.get, include=[])["ids"]
        for i in range(0, len(ids), PAGE):
            page = self.call("read", col.get, ids=ids[i : i + PAGE], include=include)
            docs = page.get("documents") or [""] * len(page["ids"])
            chunks = [Chunk(i, t or "", dict(m)) for i, t, m in zip(page["ids"], docs, page["metadatas"]) if m]
            yield chunks if unfinished else self._finished(chunks)

    def of_source(self, source: str) -> list[Chunk]:
        """Return the indexed chunks of one document, in reading order."""
        lexical = self.lexical()
        if lexical.revision >= 0:  # its current version, from the writer's file: Chroma filters slowly at scale
            return lexical.of_source(source)
        col = self.collection()
        if col is None:
            return []
        page = self.call("read", col.get, where={"source": source}, include=["metadatas", "documents"])
        chunks = [Chunk(i, t or "", dict(m)) for i, t, m in zip(page["ids"], page["documents"], page["metadatas"]) if m]
        return sorted(self._finished(chunks), key=lambda c: c.metadata.get("start_index", 0))

    def get(self, ids: list[str]) -> list[Chunk]:
        """Return the chunks with these ids that are indexed (and not part of a version being written)."""
        col = self.collection()
        if col is None or not ids:
            return []
        page = self.call("read", col.get, ids=list(dict.fromkeys(ids)), include=["metadatas", "documents"])
        return self._finished([Chunk(i, t or "", dict(m))
                               for i, t, m in zip(page["ids"], page["documents"], page["metadatas"]) if m])

    def query(self, vector: list[float], k: int) -> list[tuple[Chunk, float]]:
        """Return the k nearest chunks with cosine similarity (versions being written left out)."""
        col = self.collection()
        if col is None:
            return []
        result = self.call("query", col.query, query_embeddings=[vector], n_results=k,
                            include=["documents", "metadatas", "distances"])
        rows = zip(result["ids"][0], result["documents"][0], result["metadatas"][0], result["distances"][0])
        # A row without metadata is a chunk deleted while the query ran: not a passage.
        found = [(Chunk(i, t or "", dict(m)), 1.0 - d) for i, t, m, d in rows if m]
        keep = {c.id for c in self._finished([c for c, _ in found])}
        return [(c, score) for c, score in found if c.id in keep]

    def _finished(self, chunks: list[Chunk]) -> list[Chunk]:
        # Read after the chunks: a version that was unfinished when they were read is either still
        # marked now, or complete by now (the mark goes only after its last chunk is written).
        if not chunks:
            return chunks
        marked = self.unfinished()
        if not marked:
            return chunks
        return [c for c in chunks if c.metadata.get("doc_hash") not in marked.get(c.source, ())]

    def unfinished(self) -> dict[str, list[str]]:
        """Return the document versions that a writer has begun but not finished: {source: [doc_hash]}."""
        return json.loads(self._metadata().get(UNFINISHED) or "{}")

    def _metadata(self) -> dict:
        if self.collection() is None:
            return {}
        fresh = self.call("read", self.client.get_collection, self.collection_name, embedding_function=None)
        return dict(fresh.metadata or {})

    def sources(self) -> list[SourceInfo]:
        """Summarise the indexed documents, one entry per source."""
        lexical = self.lexical()
        if lexical.revision >= 0:  # kept by the writer: no need to read every chunk's metadata
            return lexical.sources()
        from ingest.lexical import source_info

        counts: dict[str, int] = {}
        last: dict[str, dict] = {}
        for chunk in self.iter_chunks(with_text=False):
            counts[chunk.source] = counts.get(chunk.source, 0) + 1
            last[chunk.source] = chunk.metadata
        return sorted((source_info(s, counts[s], last[s]) for s in counts), key=lambda s: s.source)

    # -- writing -----------------------------------------------------------------------------
    def max_batch(self) -> int:
        """Return how many chunks Chroma takes in one write."""
        if self._max_batch is None:
            self._max_batch = int(self.call("read", self.client.get_max_batch_size))
        return self._max_batch

    def upsert(self, chunks: list[Chunk], vectors: list[list[float]]) -> None:
        """Write chunks with their vectors, in as few calls as Chroma allows."""
        col = self.collection(create=True)
        step = self.max_batch()
        for i in range(0, len(chunks), step):
            part = chunks[i : i + step]
            self.call("write", col.upsert, ids=[c.id for c in part], documents=[c.text for c in part],
                       metadatas=[c.metadata for c in part], embeddings=vectors[i : i + step])

    def delete(self, ids: list[str]) -> None:
        """Delete chunks by id."""
        if ids:
            col = self.collection(create=True)
            for i in range(0, len(ids), PAGE):
                self.call("delete", col.delete, ids=ids[i : i + PAGE])

    def bump_revision(self) -> None:
        """Tell readers that the content changed."""
        metadata = self._metadata()
        metadata["revision"] = int(metadata.get("revision", 0)) + 1
        self._set_metadata(metadata)

    def mark_unfinished(self, source: str, doc_hash: str) -> None:
        """Hide a version from readers until `mark_finished`: it is about to be written in several parts."""
        metadata = self._metadata()
        marked = json.loads(metadata.get(UNFINISHED) or "{}")
        marked[source] = sorted(set(marked.get(source, [])) | {doc_hash})
        metadata[UNFINISHED] = json.dumps(marked)
        self._set_metadata(metadata)

    def mark_finished(self, sources: set[str]) -> None:
        """Drop the marks of these sources: their versions are complete, or their chunks are gone."""
        metadata = self._metadata()
        marked = json.loads(metadata.get(UNFINISHED) or "{}")
        if sources & set(marked):
            metadata[UNFINISHED] = json.dumps({s: h for s, h in marked.items() if s not in sources})
            self._set_metadata(metadata)

    def _set_metadata(self, metadata: dict) -> None:
        # Chroma replaces the whole mapping: callers pass it back complete (model, revision, marks).
        self.call("write", self.collection(create=True).modify, metadata=metadata)
