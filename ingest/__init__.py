"""Ingestion: owns the index. Its public API is what the bot may use; it imports nothing from `bot`."""

from ingest.indexer import Failure, IndexReport, newest_versions, sync_index
from ingest.locks import IndexBusy
from ingest.report import failure_line, holdings, outcome_counts, plural, summary
from ingest.sentences import ANAPHOR, sentence_spans, split_sentences
from ingest.settings import PROJECT_ROOT, IndexSettings
from ingest.store import (
    Chunk,
    ChunkStore,
    IndexModelMismatch,
    IndexProblem,
    IndexUnavailable,
    SourceInfo,
    open_store,
)

__all__ = [
    "PROJECT_ROOT", "Chunk", "ChunkStore", "Failure", "IndexBusy", "IndexModelMismatch", "IndexProblem",
    "IndexReport", "IndexSettings", "IndexUnavailable", "SourceInfo", "newest_versions", "open_store",
    "ANAPHOR", "sentence_spans", "split_sentences", "sync_index",
    "failure_line", "holdings", "outcome_counts", "plural", "summary",
]
