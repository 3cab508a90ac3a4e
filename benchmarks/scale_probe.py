"""One bot process's view of a large index, for `benchmarks.bench_scale` (run as its own process).

Prints one JSON object: start-up, first question, warm p50/p95, right answers on the dev set, the first
question after `python -m ingest` re-indexed one new document and the slowest question asked while it ran,
and the process's RSS.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()  # before the heavy imports: start-up is what an operator waits for

import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from benchmarks.bench_answer import ASK, percentile  # noqa: E402
from bot.app import build_engine  # noqa: E402
from bot.evaluate import DEV_SET, evaluate, load_cases  # noqa: E402
from bot.settings import BotSettings  # noqa: E402
from ingest import load_settings  # noqa: E402

AFTER = "Who wrote the scale probe note?"
NOTE = "The scale probe note was written by Ada Lovelace in London."


def dev_questions() -> list[str]:
    """Return the dev set's single questions, in file order."""
    return [turns[0].question for turns in load_cases(DEV_SET) if len(turns) == 1]


def ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def rss_mb() -> dict:
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return {"rss_mb": round(int(status["VmRSS"].split()[0]) / 1024),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def during_reindex(engine, settings: BotSettings) -> dict:
    """Re-index one new document in another process while asking; then time the first question after it."""
    note = settings.docs_dir / f"scale-probe-{time.time_ns()}.txt"
    note.write_text(NOTE, encoding="utf-8")
    revision = engine.store.revision()
    job = subprocess.Popen([sys.executable, "-m", "ingest", "--json"], env=os.environ, stdout=subprocess.DEVNULL)
    asked = []
    questions = dev_questions()
    while job.poll() is None:
        started = time.perf_counter()
        engine.answer(questions[len(asked) % len(questions)])
        asked.append(ms(started))
    assert job.returncode == 0 and engine.store.revision() != revision
    started = time.perf_counter()
    answer = engine.answer(AFTER)
    return {"first_after_reindex_ms": ms(started), "found_new_document": "Lovelace" in answer.answer,
            "asked_during_reindex": len(asked), "slowest_during_reindex_ms": max(asked, default=0.0)}


def main() -> None:
    settings = load_settings(BotSettings)
    engine = build_engine(settings)
    started = time.perf_counter()
    engine.answer(ASK)
    row = {"first_question_ms": ms(started), "startup_and_first_s": round(time.perf_counter() - STARTED, 2)}
    for label in ("new", "repeated"):  # each question asked for the first time, then again (caches warm)
        times = []
        for question in dev_questions()[:50]:
            started = time.perf_counter()
            engine.answer(question)
            times.append((time.perf_counter() - started) * 1000)
        row |= {f"{label}_p50_ms": round(percentile(times, 50), 1), f"{label}_p95_ms": round(percentile(times, 95), 1)}
    row["after_questions"] = rss_mb()
    results = evaluate(engine, load_cases(DEV_SET))
    row["after_dev_set"] = rss_mb()
    row |= {"dev_right": sum(r.refusal_ok if r.case.refuse else r.correct for r in results),
            "dev_questions": len(results),
            "dev_wrong": [r.case.id for r in results if not (r.refusal_ok if r.case.refuse else r.correct)]}
    row |= during_reindex(engine, settings)
    row |= rss_mb()
    print(json.dumps(row))


if __name__ == "__main__":
    main()
