"""How a run's report reads: the one wording of `python -m ingest`'s summary and of every bot face's
re-index message (the bot reaches it through `ingest`'s public API)."""

from __future__ import annotations

from ingest.documents import Failure
from ingest.indexer import IndexReport

OUTCOMES = ("added", "updated", "unchanged", "removed", "failed")


def plural(count: int, noun: str) -> str:
    """Return "1 chunk", "2 chunks": a count with its noun in the right number."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def outcome_counts(report: IndexReport) -> list[tuple[str, int]]:
    """Return (outcome, documents) for each outcome of a run, in the order every face shows them."""
    return [(outcome, getattr(report, outcome)) for outcome in OUTCOMES]


def holdings(report: IndexReport) -> str:
    """Say what the index holds after the run: "31 documents (78 chunks)"."""
    return f"{plural(report.total_documents, 'document')} ({plural(report.total_chunks, 'chunk')})"


def summary(report: IndexReport) -> str:
    """Summarise a run in one sentence: what happened to the documents, and what the index now holds."""
    counts = ", ".join(f"{count} {outcome}" for outcome, count in outcome_counts(report))
    return f"{counts} in {report.seconds:.1f} s. The index holds {holdings(report)}."


def failure_line(failure: Failure) -> str:
    """Say which document could not be indexed and why."""
    return f"could not index {failure.path}: {failure.reason}"
