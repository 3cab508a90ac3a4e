"""What must survive a restart of the bot: the feedback buttons under earlier answers."""

from __future__ import annotations

from bot.testing.discord_server import BOT_ID, CHANNEL_ID, member
from bot.testing.harness import running_bot


async def test_feedback_buttons_under_an_answer_still_work_after_a_restart(tmp_path):
    async with running_bot(tmp_path) as first:
        token = await first.command("ask", [{"name": "question", "type": 3, "value": "Who led the mission?"}],
                                    who=member(900, "asker"))
        edit = await first.reply_to(token, "@original")
        components = edit.body["components"]
    async with running_bot(tmp_path) as second:  # a new process would start the same way
        up = components[0]["components"][0]["custom_id"]
        message = {**second.server.message_payload(CHANNEL_ID, member(BOT_ID, "missionbot")["user"], "answer"),
                   "components": components}
        reply = await second.reply_to(await second.click(up, message, member(901, "voter")))
        assert "Thanks" in reply.body["data"]["content"]
        assert second.bot.feedback.summary().up == 1
