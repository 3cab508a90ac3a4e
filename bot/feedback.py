"""👍/👎 votes on answers, in SQLite: the question, the answer and its citations, and an anonymised voter."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import secrets
import sqlite3
import threading
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from bot.answer import Answer
from ingest import plural

log = logging.getLogger(__name__)

BUSY_TIMEOUT_S = 2.0  # a vote or a record waits this long for a locked database, then gives up

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS answers (
    id TEXT PRIMARY KEY, question TEXT NOT NULL, answer TEXT NOT NULL, citations TEXT NOT NULL,
    mode TEXT NOT NULL, grounded INTEGER NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS votes (
    answer_id TEXT NOT NULL REFERENCES answers(id), voter TEXT NOT NULL, vote INTEGER NOT NULL,
    updated_at TEXT NOT NULL, PRIMARY KEY (answer_id, voter));
"""


@dataclass
class FeedbackSummary:
    """What `/feedback` shows."""

    up: int
    down: int
    answers: int
    latest_down: list[tuple[str, str, str]]  # (question, answer, when)


class FeedbackStore:
    """One vote per user per answer, changeable; voters are stored as salted hashes, never as ids."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Several bot processes may share the file (docker-compose.shards.yml). A write transaction starts
        # IMMEDIATE, so a second writer waits out the busy timeout instead of failing at once when two
        # transactions that began by reading both want to write; WAL lets readers go on while one writes.
        self._db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, check_same_thread=False,
                                   isolation_level="IMMEDIATE")
        self._lock = threading.Lock()
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            with self._lock, self._db:
                self._db.executescript(SCHEMA)
                self._db.execute("INSERT OR IGNORE INTO meta VALUES ('salt', ?)", (secrets.token_hex(16),))
                self._salt = self._db.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()[0]
        except BaseException:
            self._db.close()
            raise

    def record(self, answer: Answer) -> str:
        """Keep an answer that can be voted on; return its id."""
        answer_id = uuid.uuid4().hex[:16]
        with self._lock, self._db:
            self._db.execute("INSERT INTO answers VALUES (?, ?, ?, ?, ?, ?, ?)", (
                answer_id, answer.question, answer.answer, json.dumps([asdict(c) for c in answer.citations]),
                answer.mode, int(answer.grounded), _now()))
        return answer_id

    def vote(self, answer_id: str, user_id: int, vote: int) -> tuple[int, int] | None:
        """Set a user's vote (+1 or -1) on an answer; return the answer's (up, down), or None if unknown."""
        voter = hashlib.sha256(f"{self._salt}:{user_id}".encode()).hexdigest()
        with self._lock, self._db:
            if self._db.execute("SELECT 1 FROM answers WHERE id = ?", (answer_id,)).fetchone() is None:
                return None
            self._db.execute("INSERT INTO votes VALUES (?, ?, ?, ?) ON CONFLICT (answer_id, voter) DO UPDATE "
                             "SET vote = excluded.vote, updated_at = excluded.updated_at",
                             (answer_id, voter, 1 if vote > 0 else -1, _now()))
            up, down = self._db.execute("SELECT COALESCE(SUM(vote = 1), 0), COALESCE(SUM(vote = -1), 0) "
                                        "FROM votes WHERE answer_id = ?", (answer_id,)).fetchone()
        return up, down

    def summary(self, latest: int = 5) -> FeedbackSummary:
        """Count the votes and list the latest answers voted down."""
        with self._lock:
            up, down = self._db.execute("SELECT COALESCE(SUM(vote = 1), 0), COALESCE(SUM(vote = -1), 0) "
                                        "FROM votes").fetchone()
            answers = self._db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
            rows = self._db.execute(
                "SELECT a.question, a.answer, MAX(v.updated_at) AS at FROM votes v "
                "JOIN answers a ON a.id = v.answer_id WHERE v.vote = -1 "
                "GROUP BY a.id ORDER BY at DESC LIMIT ?", (latest,)).fetchall()
        return FeedbackSummary(up, down, answers, [tuple(r) for r in rows])

    def close(self) -> None:
        """Close the database."""
        self._db.close()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def open_feedback(path: Path) -> FeedbackStore | None:
    """Open the feedback database; one that is not a database is moved aside and started anew, and one
    that cannot be opened at all turns feedback off (None). Either way one log line says what happened."""
    try:
        return FeedbackStore(path)
    except sqlite3.OperationalError as exc:  # cannot open, or locked: nothing to move aside
        log.error("feedback is off: the feedback database %s cannot be opened (%s); answers are sent without "
                  "vote buttons", path, exc)
        return None
    except sqlite3.DatabaseError as exc:  # "file is not a database", "malformed"
        aside = path.with_name(f"{path.name}.corrupt-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}")
        try:
            path.rename(aside)
            store = FeedbackStore(path)
        except (OSError, sqlite3.Error) as again:
            log.error("feedback is off: the feedback database %s is unreadable (%s) and could not be replaced "
                      "(%s); answers are sent without vote buttons", path, exc, again)
            return None
        log.error("the feedback database %s was unreadable (%s): moved it to %s and started a new one",
                  path, exc, aside.name)
        return store


class FeedbackCopyError(ValueError):
    """A backup or restore of the feedback database that cannot be done; nothing was changed."""


def copy_feedback(source: Path, target: Path, overwrite: bool = False) -> str:
    """Copy a feedback database into `target` with SQLite's online backup, which stays consistent while bots
    write to the source; return what was copied ("3 answers, 2 votes")."""
    if not source.is_file():
        raise FeedbackCopyError(f"{source} does not exist; nothing was copied")
    if target.exists() and not overwrite:
        raise FeedbackCopyError(f"{target} already exists; choose a new file name (nothing was copied)")
    with contextlib.closing(sqlite3.connect(source, timeout=BUSY_TIMEOUT_S)) as original:
        try:
            answers, votes = (original.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                              for table in ("answers", "votes"))
        except sqlite3.DatabaseError as exc:  # not SQLite, or SQLite without our tables
            raise FeedbackCopyError(f"{source} is not a feedback database ({exc}); nothing was copied") from None
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.closing(sqlite3.connect(target, timeout=BUSY_TIMEOUT_S)) as copy:
                original.backup(copy)
        except (OSError, sqlite3.Error) as exc:
            raise FeedbackCopyError(f"cannot write {target} ({exc})") from None
    return f"{plural(answers, 'answer')}, {plural(votes, 'vote')}"
