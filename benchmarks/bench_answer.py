"""Answer latency of the extractive mode, with the bundled corpus and with ~2,000 distractor chunks.

Run: `.venv/bin/python -m benchmarks.bench_answer [--chunks 2000]` (the distractors need
`apt-get install python3.11-doc`). Prints one JSON object; BENCHMARKS.md records the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.bench_ingest import DOC_ROOT, pick_documents
from bot.app import build_engine
from bot.engine import AnswerEngine, Conversation
from bot.evaluate import DEV_SET, TEST_SET, evaluate, load_cases, summarise
from bot.settings import BotSettings
from ingest import open_store, sync_index

WORK = Path(__file__).resolve().parent / ".work" / "answer"
SETS = [DEV_SET, TEST_SET]
ASK = "How many people attended the roundtable?"  # one question every benchmark asks: the announcement answers it


def percentile(values: list[float], p: float) -> float:
    """Return the p-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def latency(engine: AnswerEngine, rounds: int) -> dict:
    """Ask every question of the sets `rounds` times; return p50/p95/max in ms."""
    conversations = [turns for path in SETS for turns in load_cases(path)]
    engine.answer(ASK)  # warm-up: the first question builds the BM25 index and the sentence caches
    times, lengths = [], []
    for _ in range(rounds):
        for turns in conversations:
            conversation = Conversation()
            for case in turns:
                started = time.perf_counter()
                answer = engine.answer(case.question, conversation)
                times.append((time.perf_counter() - started) * 1000)
                if answer.grounded:
                    lengths.append(len(answer.answer))
    return {"questions": len(times), "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(percentile(times, 95), 1), "max_ms": round(max(times), 1),
            "answer_chars_p50": statistics.median(lengths), "answer_chars_max": max(lengths),
            "answers_over_600": sum(n > 600 for n in lengths)}


def accuracy(engine: AnswerEngine) -> dict:
    """Return the question-set figures (both sets) with this index."""
    out = {}
    for path in SETS:
        summary = summarise(evaluate(engine, load_cases(path)))
        out[f"{path.stem}_set"] = {k: summary[k] for k in ("answer_accuracy", "refusal_accuracy", "citation_validity")}
    return out


def one_ask(index_dir: Path) -> dict:
    """Time one `python -m bot ask` from the shell, and where its time goes."""
    env = {**os.environ, "MISSIONBOT_INDEX_DIR": str(index_dir), "MISSIONBOT_ANSWER_MODE": "extractive"}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "bot", "ask", ASK, "--json"], env=env, check=True, capture_output=True)
    total = time.perf_counter() - started
    probe = (
        "import time, json; t0 = time.perf_counter()\n"
        "from bot.app import build_engine; from bot.settings import BotSettings\n"
        "t1 = time.perf_counter(); e = build_engine(BotSettings()); e.store.embeddings.embed_query('warm')\n"
        f"t2 = time.perf_counter(); e.answer({ASK!r}); t3 = time.perf_counter()\n"
        "print(json.dumps({'imports_s': t1 - t0, 'open_index_and_load_model_s': t2 - t1, 'first_answer_s': t3 - t2}))"
    )
    parts = json.loads(subprocess.run([sys.executable, "-c", probe], env=env, check=True, capture_output=True,
                                      text=True).stdout)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    interpreter = time.perf_counter() - started
    return {"wall_s": round(total, 2), "interpreter_s": round(interpreter, 2),
            **{k: round(v, 2) for k, v in parts.items()}}


def build(docs: Path, index: Path) -> AnswerEngine:
    settings = BotSettings(docs_dir=docs, index_dir=index, _env_file=None, answer_mode="extractive")
    report = sync_index(settings, open_store(settings))
    if report.failed:
        sys.exit(f"indexing failed: {report.failures}")
    return build_engine(settings)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=2000, help="distractor chunks from python3.11-doc")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    shutil.rmtree(WORK, ignore_errors=True)
    bundled_docs = BotSettings(_env_file=None).docs_dir
    engine = build(bundled_docs, WORK / "bundled-index")
    result = {"bundled": {"chunks": engine.store.count(), **latency(engine, args.rounds), **accuracy(engine)},
              "one_ask": one_ask(WORK / "bundled-index")}
    if DOC_ROOT.is_dir() and args.chunks:
        docs = WORK / "docs"
        shutil.copytree(bundled_docs, docs)
        probe = BotSettings(_env_file=None)
        for path in pick_documents(args.chunks, probe):
            shutil.copy(path, docs / path.name)
        engine = build(docs, WORK / "distractor-index")
        result["with_distractors"] = {"chunks": engine.store.count(), **latency(engine, args.rounds),
                                      **accuracy(engine)}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
