"""Slash commands are synced when they changed or when an operator asks, not on every start."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import pytest

from bot.discord_bot.sync import STATE_FILE
from bot.testing import free_port
from bot.testing.discord_server import FakeDiscord
from bot.testing.harness import TOKEN, running_bot


def synced(server: FakeDiscord) -> list[str]:
    return [c.path for c in server.calls if c.method == "PUT" and c.path.endswith("/commands")]


async def test_a_restart_with_the_same_commands_does_not_sync_and_a_changed_tree_does(tmp_path):
    async with running_bot(tmp_path) as first:
        assert len(synced(first.server)) == 1
    async with running_bot(tmp_path) as second:
        assert synced(second.server) == []
    state_file = tmp_path / STATE_FILE  # beside the feedback database
    state = json.loads(state_file.read_text())
    state_file.write_text(json.dumps({key: "digest-of-an-older-version" for key in state}))
    async with running_bot(tmp_path) as third:
        assert len(synced(third.server)) == 1 and third.server.commands


@pytest.mark.parametrize("shards", [{}, {"MISSIONBOT_SHARD_COUNT": "2", "MISSIONBOT_SHARD_IDS": "1",
                                          "MISSIONBOT_CHROMA_HOST": "127.0.0.1"}], ids=["one process", "shard 1 of 2"])
async def test_sync_commands_syncs_now_even_when_unchanged(tmp_path, shards):
    async with running_bot(tmp_path):
        pass  # synced once, and remembered
    server = await FakeDiscord(free_port()).start()
    try:
        env = {**os.environ, "DISCORD_TOKEN": TOKEN, "MISSIONBOT_FEEDBACK_DB": str(tmp_path / "feedback.sqlite3"),
               "MISSIONBOT_DISCORD_API_BASE": server.api_base, "MISSIONBOT_DISCORD_GATEWAY_URL": server.gateway_url,
               **shards}  # the operator's command syncs from any process, not only the one running shard 0
        process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "sync-commands", env=env,
                                                       cwd=tmp_path, stderr=asyncio.subprocess.PIPE)
        _, stderr = await asyncio.wait_for(process.communicate(), 120)
        assert process.returncode == 0, stderr.decode()
        assert len(synced(server)) == 1 and {c["name"] for c in server.commands} >= {"ask", "agenda", "reindex"}
    finally:
        await server.stop()
