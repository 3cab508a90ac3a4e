"""The errors about the index that a person can act on, and how a failed Chroma call becomes one."""

from __future__ import annotations


class IndexProblem(Exception):
    """Base class of errors about the index that a person can act on."""


class IndexUnavailable(IndexProblem):
    """The index (embedded files or the Chroma server) cannot be reached or read."""


class IndexModelMismatch(IndexProblem):
    """The index was built with another embedding model than the one configured."""


class IndexDamaged(IndexUnavailable):
    """The embedded index's files are damaged; `python -m ingest --full` rebuilds it from the documents."""


# What SQLite says (through Chroma) about a file that is not, or no longer, a whole database.
_DAMAGE = ("file is not a database", "database disk image is malformed", "(code: 11)", "(code: 26)")


def gave_up(location: str, seconds: float, exc: BaseException) -> IndexUnavailable:
    """Return the error of a writer that waited for the server in vain: what happened and what to do."""
    return IndexUnavailable(
        f"the {location} stopped answering ({type(exc).__name__}) and was not back within {seconds:g} s "
        f"(MISSIONBOT_CHROMA_RETRY_SECONDS). What was written is kept and readers still see whole documents; "
        f"run `python -m ingest` again when the server is back to complete the index")


def unavailable(location: str, summary: str, exc: BaseException) -> IndexUnavailable:
    """Return the error to raise for a failed Chroma call: damage gets its own class and what to do."""
    if any(sign in str(exc) for sign in _DAMAGE):
        return IndexDamaged(f"the index at {location} is damaged ({exc}); rebuild it from the documents with "
                            f"`python -m ingest --full`, which keeps the damaged files beside the new index")
    return IndexUnavailable(summary)
