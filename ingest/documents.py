"""What is a document: the files of the documents folder, with the sidecar, hidden-file and link rules.

The indexer and the bot's /docs commands both list the folder through `list_documents`, so a rule
(a `.meta.yaml` sidecar is metadata, not a document) cannot hold in one and be missing in the other.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from ingest.encoding import readable_name
from ingest.loaders import SIDECAR_SUFFIX, SUPPORTED_FORMATS, sidecar_path

log = logging.getLogger(__name__)


@dataclass
class Failure:
    """A document that could not be indexed, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class DocumentFile:
    """A file of the documents folder: its source name (relative, as citations show it) and its path."""

    source: str
    path: Path

    @property
    def supported(self) -> bool:
        """Say whether a loader reads this file's format."""
        return self.path.suffix.lower() in SUPPORTED_FORMATS

    @property
    def sidecar(self) -> Path:
        """Return where this document's optional metadata file lives."""
        return sidecar_path(self.path)


@dataclass
class DocumentListing:
    """The documents found in a folder, and the entries that cannot be documents, with the reason."""

    files: list[DocumentFile] = field(default_factory=list)
    problems: list[Failure] = field(default_factory=list)

    def find(self, source: str) -> DocumentFile | None:
        """Return the document with this source name, or None."""
        return next((f for f in self.files if f.source == source), None)


def is_document_name(name: str) -> bool:
    """Say whether a file name can be a document: not hidden and not a metadata sidecar."""
    return not name.startswith(".") and not name.endswith(SIDECAR_SUFFIX)


def _link_problem(path: Path, root: Path) -> str | None:
    """Say why a symbolic link cannot be indexed, or None if it leads to a file inside the folder."""
    try:
        target = path.resolve(strict=True)
    except RuntimeError:  # Python 3.11 reports a loop this way
        return "it is a symbolic link loop"
    except FileNotFoundError:
        return f"it is a dangling link: its target {readable_name(os.readlink(path))} does not exist"
    except OSError as exc:  # ELOOP from the system, or a target that cannot be reached
        return f"it is a link that cannot be followed ({exc.strerror})"
    if not target.is_relative_to(root):
        return "it is a link to a file outside the documents folder"
    return None


def _entry_problem(path: Path, root: Path) -> str | None:
    if path.is_symlink():
        problem = _link_problem(path, root)
        if problem:
            return problem
    if not path.is_file():  # a FIFO would block the reader forever
        return "it is not a regular file"
    return None


def list_documents(folder: Path, extra: Path | None = None) -> DocumentListing:
    """List a folder's documents recursively, in name order; `extra` (the agenda) is added when outside it."""
    root = folder.resolve()
    listing = DocumentListing()

    def unreadable(error: OSError) -> None:
        where = Path(error.filename or root)
        source = readable_name(where.relative_to(root).as_posix()) if where.is_relative_to(root) else str(where)
        listing.problems.append(Failure(source, f"the folder cannot be read ({error.strerror})"))

    seen: dict[str, Path] = {}
    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable, followlinks=False):
        here = Path(dirpath)
        for name in [d for d in dirnames if (here / d).is_symlink() and not d.startswith(".")]:
            listing.problems.append(Failure(_source(here / name, root),
                                            "it is a link to a folder; linked folders are not followed"))
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and not (here / d).is_symlink())
        for name in sorted(filenames):
            if not is_document_name(name):
                continue
            path = here / name
            source = _source(path, root)
            problem = _entry_problem(path, root)
            if problem is None and source in seen:
                problem = f"its name reads the same as {seen[source].name!r}'s; rename one of them"
            if problem:
                listing.problems.append(Failure(source, problem))
                continue
            seen[source] = path
            listing.files.append(DocumentFile(source, path))
    if extra is not None and extra.is_file() and not extra.resolve().is_relative_to(root):
        listing.files.append(DocumentFile(extra.name, extra))
    return listing


def _source(path: Path, root: Path) -> str:
    relative = path.relative_to(root).as_posix()
    source = readable_name(relative)
    if source != relative:
        log.warning("the file name %s is not valid UTF-8: indexed under that name; rename the file to show it "
                    "properly", source)
    return source
