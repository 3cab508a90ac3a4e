"""Ingestion: owns the index. Its public API is what the bot may use; it imports nothing from `bot`."""

from ingest.documents import DocumentFile, DocumentListing, Failure, is_document_name, list_documents
from ingest.errors import IndexModelMismatch, IndexProblem, IndexUnavailable
from ingest.indexer import IndexReport, clean_chunk_ids, newest_versions, sync_index
from ingest.loaders import SUPPORTED_FORMATS, LoadedDocument, LoadError, describe_formats, load_file
from ingest.locks import IndexBusy
from ingest.logs import configure_logging
from ingest.opening import open_store
from ingest.report import failure_line, holdings, outcome_counts, plural, summary
from ingest.sentences import ANAPHOR, sentence_spans, split_sentences
from ingest.settings import PROJECT_ROOT, IndexSettings, SettingsError, env_name, load_settings
from ingest.store import Chunk, ChunkStore, SourceInfo

__all__ = [
    "PROJECT_ROOT", "SUPPORTED_FORMATS", "Chunk", "ChunkStore", "DocumentFile", "DocumentListing", "Failure",
    "IndexBusy", "IndexModelMismatch", "IndexProblem", "IndexReport", "IndexSettings", "IndexUnavailable",
    "LoadError", "LoadedDocument", "SettingsError", "SourceInfo", "ANAPHOR", "clean_chunk_ids", "configure_logging",
    "describe_formats", "env_name", "failure_line", "holdings", "is_document_name", "list_documents", "load_file",
    "load_settings", "newest_versions", "open_store", "outcome_counts", "plural", "sentence_spans",
    "split_sentences", "summary", "sync_index",
]
