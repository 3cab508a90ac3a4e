"""The index: one Chroma collection whose chunks carry everything needed to cite and to re-sync them.

The collection is its own record of what is indexed (source, document hash, chunk count on every
chunk), so there is no second bookkeeping store to drift from it, and in server mode every process
sees the same record.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from langchain_core.embeddings import Embeddings

from ingest.loaders import FACT_FIELDS
from ingest.settings import IndexSettings

log = logging.getLogger(__name__)

PAGE = 2000  # rows per Chroma get() page when reading the whole collection


class IndexProblem(Exception):
    """Base class of errors about the index that a person can act on."""


class IndexUnavailable(IndexProblem):
    """The index (embedded files or the Chroma server) cannot be reached or read."""


class IndexModelMismatch(IndexProblem):
    """The index was built with another embedding model than the one configured."""


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


def make_embeddings(settings: IndexSettings) -> tuple[Embeddings, str, int | None]:
    """Return the configured embedding model with its name and dimension (None until first use)."""
    if settings.embedding_provider == "openai":
        from langchain_openai import OpenAIEmbeddings

        model = OpenAIEmbeddings(
            model=settings.embedding_model,
            base_url=settings.embedding_base_url,
            api_key=settings.embedding_api_key,
            check_embedding_ctx_length=False,  # tiktoken would download its tables
            timeout=30,
            max_retries=2,
        )
        from ingest.endpoint import EndpointEmbeddings

        location = settings.embedding_base_url or "of the OpenAI API"
        return EndpointEmbeddings(model, location), f"openai:{settings.embedding_model}", None
    from ingest.embeddings import LOCAL_MODEL_DIM, LOCAL_MODEL_NAME, local_embeddings

    return local_embeddings(settings.embedding_threads), LOCAL_MODEL_NAME, LOCAL_MODEL_DIM


def make_client(settings: IndexSettings):
    """Return a Chroma client: a server's when MISSIONBOT_CHROMA_HOST is set, else embedded files."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.chroma_host:
            return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
        settings.index_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.index_dir / "chroma"), settings=chroma_settings)
    except Exception as exc:
        raise IndexUnavailable(f"cannot open the index at {describe_location(settings)}: {exc}") from exc


def describe_location(settings: IndexSettings) -> str:
    """Say where the index lives, for messages."""
    if settings.chroma_host:
        return f"Chroma server {settings.chroma_host}:{settings.chroma_port}"
    return str(settings.index_dir)


class ChunkStore:
    """Read and write access to the collection; every Chroma call goes through here."""

    def __init__(self, client, collection_name: str, embeddings: Embeddings, model_name: str,
                 dimension: int | None, location: str) -> None:
        self.client = client
        self.collection_name = collection_name
        self.embeddings = embeddings
        self.model_name = model_name
        self.dimension = dimension
        self.location = location
        self._collection = None

    # -- opening -----------------------------------------------------------------------------
    def _call(self, what: str, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except IndexProblem:
            raise
        except Exception as exc:
            raise IndexUnavailable(f"the knowledge base at {self.location} is unavailable ({what}: "
                                   f"{type(exc).__name__})") from exc

    def collection(self, create: bool = False):
        """Return the collection, checking it was built with this store's embedding model."""
        if self._collection is None:
            if create:
                metadata = {"embedding_model": self.model_name, "embedding_dim": self.dimension or 0, "revision": 0}
                col = self._call("open", self.client.get_or_create_collection, self.collection_name,
                                 metadata=metadata, configuration={"hnsw": {"space": "cosine"}},
                                 embedding_function=None)
            else:
                col = self._call("open", self._get_existing)
                if col is None:
                    return None
            self._check_model(col.metadata or {})
            self._collection = col
        return self._collection

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
        self.client.close()

    def drop(self) -> None:
        """Delete the whole collection (for a full rebuild)."""
        if self._call("open", self._get_existing) is not None:
            self._call("drop", self.client.delete_collection, self.collection_name)
        self._collection = None

    # -- reading -----------------------------------------------------------------------------
    def revision(self) -> int:
        """Return a number that changes whenever the indexed content changes (-1 with no index)."""
        col = self.collection()
        if col is None:
            return -1
        fresh = self._call("read", self.client.get_collection, self.collection_name, embedding_function=None)
        return int((fresh.metadata or {}).get("revision", 0))

    def count(self) -> int:
        """Return how many chunks are indexed."""
        col = self.collection()
        return 0 if col is None else self._call("count", col.count)

    def iter_chunks(self, with_text: bool = True) -> Iterator[Chunk]:
        """Yield every indexed chunk, page by page."""
        col = self.collection()
        if col is None:
            return
        include = ["metadatas", "documents"] if with_text else ["metadatas"]
        offset = 0
        while True:
            page = self._call("read", col.get, include=include, limit=PAGE, offset=offset)
            docs = page.get("documents") or [""] * len(page["ids"])
            for chunk_id, text, meta in zip(page["ids"], docs, page["metadatas"]):
                yield Chunk(chunk_id, text or "", dict(meta or {}))
            if len(page["ids"]) < PAGE:
                return
            offset += PAGE

    def of_source(self, source: str) -> list[Chunk]:
        """Return the indexed chunks of one document, in reading order."""
        col = self.collection()
        if col is None:
            return []
        page = self._call("read", col.get, where={"source": source}, include=["metadatas", "documents"])
        chunks = [Chunk(i, t or "", dict(m or {})) for i, t, m in zip(page["ids"], page["documents"], page["metadatas"])]
        return sorted(chunks, key=lambda c: c.metadata.get("start_index", 0))

    def get(self, ids: list[str]) -> list[Chunk]:
        """Return the chunks with these ids that are indexed."""
        col = self.collection()
        if col is None or not ids:
            return []
        page = self._call("read", col.get, ids=list(dict.fromkeys(ids)), include=["metadatas", "documents"])
        return [Chunk(i, t or "", dict(m or {})) for i, t, m in zip(page["ids"], page["documents"], page["metadatas"])]

    def query(self, vector: list[float], k: int) -> list[tuple[Chunk, float]]:
        """Return the k nearest chunks with cosine similarity."""
        col = self.collection()
        if col is None:
            return []
        result = self._call("query", col.query, query_embeddings=[vector], n_results=k,
                            include=["documents", "metadatas", "distances"])
        rows = zip(result["ids"][0], result["documents"][0], result["metadatas"][0], result["distances"][0])
        return [(Chunk(i, t or "", dict(m or {})), 1.0 - d) for i, t, m, d in rows]

    def sources(self) -> list[SourceInfo]:
        """Summarise the indexed documents, one entry per source."""
        found: dict[str, SourceInfo] = {}
        for chunk in self.iter_chunks(with_text=False):
            m = chunk.metadata
            info = found.get(chunk.source)
            found[chunk.source] = SourceInfo(chunk.source, m.get("title", ""), m.get("url") or None,
                                             (info.chunks if info else 0) + 1, m.get("indexed_at", ""),
                                             m.get("published"), {k: m[k] for k in FACT_FIELDS if m.get(k)})
        return sorted(found.values(), key=lambda s: s.source)

    # -- writing -----------------------------------------------------------------------------
    def upsert(self, chunks: list[Chunk], vectors: list[list[float]]) -> None:
        """Write chunks with their vectors, in as few calls as Chroma allows."""
        col = self.collection(create=True)
        step = self._call("write", self.client.get_max_batch_size)
        for i in range(0, len(chunks), step):
            part = chunks[i : i + step]
            self._call("write", col.upsert, ids=[c.id for c in part], documents=[c.text for c in part],
                       metadatas=[c.metadata for c in part], embeddings=vectors[i : i + step])

    def delete(self, ids: list[str]) -> None:
        """Delete chunks by id."""
        if ids:
            col = self.collection(create=True)
            for i in range(0, len(ids), PAGE):
                self._call("delete", col.delete, ids=ids[i : i + PAGE])

    def bump_revision(self) -> None:
        """Tell readers that the content changed."""
        col = self.collection(create=True)
        fresh = self._call("read", self.client.get_collection, self.collection_name, embedding_function=None)
        metadata = dict(fresh.metadata or {})
        metadata["revision"] = int(metadata.get("revision", 0)) + 1
        self._call("write", col.modify, metadata=metadata)


def open_store(settings: IndexSettings) -> ChunkStore:
    """Open the configured index with the configured embedding model (nothing is created yet)."""
    embeddings, name, dim = make_embeddings(settings)
    return ChunkStore(make_client(settings), settings.collection, embeddings, name, dim,
                      describe_location(settings))
