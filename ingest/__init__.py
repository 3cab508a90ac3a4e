"""Ingestion: owns the index. Its public API is what the bot may use; it imports nothing from `bot`."""

from ingest.documents import DocumentFile, DocumentListing, Failure, is_document_name, list_documents
from ingest.errors import IndexModelMismatch, IndexProblem, IndexUnavailable
from ingest.indexer import IndexReport, newest_versions, sync_index
from ingest.loaders import SUPPORTED_FORMATS, LoadedDocument, LoadError, describe_formats, load_file
from ingest.locks import IndexBusy
from ingest.logs import configure_logging
from ingest.opening import open_store
from ingest.sentences import ANAPHOR, sentence_spans, split_sentences
from ingest.settings import PROJECT_ROOT, IndexSettings, SettingsError, env_name, load_settings
from ingest.store import Chunk, ChunkStore, SourceInfo

__all__ = [
    "PROJECT_ROOT", "SUPPORTED_FORMATS", "Chunk", "ChunkStore", "DocumentFile", "DocumentListing", "Failure",
    "IndexBusy", "IndexModelMismatch", "IndexProblem", "IndexReport", "IndexSettings", "IndexUnavailable",
    "LoadError", "LoadedDocument", "SettingsError", "SourceInfo", "ANAPHOR", "configure_logging",
    "describe_formats", "env_name", "is_document_name", "list_documents", "load_file", "load_settings",
    "newest_versions", "open_store", "sentence_spans", "split_sentences", "sync_index",
]
