"""`make stress`: a few minutes of load and faults, reported for BENCHMARKS.md ("Reliability").

1. Load: 200 /ask questions from 50 users within one minute, through the Discord end-to-end harness
   with the default cooldown (3 questions per 30 s per user): every question must be answered or told
   to wait, none lost, none left unacknowledged.
2. kill -9 of `python -m ingest` 10 times during its writes (after 1 to 3 written windows of 1,024
   chunks, plus a random delay; every document changes before every kill): the next run must
   converge to the same chunk ids and count as a clean run.

Run: `.venv/bin/python -m benchmarks.stress [--questions 200 --users 50 --seconds 60 --kills 10]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.bench_answer import percentile
from benchmarks.bench_discord import questions
from bot.testing.discord_server import member
from bot.testing.harness import running_bot
from bot.testing.ingest_runs import (
    WINDOW_CHUNK_SIZE,
    expected_ids,
    index_ids,
    ingest_until_killed,
    make_window_corpus,
    run_ingest,
)


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
    env = {"MISSIONBOT_CHUNK_SIZE": WINDOW_CHUNK_SIZE}
    with tempfile.TemporaryDirectory() as tmp:
        docs, killed = Path(tmp) / "docs", Path(tmp) / "killed"
        make_window_corpus(docs, documents=30)
        started = time.monotonic()
        assert run_ingest("--docs", str(docs), "--index-dir", str(Path(tmp) / "timing"), env=env).returncode == 0
        full = time.monotonic() - started
        landed = []
        for n in range(args.kills):
            if n:  # every document changes before every kill: each run has windows to write, and
                make_window_corpus(docs, documents=30, revision=n)  # half-replaced versions to repair
            landed.append(ingest_until_killed(docs, killed, rng.randint(1, 3), rng))
        final = run_ingest("--docs", str(docs), "--index-dir", str(killed), "--json", env=env)
        expected, got = expected_ids(docs), index_ids(killed, docs)
    return {"kills": len(landed), "kills_after_a_written_window": sum(n >= 1 for n in landed),
            "kills_after_the_run_had_finished": sum(n < 0 for n in landed),
            "windows_written_before_each_kill": landed, "clean_run_s": round(full, 2),
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
