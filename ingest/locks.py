"""One writer at a time: a file lock for the embedded index, a lease in the Chroma server otherwise.

In server mode the writers (the ingest job, each bot's /reindex and /docs add) may run in different
containers, so a lock file local to one of them excludes nothing. The lease lives where they all
meet: a one-record collection beside the index. Chroma has no compare-and-swap, so a writer takes
the lease only if none is held, writes its own record, waits a moment and reads it back; of two
writers racing within that moment only the last one to write keeps it. A lease that is not renewed
expires, so a writer killed mid-run blocks the next one for at most LEASE_SECONDS.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from ingest.settings import IndexSettings
from ingest.store import IndexProblem

log = logging.getLogger(__name__)

LEASE_SECONDS = 300.0
SETTLE_SECONDS = 0.3


class IndexBusy(IndexProblem):
    """Another writer holds the index; the message (the one wording of it) says to try again later."""

    def __init__(self, holder: str | None = None) -> None:
        held = f" (held by {holder})" if holder else ""
        super().__init__(f"A re-index is already running{held}; try again when it has finished.")


class FileLock:
    """An exclusive flock on a file in the index folder (one host)."""

    def __init__(self, settings: IndexSettings) -> None:
        settings.index_dir.mkdir(parents=True, exist_ok=True)
        self._handle = open(settings.index_dir / "ingest.lock", "w")  # noqa: SIM115 - held until release

    def acquire(self) -> None:
        try:
            fcntl.flock(self._handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            self._handle.close()
            raise IndexBusy() from exc

    def renew(self) -> None:
        """Nothing to renew: the lock lasts until released or the process ends."""

    def release(self) -> None:
        self._handle.close()


class ChromaLease:
    """A writer lease kept in the Chroma server, shared by every process that writes the index."""

    def __init__(self, client, collection_name: str, seconds: float = LEASE_SECONDS) -> None:
        self._col = client.get_or_create_collection(f"{collection_name}-writer", embedding_function=None)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.seconds = seconds

    def holder(self) -> dict | None:
        """Return the current lease (owner, expires), or None."""
        found = self._col.get(ids=["writer"], include=["metadatas"])
        return found["metadatas"][0] if found["ids"] else None

    def acquire(self) -> None:
        held = self.holder()
        if held and held["owner"] != self.owner and held["expires"] > time.time():
            raise IndexBusy(held["owner"])
        self._write()
        time.sleep(SETTLE_SECONDS)  # let a writer racing us land its record, then see who kept it
        held = self.holder()
        if not held or held["owner"] != self.owner:
            raise IndexBusy()

    def renew(self) -> None:
        """Extend the lease; call it more often than every LEASE_SECONDS during a long run."""
        held = self.holder()
        if held and held["owner"] != self.owner:
            raise IndexProblem(f"the writer lease was taken over by {held['owner']} (this run took too long)")
        self._write()

    def release(self) -> None:
        held = self.holder()
        if held and held["owner"] == self.owner:
            self._col.delete(ids=["writer"])

    def _write(self) -> None:
        self._col.upsert(ids=["writer"], embeddings=[[0.0]], documents=["writer lease"],
                         metadatas=[{"owner": self.owner, "expires": time.time() + self.seconds}])


@contextmanager
def writer_lock(settings: IndexSettings, client=None) -> Iterator[FileLock | ChromaLease]:
    """Hold the one-writer lock for the index (a lease in server mode), or raise IndexBusy."""
    lock = ChromaLease(client, settings.collection) if settings.chroma_host and client is not None \
        else FileLock(settings)
    lock.acquire()
    try:
        yield lock
    finally:
        lock.release()
