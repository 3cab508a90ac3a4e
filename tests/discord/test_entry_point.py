"""`python -m bot` with DISCORD_TOKEN, as `make run` starts it, against the stand-in; and inline replies."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys

from tests.conftest import REPO, free_port
from tests.discord.harness import TOKEN, running_bot
from tests.fakes.discord_server import BOT_ID, CHANNEL_ID, FakeDiscord, member


async def test_python_m_bot_with_a_token_connects_through_the_two_settings_and_answers(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(REPO / "data" / "documents" / "us-cluster-mission-to-the-eu-2018.txt", docs)
    server = await FakeDiscord(free_port()).start()
    env = {**os.environ, "DISCORD_TOKEN": TOKEN, "MISSIONBOT_DOCS_DIR": str(docs),
           "MISSIONBOT_INDEX_DIR": str(tmp_path / "index"), "MISSIONBOT_AGENDA_FILE": "",
           "MISSIONBOT_FEEDBACK_DB": str(tmp_path / "feedback.sqlite3"), "MISSIONBOT_HEALTH_PORT": "0",
           "MISSIONBOT_DISCORD_API_BASE": server.api_base, "MISSIONBOT_DISCORD_GATEWAY_URL": server.gateway_url}
    bot = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", env=env, cwd=tmp_path,
                                               stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    try:
        await asyncio.wait_for(server.identified.wait(), 60)
        await server.wait_for(lambda c: c.path.endswith("/commands"), timeout=30)
        await asyncio.sleep(2.5)  # discord.py waits for the guilds before it handles events
        payload = server.interaction_payload(2, {"id": "1", "name": "ask", "type": 1, "options": [
            {"name": "question", "type": 3, "value": "Where was the roundtable held?"}]}, member(950, "user"))
        await server.dispatch("INTERACTION_CREATE", payload)
        edit = await server.wait_for(lambda c: payload["token"] in c.path and c.path.endswith("@original"), 30)
        assert "Arkitektur Center" in edit.body["content"]
    finally:
        bot.terminate()
        _, stderr = await bot.communicate()
        await server.stop()
    assert TOKEN not in stderr.decode()


async def test_with_reply_in_thread_off_a_mention_is_answered_inline(tmp_path):
    async with running_bot(tmp_path, reply_in_thread=False) as harness:
        message = await harness.say(f"<@{BOT_ID}> Who led the mission?", mention_bot=True)
        reply = await harness.server.wait_for(lambda c: c.path.endswith(f"/channels/{CHANNEL_ID}/messages")
                                              and "inno TSD" in c.body.get("content", ""))
        assert str(reply.body["message_reference"]["message_id"]) == message["id"]
        assert not any(c.path.endswith("/threads") for c in harness.server.calls)


async def test_a_busy_health_port_is_logged_and_the_bot_still_answers(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        async with running_bot(tmp_path, health_port=port) as harness:
            token = await harness.command("ask", [{"name": "question", "type": 3, "value": "Who led the mission?"}],
                                          who=member(960, "user"))
            edit = await harness.reply_to(token, "@original")
            assert "inno TSD" in edit.body["content"]
            assert any("cannot serve /healthz" in line for line in harness.logs)
