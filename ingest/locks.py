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
from pathlib import Path

from ingest.errors import IndexProblem
from ingest.settings import IndexSettings
from ingest.store import ChunkStore

log = logging.getLogger(__name__)

LEASE_SECONDS = 300.0
SETTLE_SECONDS = 0.3
RELEASE_RETRY_SECONDS = 10.0


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

    def __init__(self, store: ChunkStore, collection_name: str, seconds: float = LEASE_SECONDS) -> None:
        self._store = store
        self._col = store.call("lease", store.client.get_or_create_collection, f"{collection_name}-writer",
                               embedding_function=None)
        self.owner = owner_name()
        self.seconds = seconds

    def holder(self) -> dict | None:
        """Return the current lease (owner, expires), or None."""
        found = self._store.call("lease", self._col.get, ids=["writer"], include=["metadatas"])
        return found["metadatas"][0] if found["ids"] else None

    def acquire(self) -> None:
        held = self.holder()
        if held and held["owner"] != self.owner and held["expires"] > time.time():
            if not holder_is_dead(held["owner"]):
                raise IndexBusy(held["owner"])
            log.warning("taking over the writer lease of %s: that process has stopped", held["owner"])
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
        # Briefly: when the server is gone for good, the run's own error is what the operator needs.
        self._store = self._store.retrying(min(self._store.retry_seconds, RELEASE_RETRY_SECONDS))
        held = self.holder()
        if held and held["owner"] == self.owner:
            self._store.call("lease", self._col.delete, ids=["writer"])

    def _write(self) -> None:
        self._store.call("lease", self._col.upsert, ids=["writer"], embeddings=[[0.0]], documents=["writer lease"],
                         metadatas=[{"owner": self.owner, "expires": time.time() + self.seconds}])


def _started(pid: int) -> str | None:
    """Return when a process started (clock ticks since boot), "" if unknown, or None if there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None if Path("/proc/self/stat").exists() else ""
    except OSError:
        return ""
    return stat.rpartition(")")[2].split()[19]  # field 22, counting from the state after the command name


def owner_name() -> str:
    """Return this process's name as a lease owner: host, pid, start time and a nonce."""
    return f"{socket.gethostname()}:{os.getpid()}:{_started(os.getpid())}:{uuid.uuid4().hex[:8]}"


def holder_is_dead(owner: str) -> bool:
    """Say whether a lease's owner provably stopped: on this host, its process is gone, or the process with
    its id started at another time (an earlier run in a restarted container had the same id)."""
    parts = owner.split(":")
    if len(parts) < 4 or ":".join(parts[:-3]) != socket.gethostname() or not parts[-3].isdigit():
        return False
    now = _started(int(parts[-3]))
    return now is None or (bool(now) and bool(parts[-2]) and now != parts[-2])


@contextmanager
def writer_lock(settings: IndexSettings, store: ChunkStore | None = None) -> Iterator[FileLock | ChromaLease]:
    """Hold the one-writer lock for the index (a lease in server mode), or raise IndexBusy."""
    lock = ChromaLease(store, settings.collection) if settings.chroma_host and store is not None \
        else FileLock(settings)
    lock.acquire()
    try:
        yield lock
    finally:
        try:
            lock.release()
        except (IndexProblem, OSError) as exc:  # must not hide the run's own outcome
            log.warning("could not release the writer lock (%s); it expires by itself within %g s", exc,
                        LEASE_SECONDS)
