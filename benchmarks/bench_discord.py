"""The Discord bot under load, in the end-to-end harness: acknowledgement and answer times, memory.

Run: `.venv/bin/python -m benchmarks.bench_discord [--questions 200] [--in-flight 20] [--users 50]`.
The real bot runs against the local Discord stand-in (bot/testing/discord_server.py) in this process;
questions are /ask interactions from `--users` members, `--in-flight` at a time. With `--process`, the
bot runs as `python -m bot` in its own process (as `make run` starts it), so its memory is its own.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import psutil

from benchmarks.bench_answer import ASK, percentile
from bot.evaluate import DEV_SET, load_cases
from bot.testing.discord_server import member
from bot.testing.harness import bot_process, running_bot
from ingest import PROJECT_ROOT


def questions(n: int) -> list[str]:
    """Return n questions, cycling through the question set's first turns."""
    pool = [turns[0].question for turns in load_cases(DEV_SET)]
    return [pool[i % len(pool)] for i in range(n)]


async def ask(harness, question: str, user_id: int) -> tuple[float, float]:
    """Ask by /ask; return (seconds to acknowledgement, seconds to the final answer)."""
    dispatched = time.monotonic()
    token = await harness.command("ask", [{"name": "question", "type": 3, "value": question}],
                                  who=member(user_id, f"user{user_id}"))
    edit = await harness.reply_to(token, "@original", timeout=120)
    return harness.server.interactions[token].ack_delay, edit.at - dispatched


async def in_process(args: argparse.Namespace, process: psutil.Process) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        async with running_bot(Path(tmp), cooldown_questions=1000) as harness:
            return await drive(harness, args, process)


async def separate_process(args: argparse.Namespace) -> dict:
    """Run `python -m bot` in its own process against the stand-in and measure that process."""
    with tempfile.TemporaryDirectory() as tmp:
        docs = Path(tmp) / "docs"
        shutil.copytree(PROJECT_ROOT / "data" / "documents", docs)
        async with bot_process(Path(tmp), docs, MISSIONBOT_COOLDOWN_QUESTIONS="1000") as bot:
            return await drive(bot, args, psutil.Process(bot.process.pid))


async def drive(harness, args: argparse.Namespace, process: psutil.Process) -> dict:
    """Send the questions in batches; return times and the measured process's memory."""
    await ask(harness, ASK, 1)  # warm-up
    rss_start = process.memory_info().rss / 2**20
    acks, answers, rss = [], [], []
    todo = questions(args.questions)
    started = time.monotonic()
    for batch in range(0, len(todo), args.in_flight):
        results = await asyncio.gather(*(ask(harness, q, 1000 + (batch + i) % args.users)
                                         for i, q in enumerate(todo[batch : batch + args.in_flight])))
        acks += [a for a, _ in results]
        answers += [b for _, b in results]
        rss.append(round(process.memory_info().rss / 2**20))
    elapsed = time.monotonic() - started
    ms = [a * 1000 for a in acks]
    return {"bot": "own process" if process.pid != os.getpid() else "same process as the harness",
            "questions": len(acks), "in_flight": args.in_flight, "users": args.users, "seconds": round(elapsed, 1),
            "ack_p50_ms": round(statistics.median(ms), 1), "ack_p95_ms": round(percentile(ms, 95), 1),
            "ack_max_ms": round(max(ms), 1), "answer_p50_s": round(statistics.median(answers), 2),
            "answer_p95_s": round(percentile(answers, 95), 2), "rss_after_start_mb": round(rss_start),
            "rss_after_each_batch_mb": rss}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--in-flight", type=int, default=20)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--process", action="store_true", help="run the bot as `python -m bot` in its own process")
    options = parser.parse_args()
    run = separate_process(options) if options.process else in_process(options, psutil.Process())
    print(json.dumps(asyncio.run(run), indent=2))
