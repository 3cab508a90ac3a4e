"""`python -m bot` with DISCORD_TOKEN, as `make run` starts it, against the stand-in; and inline replies."""

from __future__ import annotations

import asyncio
import shutil
import signal

from bot.testing.discord_server import BOT_ID, CHANNEL_ID, member
from bot.testing.harness import TOKEN, bot_process, running_bot
from tests.conftest import REPO


async def test_python_m_bot_with_a_token_connects_through_the_two_settings_and_answers(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(REPO / "data" / "documents" / "us-cluster-mission-to-the-eu-2018.txt", docs)
    async with bot_process(tmp_path, docs, MISSIONBOT_AGENDA_FILE="") as bot:
        payload = bot.server.interaction_payload(2, {"id": "1", "name": "ask", "type": 1, "options": [
            {"name": "question", "type": 3, "value": "Where was the roundtable held?"}]}, member(950, "user"))
        await bot.server.dispatch("INTERACTION_CREATE", payload)
        edit = await bot.server.wait_for(lambda c: payload["token"] in c.path and c.path.endswith("@original"), 30)
        assert "Arkitektur Center" in edit.body["content"]
        bot.process.send_signal(signal.SIGINT)  # Ctrl-C in `make run` stops it as gracefully as SIGTERM
        assert await asyncio.wait_for(bot.process.wait(), 60) == 0
    assert bot.stderr and TOKEN not in bot.stderr
    assert "stopped cleanly" in bot.stderr and "Traceback" not in bot.stderr


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
