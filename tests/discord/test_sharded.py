"""Sharding: MISSIONBOT_SHARD_COUNT runs the bot as discord.py's AutoShardedBot, and MISSIONBOT_SHARD_IDS
splits the shards over several `python -m bot` processes sharing one Chroma server."""

from __future__ import annotations

import asyncio
import shutil

import aiohttp
from discord.ext import commands

from bot.settings import BotSettings
from bot.testing import free_port
from bot.testing.discord_server import GUILD_ID, OTHER_GUILD_ID, FakeDiscord, member, shard_of
from bot.testing.harness import BotProcess, bot_process, running_bot
from ingest import IndexSettings, load_settings, open_store, sync_index
from tests.conftest import ANNOUNCEMENT

QUESTION = "Where was the roundtable held?"


async def test_the_sharded_bot_answers_like_the_plain_one(tmp_path):
    async with running_bot(tmp_path, shard_count=1) as harness:
        assert isinstance(harness.bot, commands.AutoShardedBot) and harness.bot.shard_count == 1
        token = await harness.command("ask", [{"name": "question", "type": 3, "value": "Who led the mission?"}],
                                      who=member(800, "participant"))
        edit = await harness.reply_to(token, "@original")
        assert "inno TSD" in edit.body["content"]
        assert harness.bot.shards[0].is_ws_ratelimited() is False


def test_the_older_name_mission_shards_still_sets_the_shard_count(monkeypatch):
    monkeypatch.setenv("MISSIONBOT_SHARDS", "3")
    assert load_settings(BotSettings, _env_file=None).shard_count == 3


async def questions_answered(process: BotProcess) -> float:
    """Return the process's missionbot_questions_total, as Prometheus would scrape it."""
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{process.health_port}/metrics") as response:
            text = await response.text()
    return next(float(line.split()[1]) for line in text.splitlines() if line.startswith("missionbot_questions_total"))


async def ask_in(server: FakeDiscord, guild: int) -> str:
    """Ask /ask in a guild; return the answer."""
    payload = server.interaction_payload(2, {"id": "1", "name": "ask", "type": 1, "options": [
        {"name": "question", "type": 3, "value": QUESTION}]}, member(970, "participant"), guild=guild)
    await server.dispatch("INTERACTION_CREATE", payload)
    edit = await server.wait_for(lambda c: payload["token"] in c.path and c.path.endswith("@original"), 60)
    return edit.body["content"]


async def test_two_processes_each_answer_only_the_servers_of_their_shard(tmp_path, chroma_server):
    host, port = chroma_server
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(ANNOUNCEMENT, docs)
    env = {"MISSIONBOT_CHROMA_HOST": host, "MISSIONBOT_CHROMA_PORT": str(port), "MISSIONBOT_COLLECTION": "two-shards",
           "MISSIONBOT_AGENDA_FILE": "/nonexistent", "MISSIONBOT_SHARD_COUNT": "2", "MISSIONBOT_REINDEX_MINUTES": "60",
           "MISSIONBOT_INDEX_DIR": str(tmp_path / "index")}  # one index volume for the job and both bots, as in compose
    index = IndexSettings(docs_dir=docs, chroma_host=host, chroma_port=port, collection="two-shards", agenda_file=None,
                          index_dir=tmp_path / "index", _env_file=None)
    store = open_store(index)
    try:  # what the compose ingest job does before the bots start
        assert (await asyncio.to_thread(sync_index, index, store)).added == 1
    finally:
        store.close()
    assert (shard_of(OTHER_GUILD_ID, 2), shard_of(GUILD_ID, 2)) == (0, 1)
    server = await FakeDiscord(free_port(), guilds=(GUILD_ID, OTHER_GUILD_ID)).start()
    try:
        for name in "ab":
            (tmp_path / name).mkdir()
        shared = dict(docs=docs, ready=False, server=server, **env)
        async with (bot_process(tmp_path / "a", MISSIONBOT_SHARD_IDS="0", **shared) as a,
                    bot_process(tmp_path / "b", MISSIONBOT_SHARD_IDS="1", **shared) as b):
            await asyncio.wait_for(asyncio.gather(a.healthy(), b.healthy()), 120)
            assert sorted(server.shards_identified) == [[0, 2], [1, 2]]
            for guild, answering, idle in ((OTHER_GUILD_ID, a, b), (GUILD_ID, b, a)):
                before = await questions_answered(answering), await questions_answered(idle)
                assert "Arkitektur Center" in await ask_in(server, guild)
                after = await questions_answered(answering), await questions_answered(idle)
                assert (after[0] - before[0], after[1] - before[1]) == (1, 0)
            await a.logged("re-index: ")  # the periodic re-index ran once, in the process running shard 0
        syncs = [c for c in server.calls if c.method == "PUT" and c.path.endswith("/commands")]
        assert len(syncs) == 1  # once per deployment: by the process running shard 0
        assert "synced by the process running shard 0" in b.stderr and "synced by" not in a.stderr
        assert "periodic re-index is run by the process running shard 0" in b.stderr and "re-index: " not in b.stderr
        assert "Traceback" not in a.stderr + b.stderr
        # The periodic re-index is not work in flight: a stop does not wait out the grace period for it.
        assert "stopped cleanly" in a.stderr and "gave up" not in a.stderr
    finally:
        await server.stop()
