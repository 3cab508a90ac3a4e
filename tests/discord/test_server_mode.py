"""The bot against a real `chroma run` server: answers, a Chroma outage and recovery, health and metrics."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import pytest

from bot.testing import free_port
from bot.testing.discord_server import member
from bot.testing.harness import running_bot
from tests.conftest import launch_chroma


@pytest.fixture(scope="module")
async def chroma(tmp_path_factory):
    """A Chroma server of this module's own, since the tests stop and restart it."""
    path, port = tmp_path_factory.mktemp("chroma-outage"), free_port()
    state = {"proc": launch_chroma(path, port), "path": path, "port": port}
    yield state
    state["proc"].kill()
    state["proc"].wait(10)


@pytest.fixture(scope="module")
async def server_bot(chroma, tmp_path_factory):
    async with running_bot(tmp_path_factory.mktemp("server-mode"), chroma_host="127.0.0.1",
                           chroma_port=chroma["port"], collection="discord-server-mode",
                           health_port=free_port(), cooldown_questions=100) as harness:
        yield harness


async def ask(harness, question: str) -> str:
    token = await harness.command("ask", [{"name": "question", "type": 3, "value": question}],
                                  who=member(700, "participant"))
    reply = await harness.server.wait_for(lambda c: token in c.path and c.method in ("PATCH", "POST")
                                          and "content" in c.body)
    return reply.body["content"]


async def get(harness, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{harness.settings.health_port}{path}") as response:
            return response.status, await response.text()


# A question the reader answers from retrieved passages, so it needs the Chroma server.
QUESTION = "How many people attended the roundtable?"


async def test_a_chroma_outage_gets_a_clear_message_one_log_line_and_recovers_without_restart(
        server_bot, chroma, caplog):
    assert "32 participants" in await ask(server_bot, QUESTION)
    assert (await get(server_bot, "/healthz"))[0] == 200

    chroma["proc"].kill()
    chroma["proc"].wait(10)
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            reply = await ask(server_bot, QUESTION)
            assert "knowledge base is unavailable" in reply and "try again shortly" in reply
        status, body = await get(server_bot, "/healthz")
    assert status == 503 and '"index": false' in body
    outage_lines = [r for r in caplog.records if "knowledge base unavailable" in r.getMessage()]
    assert len(outage_lines) == 1 and not any(r.exc_info for r in caplog.records)

    chroma["proc"] = await asyncio.to_thread(launch_chroma, chroma["path"], chroma["port"])
    assert "32 participants" in await ask(server_bot, QUESTION)
    assert (await get(server_bot, "/healthz"))[0] == 200


async def test_metrics_count_questions_refusals_and_reindex_runs(server_bot):
    before = server_bot.bot.assistant.metrics
    questions = before.questions._value.get()
    await ask(server_bot, "What is the capital of France?")
    token = await server_bot.command("reindex", who=member(701, "organiser"), permissions=1 << 5)
    await server_bot.reply_to(token, "@original")
    status, text = await get(server_bot, "/metrics")
    assert status == 200
    metrics = {line.split(" ")[0]: float(line.split(" ")[1]) for line in text.splitlines()
               if line and not line.startswith("#")}
    assert metrics["missionbot_questions_total"] == questions + 1
    assert metrics["missionbot_refusals_total"] >= 1 and metrics["missionbot_reindex_runs_total"] >= 1
    assert metrics["missionbot_answer_seconds_count"] >= questions + 1
