"""The writer's side of the lexical file: the ledger of chunks written to Chroma, and their BM25 postings.

Called under the writer lock, each step after the Chroma write it mirrors, so the ledger never claims a
chunk Chroma lacks. A run killed between the two leaves the ledger's count different from the
collection's; the next run then rebuilds the file from the collection's stored text (no re-embedding),
as it does for an index made before the file existed.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections import Counter
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

from ingest.lexical import FORMAT, chunk_terms, connect
from ingest.store import Chunk, ChunkStore

log = logging.getLogger(__name__)

BATCH = 500  # chunks per statement (SQLite allows 32,766 parameters) and per slice held in memory

_CLEAR = ("DELETE FROM posting", "DELETE FROM vocab", "DELETE FROM chunk", "DELETE FROM document",
          "DELETE FROM meta WHERE key != 'revision'")


class Ledger:
    """Write the lexical file in step with the collection."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None

    def db(self) -> sqlite3.Connection:
        """Return the open file, creating it first if needed."""
        if self._db is None:
            self._db = connect(self.path, create=True)
        return self._db

    def close(self) -> None:
        """Close the file."""
        if self._db is not None:
            self._db.close()
            self._db = None

    @contextmanager
    def _transaction(self):
        db = self.db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("INSERT INTO meta VALUES ('revision', '1') "
                   "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1")
        db.execute("COMMIT")

    def _meta(self) -> dict[str, str]:
        return dict(self.db().execute("SELECT key, value FROM meta").fetchall())

    # -- bookkeeping -------------------------------------------------------------------------
    def state(self) -> dict[str, dict[str, list]]:
        """Map each source in the collection to {doc_hash: [(chunk id, chunk_count), ...]}."""
        state: dict[str, dict[str, list]] = {}
        for source, doc_hash, cid, count in self.db().execute("SELECT source, doc_hash, id, chunk_count FROM chunk"):
            state.setdefault(source, {}).setdefault(doc_hash, []).append((cid, count))
        return state

    def in_step(self, store: ChunkStore) -> bool:
        """Say whether the file describes this collection as it is (same collection, format and chunk count)."""
        col = store.collection()
        if col is None:
            return False
        meta = self._meta()
        count = self.db().execute("SELECT COUNT(*) FROM chunk").fetchone()[0]
        return meta.get("format") == FORMAT and meta.get("collection") == str(col.id) and count == store.count()

    def rebuild(self, store: ChunkStore) -> None:
        """Rebuild the file from the collection's stored chunks (an index older than the file, or a killed run)."""
        col = store.collection(create=True)
        marked = store.unfinished()
        with self._transaction() as db:
            for statement in _CLEAR:
                db.execute(statement)
            versions: dict[str, set[tuple[str, str]]] = {}
            for page in store.pages(unfinished=True):
                self._insert(db, page)
                for chunk in page:
                    doc_hash = chunk.metadata.get("doc_hash", "")
                    if doc_hash not in marked.get(chunk.source, ()):
                        versions.setdefault(chunk.source, set()).add((chunk.metadata.get("indexed_at", ""), doc_hash))
            for source, found in versions.items():
                self._index(db, source, max(found)[1])  # the newest finished version, as readers choose it
            _summarise(db, list(versions))
            db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                           [("format", FORMAT), ("collection", str(col.id))])
        log.info("lexical index rebuilt from the collection: %d chunks", store.count())

    # -- mirroring the writer ------------------------------------------------------------------
    def add(self, chunks: list[Chunk]) -> None:
        """Record chunks just written to Chroma; they are searched only once their version is published."""
        with self._transaction() as db:
            self._insert(db, chunks)

    def publish(self, source: str, doc_hash: str, drop: Iterable[str]) -> None:
        """Make a complete version searchable and take out the chunks of the old ones, in one step."""
        with self._transaction() as db:
            self._drop(db, list(drop))
            self._index(db, source, doc_hash)
            _summarise(db, [source])

    def remove(self, source: str, ids: list[str]) -> None:
        """Forget a document's chunks deleted from Chroma."""
        with self._transaction() as db:
            self._drop(db, ids)
            _summarise(db, [source])

    # -- the tables ----------------------------------------------------------------------------
    @staticmethod
    def _insert(db: sqlite3.Connection, chunks: list[Chunk]) -> None:
        # A chunk rewritten with the same id (same text) keeps its postings until its version is published.
        db.executemany(
            "INSERT INTO chunk(id, source, doc_hash, chunk_count, text, metadata) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET source = excluded.source, doc_hash = excluded.doc_hash, "
            "chunk_count = excluded.chunk_count, text = excluded.text, metadata = excluded.metadata",
            [(c.id, c.source, c.metadata.get("doc_hash", ""), c.metadata.get("chunk_count", -1), c.text,
              json.dumps(c.metadata)) for c in chunks])

    @staticmethod
    def _unindex(db: sqlite3.Connection, where: str, args: tuple) -> None:
        gone = db.execute(f"SELECT n, length FROM chunk WHERE visible = 1 AND {where}", args).fetchall()
        for i in range(0, len(gone), BATCH):
            part = [n for n, _ in gone[i : i + BATCH]]
            marks = ",".join("?" * len(part))
            counts = db.execute(f"SELECT term, COUNT(*) FROM posting WHERE n IN ({marks}) GROUP BY term", part)
            db.executemany("UPDATE vocab SET df = df - ? WHERE term = ?", [(c, t) for t, c in counts.fetchall()])
            db.execute(f"DELETE FROM posting WHERE n IN ({marks})", part)
            db.execute(f"UPDATE chunk SET visible = 0 WHERE n IN ({marks})", part)
        if gone:
            db.execute("DELETE FROM vocab WHERE df <= 0")
            _add_totals(db, -len(gone), -sum(length for _, length in gone))

    def _drop(self, db: sqlite3.Connection, ids: list[str]) -> None:
        for i in range(0, len(ids), BATCH):
            part = ids[i : i + BATCH]
            marks = ",".join("?" * len(part))
            self._unindex(db, f"id IN ({marks})", tuple(part))
            db.execute(f"DELETE FROM chunk WHERE id IN ({marks})", part)

    def _index(self, db: sqlite3.Connection, source: str, doc_hash: str) -> None:
        self._unindex(db, "source = ? AND doc_hash = ?", (source, doc_hash))
        version = db.execute("SELECT n FROM chunk WHERE source = ? AND doc_hash = ?", (source, doc_hash))
        numbers = [n for (n,) in version]
        for i in range(0, len(numbers), BATCH):  # a document of 50,000 chunks is indexed a slice at a time
            part = numbers[i : i + BATCH]
            rows = db.execute(f"SELECT n, id, text, metadata FROM chunk WHERE n IN ({','.join('?' * len(part))})",
                              part).fetchall()
            df: Counter[str] = Counter()
            postings, lengths = [], []
            for n, cid, text, metadata in rows:
                counts, length = chunk_terms(Chunk(cid, text, json.loads(metadata)))
                postings.extend((term, n, tf, length) for term, tf in counts.items())
                lengths.append((length, n))
                df.update(counts.keys())
            db.executemany("INSERT INTO posting VALUES (?, ?, ?, ?)", postings)
            db.executemany("INSERT INTO vocab VALUES (?, ?) ON CONFLICT(term) DO UPDATE SET df = df + excluded.df",
                           df.items())
            db.executemany("UPDATE chunk SET visible = 1, length = ? WHERE n = ?", lengths)
            _add_totals(db, len(rows), sum(length for length, _ in lengths))

def _add_totals(db: sqlite3.Connection, docs: int, length: int) -> None:
    for key, change in (("docs", docs), ("length", length)):
        db.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET "
                   "value = CAST(value AS INTEGER) + CAST(excluded.value AS INTEGER)", (key, str(change)))


def _summarise(db: sqlite3.Connection, sources: list[str]) -> None:
    """Refresh the one-row summaries of these documents (what `ChunkStore.sources` returns)."""
    for i in range(0, len(sources), 500):
        part = sources[i : i + 500]
        marks = ",".join("?" * len(part))
        db.execute(f"DELETE FROM document WHERE source IN ({marks})", part)
        db.execute("INSERT INTO document SELECT source, COUNT(*), MIN(metadata) FROM chunk "
                   f"WHERE visible = 1 AND source IN ({marks}) GROUP BY source", part)
