"""Measure retrieval and answers on the question set at several chunk sizes.

Run: `.venv/bin/python -m benchmarks.chunk_sizes` (about a minute). Prints one JSON line per size.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from bot.engine import AnswerEngine
from bot.evaluate import DEV_SET, evaluate, load_cases, summarise
from bot.settings import BotSettings
from ingest import open_store, sync_index

QUESTIONS = DEV_SET


def main() -> None:
    cases = load_cases(QUESTIONS)
    for size in (250, 350, 500, 800, 1200):
        folder = Path(tempfile.mkdtemp())
        settings = BotSettings(index_dir=folder, chunk_size=size, _env_file=None, answer_mode="extractive")
        store = open_store(settings)
        report = sync_index(settings, store)
        summary = summarise(evaluate(AnswerEngine(store), cases, k=3))
        print(json.dumps({"chunk_size": size, "chunks": report.total_chunks, **summary}), flush=True)
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
