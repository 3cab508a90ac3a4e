"""The lexical index: BM25 over the analysed chunks, and the ledger of what the collection holds.

One SQLite file beside the index, written only by the writer (under the writer lock, in step with each
Chroma write) and read by every answering process, which opens it in milliseconds and holds no chunk
text. Rows for every chunk written to Chroma are the ledger that tells an unchanged re-index what is
there without reading the collection; a document's chunks join the BM25 postings only when its
version is complete, in the same transaction that takes out the old version's, so readers see the
old or the new version of a document, never a part of it. Scores are BM25 as Lucene computes them
(k1 1.5, b 0.75), the same as bm25s's default.
"""

from __future__ import annotations

import json
import logging
import math
import re
import sqlite3
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import numpy as np

from ingest.loaders import FACT_FIELDS
from ingest.store import Chunk, SourceInfo
from ingest.text import FORM_MARK, GROUPS, forms, has_date, has_number, terms

log = logging.getLogger(__name__)

FORMAT = "8"  # bump when the schema or the analysis changes: the writer then rebuilds the file from the collection
K1, B = 1.5, 0.75
PREFIX = 5
DENSE_SCORES = 4_000_000  # chunk numbers below it are scored in one array (8 bytes a number, 32 MB at most)
HELD_POSTINGS = 1_000_000  # postings a reader keeps in memory (12 bytes each), least recently used out first
MAX_GLUED = 3
# Kinds of fact a chunk is indexed under, so that BM25 favours chunks stating the kind asked for
# ("predictive annotation", Prager et al., SIGIR 2000): "When ...?" prefers chunks with a date.
_MONEY = re.compile(r"[$€£]|\b(eur|euros?|usd|dollars?|budget)\b", re.IGNORECASE)
INDEXED_KINDS = {"date": has_date, "number": has_number, "money": _MONEY.search}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunk(n INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, source TEXT NOT NULL,
    doc_hash TEXT NOT NULL, chunk_count INTEGER NOT NULL, visible INTEGER NOT NULL DEFAULT 0,
    length INTEGER NOT NULL DEFAULT 0, text TEXT NOT NULL, metadata TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunk_source ON chunk(source, doc_hash);
CREATE TABLE IF NOT EXISTS posting(term TEXT NOT NULL, n INTEGER NOT NULL, tf INTEGER NOT NULL,
    length INTEGER NOT NULL, PRIMARY KEY(term, n)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS posting_n ON posting(n);
CREATE TABLE IF NOT EXISTS vocab(term TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS document(source TEXT PRIMARY KEY, chunks INTEGER NOT NULL, metadata TEXT NOT NULL);
"""


def kind_token(kind: str) -> str:
    """Return the pseudo-term that marks a chunk stating this kind of fact."""
    return f"⟨{kind}⟩"


def kind_tokens(text: str) -> list[str]:
    """Return the pseudo-terms of the kinds of fact a text states."""
    return [kind_token(kind) for kind, states in INDEXED_KINDS.items() if states(text)]


def chunk_terms(chunk: Chunk) -> tuple[Counter[str], int]:
    """Return the terms a chunk is indexed under, with their counts (its title's, section's and text's terms,
    its kinds of fact, and the forms its synonym-group words were written in), and its length in terms (the
    forms not counted: each is also its group's term)."""
    m = chunk.metadata
    text = f"{m.get('title', '') or ''} {m.get('section', '') or ''} {chunk.text}"
    counts = Counter(terms(text) + kind_tokens(chunk.text))
    length = sum(counts.values())
    counts.update(forms(text))
    return counts, length


def similar(a: str, b: str) -> bool:
    """Say whether two terms are forms of one word the stemmer missed: they differ only in the last two
    letters of the longer, and share at least five ("californian", "california"; not "roundtable", "roundup")."""
    if a[:PREFIX] != b[:PREFIX]:  # most pairs differ early; the reader asks this ~3,000 times a question
        return False
    n = max(PREFIX, len(a) - 2, len(b) - 2)
    return min(len(a), len(b)) >= n and a[:n] == b[:n]


def lexical_path(index_dir: Path, collection: str) -> Path:
    """Return where the lexical index of a collection lives."""
    return index_dir / f"lexical-{collection}.sqlite3"


def connect(path: Path, create: bool = False) -> sqlite3.Connection | None:
    """Open the lexical file (None if it does not exist and `create` is false)."""
    if not create and not path.is_file():
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=60, check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")  # readers go on reading while the writer commits
    db.execute("PRAGMA synchronous=NORMAL")
    if create:
        db.executescript(_SCHEMA)
    return db


class LexicalIndex:
    """A reader's view of the lexical index: BM25 search, document frequencies and the indexed vocabulary."""

    def __init__(self, db: sqlite3.Connection | None, lock: threading.RLock | None = None) -> None:
        self._db = db
        self._lock = lock or threading.RLock()
        stats = dict(self._rows("SELECT key, value FROM meta")) if db else {}
        self._n = int(stats.get("docs", 0))
        self._avgdl = int(stats.get("length", 0)) / self._n if self._n else 1.0
        self.revision = int(stats.get("revision", -1))
        self._df: dict[str, int] = {}
        self._variants: dict[str, tuple[str, ...]] = {}
        self._forms: dict[str, tuple[str, ...]] = {}
        self._postings: OrderedDict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = OrderedDict()
        self._held = 0  # postings in self._postings
        self._sources: list[SourceInfo] | None = None

    def _rows(self, sql: str, args: Iterable = ()) -> list[tuple]:
        if self._db is None:
            return []
        with self._lock:  # one connection per process, shared by the answering threads
            return self._db.execute(sql, tuple(args)).fetchall()

    @contextmanager
    def _snapshot(self) -> Iterator[bool]:
        """Read in one transaction, so that every statement sees the same revision of the file; yield whether
        that is still this view's revision (if not, the writer has committed since, and what this view holds
        in memory belongs to the older one)."""
        if self._db is None:
            yield True
            return
        with self._lock:
            self._db.execute("BEGIN")
            try:
                found = self._db.execute("SELECT value FROM meta WHERE key = 'revision'").fetchone()
                yield found is not None and int(found[0]) == self.revision
            finally:
                self._db.execute("COMMIT")

    def df(self, term: str) -> int:
        """Return how many chunks contain the term."""
        if term not in self._df:  # kept per revision, so it goes when a re-index replaces the view
            found = self._rows("SELECT df FROM vocab WHERE term = ?", (term,))
            self._df[term] = found[0][0] if found else 0
        return self._df[term]

    def knows(self, term: str) -> bool:
        """Say whether any indexed chunk contains the term, or a close form of it ("california" for "californian")."""
        return self.df(term) > 0 or bool(self.variants(term))

    def variants(self, term: str) -> tuple[str, ...]:
        """Return the indexed terms that are forms of an unindexed one: "california" for "californian",
        and names it is glued into ("jobsohio" for "ohio")."""
        if self.df(term) or len(term) < 4 or term.isdigit():
            return ()
        if term not in self._variants:
            self._variants[term] = self._find_variants(term)
        return self._variants[term]

    def _find_variants(self, term: str) -> tuple[str, ...]:
        head = term[:PREFIX]
        same_head = self._rows("SELECT term FROM vocab WHERE term >= ? AND term < ?", (head, head + "\U0010ffff"))
        close = {t for (t,) in same_head if similar(term, t)}
        glued = {t for (t,) in self._rows("SELECT term FROM vocab WHERE instr(term, ?) > 0 LIMIT ?",
                                          (term, MAX_GLUED + 1))}
        # A name glued into another ("ohio" in "jobsohio") is found in few words; a common
        # morpheme ("play" in "display", "playback", "replay") in many, and those are other words.
        return tuple(sorted(close | (glued if len(glued) <= MAX_GLUED else set())))

    def forms(self, term: str) -> tuple[str, ...]:
        """Return the indexed forms of a synonym group's term ("particip~attende", "particip~peopl", ...); none
        for other terms."""
        if term not in GROUPS:
            return ()
        if term not in self._forms:
            self._forms[term] = tuple(t for (t,) in self._rows(
                "SELECT term FROM vocab WHERE term > ? AND term < ? AND df > 0",
                (term + FORM_MARK, term + FORM_MARK + "\U0010ffff")))
        return self._forms[term]

    def rare_idf(self) -> float:
        """Return the IDF of a term found in a single chunk."""
        return math.log(1 + (self._n - 0.5) / 1.5)

    def idf(self, term: str) -> float:
        """Return the term's inverse document frequency; unseen terms weigh the most."""
        df = self.df(term)
        return math.log(1 + (self._n - df + 0.5) / (df + 0.5))

    def search(self, query_terms: list[str], k: int, written: Iterable[str] = ()) -> list[tuple[Chunk, float]]:
        """Return up to k chunks that share terms with the query, best first. `written` are the forms the query's
        synonym-group words were written in (`ingest.text.forms`): another form of a group weighs at most as
        much as the most specific one written."""
        known = Counter(v for t in query_terms for v in ((t,) if self.df(t) else self.variants(t)))
        if not known or not self._n:
            return []
        caps: dict[str, float] = {}
        for f in written:
            group = f.partition(FORM_MARK)[0]
            caps[group] = max(caps.get(group, 0.0), self.idf(f) if self.df(f) else self.rare_idf())
        # The postings and the chunks are read at one revision: a commit between them would leave some of
        # an old version's chunks without their rows, a part of a document. Postings kept in memory are
        # this view's revision's, used only while the file is still at it.
        with self._snapshot() as current:
            # Each occurrence of a term in the query counts, as in bm25s.
            scored = self._top(known, k, caps, keep=current)
            rows = {n: (cid, text, meta) for n, cid, text, meta in self._rows(
                f"SELECT n, id, text, metadata FROM chunk WHERE n IN ({','.join('?' * len(scored))})",
                [n for n, _ in scored])}
        return [(Chunk(rows[n][0], rows[n][1], json.loads(rows[n][2])), float(s)) for n, s in scored
                if n in rows and s > 0]

    def _top(self, known: Counter[str], k: int, caps: dict[str, float], keep: bool = True) -> list[tuple[int, float]]:
        """Return the k best (chunk number, BM25 score), best first, ties by chunk number; `caps` are the most
        a form of each synonym group may weigh."""
        parts = [self._scored(term, count, keep, caps.get(term, math.inf)) for term, count in known.items()]
        numbers = np.concatenate([n for n, _ in parts])
        values = np.concatenate([v for _, v in parts])  # for one form, the operations of a SQL SUM: the same scores
        if numbers.max() < DENSE_SCORES:  # one slot per chunk number: no sort needed
            scores = np.bincount(numbers, weights=values)
            chunks = np.flatnonzero(scores)
            scores = scores[chunks]
        else:
            chunks, rows = np.unique(numbers, return_inverse=True)
            scores = np.bincount(rows, weights=values, minlength=len(chunks))
        # Every chunk tied with the k-th best is kept, then the lowest numbers win, as ORDER BY s DESC, n did.
        best = np.flatnonzero(scores >= -np.partition(-scores, k - 1)[k - 1]) if len(scores) > k else \
            np.arange(len(scores))
        best = best[np.lexsort((chunks[best], -scores[best]))][:k]
        return [(int(chunks[i]), float(scores[i])) for i in best]

    def _scored(self, term: str, count: int, keep: bool, cap: float = math.inf) -> tuple[np.ndarray, np.ndarray]:
        """Return the chunks holding a query term and the term's BM25 score in each. A synonym group's term
        scores, in each chunk, as the best of the forms the chunk holds, each weighed by its own frequency:
        "conference" and "panel" are common in other text where "roundtable" is not, so they must not weigh
        as much where they stand for it."""
        forms = self.forms(term) or (term,)
        parts = [(n, min(self.idf(f), cap) * count * tf / (tf + K1 * (1 - B + B * length / self._avgdl)))
                 for f in forms for n, tf, length in (self._postings_of(f, keep),)]
        if len(parts) == 1:
            return parts[0]
        chunks, rows = np.unique(np.concatenate([n for n, _ in parts]), return_inverse=True)
        best = np.zeros(len(chunks))
        np.maximum.at(best, rows, np.concatenate([v for _, v in parts]))
        return chunks, best

    def _postings_of(self, term: str, keep: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return a term's postings (chunk numbers, term frequencies, chunk lengths), kept for this revision:
        a common term (a date or number pseudo-term, "support") has tens of thousands at 100k chunks."""
        if keep and term in self._postings:
            self._postings.move_to_end(term)
            return self._postings[term]
        found = np.array(self._rows("SELECT n, tf, length FROM posting WHERE term = ?", (term,)),
                         dtype=np.int32).reshape(-1, 3)
        # Three compact columns, not views that would keep the whole table; _top's arithmetic turns the
        # integers into the same float64 values as before, so the scores stay the same bit for bit.
        postings = (found[:, 0].copy(), found[:, 1].copy(), found[:, 2].copy())
        if not keep:
            return postings
        self._postings[term] = postings
        self._held += len(found)
        while self._held > HELD_POSTINGS and len(self._postings) > 1:
            self._held -= len(self._postings.popitem(last=False)[1][0])
        return postings

    def chunks_with(self, term_sets: list[frozenset[str]]) -> list[Chunk] | None:
        """Return the searchable chunks that hold every term of one of the sets, in reading order by
        document (None when a set is empty: a name of stopwords only could be anywhere)."""
        if not all(term_sets):
            return None
        with self._snapshot():  # one revision's postings and chunks
            numbers: set[int] = set()
            for wanted in set(term_sets):
                numbers |= {n for (n,) in self._rows(
                    f"SELECT n FROM posting WHERE term IN ({','.join('?' * len(wanted))}) "
                    "GROUP BY n HAVING COUNT(*) = ?", [*wanted, len(wanted)])}
            ordered, found = sorted(numbers), []
            for i in range(0, len(ordered), 500):
                part = ordered[i : i + 500]
                found += [Chunk(cid, text, json.loads(meta)) for cid, text, meta in self._rows(
                    f"SELECT id, text, metadata FROM chunk WHERE n IN ({','.join('?' * len(part))})", part)]
            return sorted(found, key=lambda c: (c.source, c.metadata.get("start_index", 0)))

    def of_source(self, source: str) -> list[Chunk]:
        """Return the searchable chunks of one document (its current version), in reading order."""
        found = [Chunk(cid, text, json.loads(meta)) for cid, text, meta in self._rows(
            "SELECT id, text, metadata FROM chunk WHERE source = ? AND visible = 1", (source,))]
        return sorted(found, key=lambda c: c.metadata.get("start_index", 0))

    def sources(self) -> list[SourceInfo]:
        """Summarise the documents whose current version is searchable, one entry per source."""
        if self._sources is None:  # kept per revision: the engine and the structured answers ask often
            self._sources = [source_info(source, chunks, json.loads(metadata)) for source, chunks, metadata
                             in self._rows("SELECT source, chunks, metadata FROM document ORDER BY source")]
        return self._sources


def source_info(source: str, chunks: int, m: dict) -> SourceInfo:
    """Return what the index holds for one document, from one of its chunks' metadata."""
    return SourceInfo(source, m.get("title", ""), m.get("url") or None, chunks, m.get("indexed_at", ""),
                      m.get("published"), {k: m[k] for k in FACT_FIELDS if m.get(k)})


class LexicalReader:
    """Open the lexical file once and hand out the view of its current revision."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._lock = threading.RLock()  # a view's reads of one question hold it across statements
        self._view = LexicalIndex(None)
        self._warned = False

    def current(self) -> LexicalIndex:
        """Return the view of the index as it is now (the same object until the writer commits again)."""
        if self._db is None:
            self._db = connect(self.path)
            if self._db is None:
                return self._unusable("there is none yet")
        with self._lock:
            meta = dict(self._db.execute("SELECT key, value FROM meta WHERE key IN ('revision', 'format')"))
        if meta.get("format") != FORMAT:
            return self._unusable(f"it was written by another version (format {meta.get('format')}, not {FORMAT})")
        if int(meta.get("revision", -1)) != self._view.revision:
            self._view = LexicalIndex(self._db, self._lock)  # built in milliseconds: nothing is loaded
        return self._view

    def _unusable(self, why: str) -> LexicalIndex:
        if not self._warned:
            self._warned = True
            log.warning("the lexical index at %s cannot be used: %s; words are matched once `python -m ingest` "
                        "(or /reindex) has written it", self.path, why)
        return LexicalIndex(None)

    def close(self) -> None:
        """Close the file."""
        if self._db is not None:
            with closing(self._db):
                self._db = None
