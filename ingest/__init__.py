"""Ingestion: owns the index. Its public API is what the bot may use; it imports nothing from `bot`."""

from ingest.documents import DocumentFile, DocumentListing, Failure, is_document_name, list_documents
from ingest.errors import IndexModelMismatch, IndexProblem, IndexUnavailable
from ingest.indexer import IndexReport, clean_chunk_ids, newest_versions, sync_index
from ingest.lexical import INDEXED_KINDS, LexicalIndex, kind_token, similar
from ingest.loaders import SUPPORTED_FORMATS, LoadedDocument, LoadError, describe_formats, load_file
from ingest.locks import IndexBusy
from ingest.logs import configure_logging
from ingest.opening import open_store
from ingest.report import failure_line, holdings, outcome_counts, plural, summary
from ingest.sentences import ANAPHOR, sentence_spans, split_sentences
from ingest.settings import PROJECT_ROOT, IndexSettings, SettingsError, env_name, load_settings
from ingest.store import Chunk, ChunkStore, SourceInfo
from ingest.text import DEMONYMS, MONTHS, NUMBER_WORDS, fold, forms, has_date, has_number, term_set, terms, tokens

__all__ = [
    "ANAPHOR", "Chunk", "ChunkStore", "DEMONYMS", "DocumentFile", "DocumentListing", "Failure", "INDEXED_KINDS",
    "IndexBusy", "IndexModelMismatch", "IndexProblem", "IndexReport", "IndexSettings", "IndexUnavailable",
    "LexicalIndex", "LoadError", "LoadedDocument", "MONTHS", "NUMBER_WORDS", "PROJECT_ROOT",
    "SUPPORTED_FORMATS", "SettingsError", "SourceInfo", "clean_chunk_ids", "configure_logging",
    "describe_formats", "env_name", "failure_line", "fold", "forms", "has_date", "has_number", "holdings",
    "is_document_name", "kind_token", "list_documents", "load_file", "load_settings", "newest_versions",
    "open_store", "outcome_counts", "plural", "sentence_spans", "similar", "split_sentences", "summary",
    "sync_index", "term_set", "terms", "tokens",
]
