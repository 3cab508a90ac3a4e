"""The bot's life as an operator sees it: /healthz from the first second, Discord lost and back, SIGTERM."""

from __future__ import annotations

import asyncio
import shutil
import signal
import sqlite3

import aiohttp

from bot.testing import free_port
from bot.testing.discord_server import member
from bot.testing.harness import bot_process, running_bot
from bot.testing.openai_server import Reply
from ingest import PROJECT_ROOT

ANNOUNCEMENT = PROJECT_ROOT / "data" / "documents" / "us-cluster-mission-to-the-eu-2018.txt"


async def healthz(port: int) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
            return response.status, await response.json()


async def until_health(port: int, predicate, timeout: float = 60.0) -> tuple[int, dict]:
    """Poll /healthz until predicate(status, body) holds; return that answer."""
    async def poll():
        while not predicate(*(answer := await healthz(port))):
            await asyncio.sleep(0.1)
        return answer
    return await asyncio.wait_for(poll(), timeout)


def one_document(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(ANNOUNCEMENT, docs)
    return docs


async def test_healthz_says_starting_while_indexing_instead_of_refusing_connections(tmp_path, openai_server):
    openai_server.hold_embeddings()  # indexing waits on the embeddings endpoint until released
    env = {"MISSIONBOT_EMBEDDING_PROVIDER": "openai", "MISSIONBOT_EMBEDDING_BASE_URL": openai_server.url,
           "MISSIONBOT_EMBEDDING_API_KEY": "unused", "MISSIONBOT_AGENDA_FILE": ""}
    async with bot_process(tmp_path, one_document(tmp_path), ready=False, **env) as bot:
        await asyncio.wait_for(asyncio.to_thread(openai_server.wait_for_embedding_requests, 1), 120)
        status, body = await healthz(bot.health_port)
        assert (status, body["status"]) == (503, "starting")
        openai_server.release_embeddings()
        status, body = await until_health(bot.health_port, lambda status, body: status == 200, 120)
        assert body["gateway"] == "connected" and body["index"] is True


async def test_healthz_goes_unhealthy_when_discord_stays_unreachable_and_recovers(tmp_path):
    async with running_bot(tmp_path, health_port=free_port(), reconnect_grace=1.0) as harness:
        port = harness.settings.health_port
        status, body = await healthz(port)
        assert (status, body["status"], body["gateway"]) == (200, "ok", "connected")
        await harness.server.drop_gateway()
        _, lost = await until_health(port, lambda status, body: body["gateway"] == "reconnecting")
        status, body = await until_health(port, lambda status, body: status == 503)
        assert body["status"] == "unhealthy" and body["discord"] is False and body["gateway"] == "reconnecting"
        assert body["since"] == lost["since"]  # reconnecting since the connection was lost
        harness.server.restore_gateway()
        status, body = await until_health(port, lambda status, body: status == 200)
        assert body["gateway"] == "connected"
    assert any("lost the connection to Discord" in line for line in harness.logs)


async def test_sigterm_answers_the_questions_in_flight_takes_no_new_ones_and_stops_cleanly(tmp_path, openai_server):
    slow = "Who led the US cluster mission?"  # the model takes longer than the grace period over this one

    def model(request):
        question = request["messages"][-1]["content"]
        return Reply("NOT_IN_DOCUMENTS", delay=12 if slow in question else 1)
    openai_server.respond = model
    env = {"MISSIONBOT_LLM_MODEL": "m", "OPENAI_BASE_URL": openai_server.url, "MISSIONBOT_LLM_TIMEOUT": "30",
           "MISSIONBOT_LLM_MAX_RETRIES": "0", "MISSIONBOT_SHUTDOWN_SECONDS": "6", "MISSIONBOT_AGENDA_FILE": ""}
    questions = ["Where was the roundtable held?", "How many participants did the roundtable have?", slow]
    async with bot_process(tmp_path, one_document(tmp_path), **env) as bot:
        tokens = [await bot.command("ask", [{"name": "question", "type": 3, "value": q}], who=member(900 + n, "u"))
                  for n, q in enumerate(questions)]
        await asyncio.wait_for(asyncio.to_thread(openai_server.wait_for_requests, 3), 60)  # all three in flight
        bot.process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(bot.logged("taking no new questions"), 30)
        late = await bot.command("ask", [{"name": "question", "type": 3, "value": questions[0]}],
                                 who=member(950, "late"))
        refused = await bot.reply_to(late)
        assert refused.body["type"] == 4 and "restarting" in refused.body["data"]["content"] and refused.ephemeral
        answers = [(await bot.reply_to(t, "@original", timeout=60)).body["content"] for t in tokens]
        assert all("don't say" in a for a in answers[:2])  # finished within the grace period
        assert "could not finish" in answers[2]  # given up on, and told so
        assert await asyncio.wait_for(bot.process.wait(), 60) == 0
    assert "stopped cleanly" in bot.stderr and "Traceback" not in bot.stderr
    with sqlite3.connect(tmp_path / "feedback.sqlite3") as db:  # closed cleanly, with the answers kept
        assert db.execute("SELECT COUNT(*) FROM answers").fetchone()[0] == 2
