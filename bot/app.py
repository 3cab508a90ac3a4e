"""Composition root: build the engine and its parts from settings, once, in the entry points."""

from __future__ import annotations

import logging

from bot.agenda import load_agenda
from bot.engine import AnswerEngine
from bot.settings import BotSettings
from ingest import IndexBusy, IndexReport, open_store, sync_index

log = logging.getLogger(__name__)


def build_engine(settings: BotSettings) -> AnswerEngine:
    """Open the index and return an engine in the configured answer mode."""
    store = open_store(settings)
    llm = None
    if settings.llm_enabled():  # (answer mode llm without a model is refused by the settings)
        from bot.llm import LLMAnswerer

        llm = LLMAnswerer.from_settings(settings)
    agenda = load_agenda(settings.agenda_file) if settings.agenda_file and settings.agenda_file.is_file() else None
    warm = getattr(store.embeddings, "warm", None)
    if warm is not None:  # the local model starts here, not at the first question
        warm()
    return AnswerEngine(store, llm=llm, threshold=settings.answer_threshold,
                        max_question_chars=settings.max_question_chars, agenda=agenda)


def close_engine(engine: AnswerEngine) -> None:
    """Release what the engine reads from: the index's files, or its server connection."""
    engine.store.close()


def index_if_needed(engine: AnswerEngine, settings: BotSettings) -> IndexReport | None:
    """Index the bundled documents when the index is empty, or give an index made by an earlier version its
    lexical index (from the stored chunks, no re-embedding); return the report, or None if nothing was needed."""
    if engine.store.count() > 0 and engine.store.lexical().revision >= 0:
        return None
    try:
        return sync_index(settings, engine.store)
    except IndexBusy as busy:  # another process (a second bot, the ingest job) is writing it: answer meanwhile
        log.warning("not indexing at start: %s Answering from the index as it stands.", busy)
        return None
