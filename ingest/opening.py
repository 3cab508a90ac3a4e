"""Opening the index: the one factory of the embedding model, the Chroma client and the store."""

from __future__ import annotations

import datetime as dt
import logging

from langchain_core.embeddings import Embeddings

from ingest.errors import IndexDamaged, IndexModelMismatch, unavailable
from ingest.lexical import lexical_path
from ingest.settings import IndexSettings
from ingest.store import ChunkStore

log = logging.getLogger(__name__)


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
        where = describe_location(settings)
        raise unavailable(where, f"cannot open the index at {where}: {exc}", exc) from exc


def describe_location(settings: IndexSettings) -> str:
    """Say where the index lives, for messages."""
    if settings.chroma_host:
        return f"Chroma server {settings.chroma_host}:{settings.chroma_port}"
    return str(settings.index_dir)


def open_store(settings: IndexSettings) -> ChunkStore:
    """Open the configured index with the configured embedding model (nothing is created yet)."""
    embeddings, name, dim = make_embeddings(settings)
    return ChunkStore(make_client(settings), settings.collection, embeddings, name, dim,
                      describe_location(settings), lexical_path(settings.index_dir, settings.collection))


def open_for_rebuild(settings: IndexSettings) -> ChunkStore:
    """Open the index for a full rebuild; a damaged embedded index is first moved aside, and kept."""
    try:
        store = open_store(settings)
        store.collection()  # reads the database: damage shows here if not on opening
        return store
    except IndexModelMismatch:
        return store  # built with another model: the rebuild drops it, as the mismatch error says to do
    except IndexDamaged:
        if settings.chroma_host:
            raise
    from chromadb.api.shared_system_client import SharedSystemClient

    from ingest.locks import writer_lock

    with writer_lock(settings):
        SharedSystemClient.clear_system_cache()  # Chroma keeps one open database per path: drop the damaged one
        files = settings.index_dir / "chroma"
        kept = files.with_name(f"chroma.damaged-{dt.datetime.now():%Y%m%d-%H%M%S}")
        files.rename(kept)
    log.warning("the index at %s is damaged: moved it to %s (kept) and rebuilding it from the documents",
                settings.index_dir, kept)
    return open_store(settings)
