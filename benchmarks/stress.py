"""`make stress`: a few minutes of load and faults, reported for BENCHMARKS.md ("Reliability").

1. Load: 200 /ask questions from 50 users within one minute, through the Discord end-to-end harness
   with the default cooldown (3 questions per 30 s per user): every question must be answered or told
   to wait, none lost, none left unacknowledged.
2. kill -9 of `python -m ingest` at 10 random moments (a document changes between some of them):
   the next run must converge to the same chunk ids and count as a clean run.

Run: `.venv/bin/python -m benchmarks.stress [--questions 200 --users 50 --seconds 60 --kills 10]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_answer import percentile
from benchmarks.bench_discord import questions
from bot.testing.discord_server import member
from bot.testing.harness import running_bot
from bot.testing.ingest_runs import index_ids, make_corpus, run_ingest


async def load(args: argparse.Namespace) -> dict:
    rng = random.Random(1)
    todo = questions(args.questions)
    with tempfile.TemporaryDirectory() as tmp:
        async with running_bot(Path(tmp), cooldown_questions=3, cooldown_seconds=30) as harness:
            tokens: list[tuple[str, float]] = []
            started = time.monotonic()
            for n, question in enumerate(todo):
                await asyncio.sleep(max(0.0, started + n * args.seconds / len(todo) - time.monotonic()))
                who = member(2000 + rng.randrange(args.users), "user")
                tokens.append((await harness.command("ask", [{"name": "question", "type": 3, "value": question}],
                                                     who=who), time.monotonic()))
            answered, waited, lost, unacknowledged, times = 0, 0, 0, 0, []
            for token, sent in tokens:
                try:
                    callback = await harness.reply_to(token, timeout=60)
                except TimeoutError:
                    unacknowledged += 1
                    continue
                if callback.body["type"] == 4 and "asking quickly" in callback.body["data"]["content"]:
                    waited += 1
                    continue
                try:
                    edit = await harness.reply_to(token, "@original", timeout=60)
                    answered += 1
                    times.append(edit.at - sent)
                except TimeoutError:
                    lost += 1
            late = sum(1 for i in harness.server.interactions.values() if (i.ack_delay or 0) > 3)
            rejected = sum(1 for c in harness.server.calls if c.status >= 400)
    return {"questions": len(tokens), "users": args.users, "seconds": args.seconds, "answered": answered,
            "told_to_wait": waited, "lost": lost, "unacknowledged": unacknowledged, "acknowledged_late": late,
            "rejected_by_discord": rejected, "answer_p50_s": round(statistics.median(times), 2),
            "answer_p95_s": round(percentile(times, 95), 2)}


def kills(args: argparse.Namespace) -> dict:
    rng = random.Random(9)
    with tempfile.TemporaryDirectory() as tmp:
        docs, killed, clean = Path(tmp) / "docs", Path(tmp) / "killed", Path(tmp) / "clean"
        make_corpus(docs, 40)
        started = time.monotonic()
        assert run_ingest("--docs", str(docs), "--index-dir", str(Path(tmp) / "timing")).returncode == 0
        full = time.monotonic() - started
        moments = []
        for n in range(args.kills):
            if n % 3 == 1:  # a document changes between kills: a half-replaced version must be repaired
                page = docs / f"report-{n:02d}.md"
                page.write_text(page.read_text() + f"\nChange {n}.\n")
            proc = subprocess.Popen([sys.executable, "-m", "ingest", "--docs", str(docs), "--index-dir", str(killed)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    env={**os.environ, "MISSIONBOT_AGENDA_FILE": "/nonexistent"})
            moment = rng.uniform(0.3, full)
            time.sleep(moment)
            proc.kill()
            proc.wait()
            moments.append(round(moment, 2))
        assert run_ingest("--docs", str(docs), "--index-dir", str(clean)).returncode == 0
        final = run_ingest("--docs", str(docs), "--index-dir", str(killed), "--json")
        expected, got = index_ids(clean, docs), index_ids(killed, docs)
    return {"kills": len(moments), "kill_after_s": moments, "clean_run_s": round(full, 2),
            "recovery_exit_code": final.returncode, "same_chunk_ids": got == expected,
            "chunks": len(got), "duplicates": len(got) - len(set(got))}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--kills", type=int, default=10)
    args = parser.parse_args()
    print(json.dumps({"load": asyncio.run(load(args)), "kill_9": kills(args)}, indent=2))


if __name__ == "__main__":
    main()
