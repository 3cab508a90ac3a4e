"""MISSIONBOT_SHARDS runs the same bot as discord.py's AutoShardedBot."""

from __future__ import annotations

from discord.ext import commands

from bot.testing.discord_server import member
from bot.testing.harness import running_bot


async def test_the_sharded_bot_answers_like_the_plain_one(tmp_path):
    async with running_bot(tmp_path, shards=1) as harness:
        assert isinstance(harness.bot, commands.AutoShardedBot) and harness.bot.shard_count == 1
        token = await harness.command("ask", [{"name": "question", "type": 3, "value": "Who led the mission?"}],
                                      who=member(800, "participant"))
        edit = await harness.reply_to(token, "@original")
        assert "inno TSD" in edit.body["content"]
        assert harness.bot.shards[0].is_ws_ratelimited() is False
