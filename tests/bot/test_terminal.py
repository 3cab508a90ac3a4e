"""The terminal face as a user drives it: `python -m bot` in a shell, with pipes and Ctrl-C."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys

from bot.testing import free_port
from bot.testing.openai_server import Reply
from bot.wording import UNAVAILABLE


def bot_cli(*args: str, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    """Run `python -m bot` with these arguments to completion."""
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})}, **kwargs)


def test_eval_json_prints_the_totals_and_each_kind_as_one_json_object(bundled_index, tmp_path):
    settings, _ = bundled_index
    questions = tmp_path / "two.yaml"
    questions.write_text('questions:\n  - {id: leader, question: "Who led the US cluster mission?", '
                         'expect: ["inno TSD"]}\n  - {id: hotel, question: "Which hotel did they stay in?", '
                         'refuse: true}\n')
    result = bot_cli("eval", str(questions), "--json", env={"MISSIONBOT_INDEX_DIR": str(settings.index_dir),
                                                            "MISSIONBOT_ANSWER_MODE": "extractive"})
    assert result.returncode == 0, result.stderr
    [line] = result.stdout.splitlines()
    summary = json.loads(line)
    assert summary["answer_accuracy"] == 1.0 and summary["refusal_accuracy"] == 1.0
    assert summary["lead_accuracy"] == 1.0  # "inno TSD [1]: …"
    assert "citation_validity" in summary and summary["by_kind"]["unanswerable"] == {"questions": 1, "right": 1.0}


def extractive(bundled_index) -> dict:
    settings, _ = bundled_index
    return {**os.environ, "MISSIONBOT_INDEX_DIR": str(settings.index_dir), "MISSIONBOT_ANSWER_MODE": "extractive"}


async def test_ask_answers_each_line_of_stdin_as_it_arrives(bundled_index):
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "ask", "--json", env=extractive(bundled_index), stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    try:
        for question, expected in [("Where was the roundtable held?", "Arkitektur Center"),
                                   ("Who led the US cluster mission?", "inno TSD")]:
            process.stdin.write(f"{question}\n".encode())
            await process.stdin.drain()  # and keep stdin open: the answer must come before EOF
            row = json.loads(await asyncio.wait_for(process.stdout.readline(), 120))
            assert row["question"] == question and expected in row["answer"]
        process.stdin.close()
        assert await asyncio.wait_for(process.wait(), 60) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def test_an_unreachable_embeddings_endpoint_is_answered_unavailable_without_a_traceback(tmp_path):
    env = {"MISSIONBOT_EMBEDDING_PROVIDER": "openai", "MISSIONBOT_EMBEDDING_API_KEY": "unused",
           "MISSIONBOT_EMBEDDING_BASE_URL": f"http://127.0.0.1:{free_port()}/v1",  # nothing listens there
           "MISSIONBOT_INDEX_DIR": str(tmp_path / "index")}
    result = bot_cli("ask", "Where was the roundtable held?", env=env)
    assert result.returncode == 1 and result.stdout.strip() == f"error: {UNAVAILABLE}"
    assert "embeddings endpoint" in result.stderr and "Traceback" not in result.stderr  # the why, in the log
    result = bot_cli("ask", "--json", "Where was the roundtable held?", env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert json.loads(result.stdout) == {"question": "Where was the roundtable held?", "error": UNAVAILABLE}


async def test_ctrl_c_stops_the_answer_being_made_and_the_chat_goes_on(bundled_index, openai_server):
    settings, _ = bundled_index
    env = {**os.environ, "MISSIONBOT_INDEX_DIR": str(settings.index_dir), "MISSIONBOT_LLM_MODEL": "m",
           "OPENAI_BASE_URL": openai_server.url, "MISSIONBOT_LLM_TIMEOUT": "30", "MISSIONBOT_LLM_MAX_RETRIES": "0"}
    openai_server.script(Reply("NOT_IN_DOCUMENTS", delay=3))  # a slow model: Ctrl-C lands while it thinks
    # A run started in the background by a shell without job control ignores Ctrl-C, and so would the chat
    # it starts (an ignored signal stays ignored across exec): the chat gets Ctrl-C as a terminal gives it.
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", env=env, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        await asyncio.wait_for(process.stdout.readuntil(b"> "), 120)
        process.stdin.write(b"Where was the roundtable held?\n")
        await process.stdin.drain()
        await asyncio.wait_for(asyncio.to_thread(openai_server.wait_for_requests, 1), 60)
        process.send_signal(signal.SIGINT)
        shown = await asyncio.wait_for(process.stdout.readuntil(b"> "), 60)
        assert b"(stopped)" in shown
        process.stdin.write(b"\n")  # an empty line quits
        await process.stdin.drain()
        _, stderr = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0 and b"Traceback" not in stderr and b"KeyboardInterrupt" not in stderr
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def test_agenda_cli_says_how_it_read_an_ambiguous_day(bundled_index):
    result = bot_cli("agenda", "--day", "11/06/2018", env=extractive(bundled_index))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Note: 11/06/2018 read as month/day: 6 November 2018")
    assert "Roundtable" in result.stdout and "Visits" in result.stdout


def test_agenda_cli_reads_a_day_counted_within_the_programme(bundled_index):
    result = bot_cli("agenda", "--day", "last day", env=extractive(bundled_index))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Note: last day read as the programme's day 4 of 4: 9 November 2018")
    assert "Visits" in result.stdout and "Roundtable" not in result.stdout
