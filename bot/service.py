"""What the Discord bot and the terminal ask of missionbot: answers with conversations, documents,
re-indexing and status. Blocking work (the model, Chroma) runs in worker threads."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import re
import tempfile
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from bot.answer import Answer
from bot.engine import AnswerEngine, Conversation, clean_question
from bot.inflight import InFlight
from bot.metrics import Metrics
from bot.settings import BotSettings
from ingest import (
    SUPPORTED_FORMATS,
    IndexBusy,
    IndexReport,
    IndexUnavailable,
    LoadError,
    SourceInfo,
    describe_formats,
    is_document_name,
    list_documents,
    load_file,
    summary,
    sync_index,
)

log = logging.getLogger(__name__)

MAX_CONVERSATIONS = 1000


class UploadRejected(ValueError):
    """An uploaded document cannot be added; the message says why."""


@dataclass
class Status:
    """What `/status` shows."""

    documents: int
    chunks: int
    embedding_model: str
    answer_mode: str
    last_reindex: dt.datetime | None
    last_report: IndexReport | None
    reindexing: bool


def safe_filename(name: str) -> str:
    """Return a file name with no directories, no leading dot and only plain characters, or raise."""
    base = PurePosixPath(name.replace("\\", "/")).name
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip("-.")
    stem, suffix = os.path.splitext(base)
    if not stem or suffix.lower() not in SUPPORTED_FORMATS:
        raise UploadRejected(f"send a {describe_formats()} file")
    name = f"{stem[:80]}{suffix.lower()}"
    if not is_document_name(name):
        raise UploadRejected(f"{name} is the name of a metadata file, not a document; send the document itself")
    return name


class Assistant:
    """Answers, per-thread conversations, and the admin operations on the documents."""

    def __init__(self, settings: BotSettings, engine: AnswerEngine, metrics: Metrics | None = None) -> None:
        self.settings = settings
        self.engine = engine
        self.metrics = metrics or Metrics()
        self.index_down = False
        self._conversations: OrderedDict[str, Conversation] = OrderedDict()
        self._reindex_job: asyncio.Task[IndexReport] | None = None
        self.work = InFlight()  # what a shutdown waits for
        self.last_reindex: dt.datetime | None = None
        self.last_report: IndexReport | None = None

    def check_question(self, question: str) -> None:
        """Raise QuestionRejected now if a question cannot be asked as it is (before a face acknowledges it)."""
        clean_question(question, self.settings.max_question_chars)

    async def ask(self, question: str, conversation_key: str | None = None) -> Answer:
        """Answer a question; with a key (a thread), earlier turns of that conversation are used."""
        self.work.admit()
        conversation = self._conversation(conversation_key) if conversation_key else None
        with self.metrics.latency.time():
            try:
                answer = await self.work.finish(asyncio.to_thread(self.engine.answer, question, conversation))
            except IndexUnavailable as exc:
                self._index_state(exc)
                self.metrics.errors.labels("index_unavailable").inc()
                raise
            except Exception as exc:
                self.metrics.errors.labels(type(exc).__name__).inc()
                raise
        self._index_state(None)
        self.metrics.questions.inc()
        self.metrics.refusals.inc(0 if answer.grounded else 1)
        self.metrics.fallbacks.inc(1 if answer.note else 0)
        return answer

    def _index_state(self, problem: IndexUnavailable | None) -> None:
        # One log line when the knowledge base goes away and one when it is back, not one per question.
        if problem is not None and not self.index_down:
            log.warning("knowledge base unavailable, answering 'try again shortly' until it is back: %s", problem)
        elif problem is None and self.index_down:
            log.warning("knowledge base reachable again")
        self.index_down = problem is not None

    def _conversation(self, key: str) -> Conversation:
        conversation = self._conversations.pop(key, None) or Conversation(max_turns=self.settings.history_turns)
        self._conversations[key] = conversation
        while len(self._conversations) > MAX_CONVERSATIONS:
            self._conversations.popitem(last=False)
        return conversation

    async def index_reachable(self, timeout: float) -> bool:
        """Say whether the index answers within `timeout` seconds (for health checks)."""
        try:
            await asyncio.wait_for(asyncio.to_thread(self.engine.store.count), timeout)
        except Exception:  # noqa: BLE001 - any failure means: not reachable
            return False
        return True

    @property
    def closing(self) -> bool:
        """Say whether the bot is stopping (and takes no new work)."""
        return self.work.closing

    async def drain(self, grace: float) -> int:
        """Stop taking work; finish what is in flight within `grace` seconds, or say it could not be."""
        return await self.work.drain(grace)

    @property
    def reindexing(self) -> bool:
        return self._reindex_job is not None and not self._reindex_job.done()

    def start_reindex(self, full: bool = False) -> asyncio.Task[IndexReport]:
        """Start bringing the index in step with the documents folder; raise IndexBusy now if a run is going."""
        self.work.admit()
        if self.reindexing:
            raise IndexBusy()
        self._reindex_job = asyncio.create_task(self._reindex(full))
        return self._reindex_job

    async def finish(self, job: asyncio.Task[IndexReport]) -> IndexReport:
        """Wait for a started re-index, unless the bot stops first (ShuttingDown; the run goes on)."""
        return await self.work.finish(asyncio.shield(job))

    async def reindex(self, full: bool = False) -> IndexReport:
        """Bring the index in step with the documents folder; one run at a time (IndexBusy otherwise)."""
        return await self.finish(self.start_reindex(full))

    async def _reindex(self, full: bool) -> IndexReport:
        self.metrics.reindex_runs.inc()
        try:
            report = await asyncio.to_thread(sync_index, self.settings, self.engine.store, full)
        except Exception:
            self.metrics.reindex_failures.inc()
            raise
        if report.failed:
            self.metrics.reindex_failures.inc()
        self.last_reindex, self.last_report = dt.datetime.now(dt.UTC), report
        log.info("re-index: %s", summary(report))
        return report

    async def add_document(self, filename: str, data: bytes) -> tuple[str, IndexReport]:
        """Check an uploaded document, store it under a safe name in the documents folder and index it."""
        self.work.admit()
        name = safe_filename(filename)
        limit = self.settings.max_upload_mb
        if len(data) > limit * 2**20:
            raise UploadRejected(f"the file is {len(data) / 2**20:.1f} MB; the limit is {limit:g} MB")
        try:  # read it before it lands in the folder: a corrupt file must not replace a good one
            document = await asyncio.to_thread(load_file, Path(name), data)
        except LoadError as exc:
            raise UploadRejected(f"{name} could not be read: {exc}") from exc
        if not document.text.strip():
            raise UploadRejected(f"{name} has no text to index (a scanned PDF needs OCR first)")
        await asyncio.to_thread(_write_atomically, self.settings.docs_dir, name, data)
        return name, await self.reindex()

    async def remove_document(self, source: str) -> IndexReport:
        """Delete a document (and its metadata sidecar) from the documents folder and from the index."""
        self.work.admit()
        await asyncio.to_thread(self._delete_document, source)
        return await self.reindex()

    def _delete_document(self, source: str) -> None:
        found = list_documents(self.settings.docs_dir).find(source)
        if found is None:
            raise UploadRejected(f"there is no document {source!r} in the documents folder")
        found.path.unlink()
        found.sidecar.unlink(missing_ok=True)  # a later file of that name must not inherit it

    async def documents(self) -> list[str]:
        """Return the documents folder's files that can be indexed, relative to it."""
        return await asyncio.to_thread(self._document_names)

    def _document_names(self) -> list[str]:
        return [f.source for f in list_documents(self.settings.docs_dir).files if f.supported]

    async def sources(self) -> list[SourceInfo]:
        """Return what the index holds, one entry per document."""
        return await asyncio.to_thread(self.engine.store.sources)

    async def status(self) -> Status:
        """Return the figures of `/status`."""
        sources = await self.sources()
        return Status(len(sources), sum(s.chunks for s in sources), self.engine.store.model_name,
                      self.engine.mode, self.last_reindex, self.last_report, self.reindexing)


def _write_atomically(folder: Path, name: str, data: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=".upload-", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temp, folder / name)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
