"""A feedback database that is locked, corrupt or unusable never costs an answer or blocks other users."""

from __future__ import annotations

import sqlite3

from bot.testing.discord_server import BOT_ID, CHANNEL_ID, MANAGE_GUILD, member
from bot.testing.harness import running_bot

ROUNDTABLE = [{"name": "question", "type": 3, "value": "Where was the roundtable held?"}]
LEADER = [{"name": "question", "type": 3, "value": "Who led the mission?"}]


async def ask(harness, options: list[dict], user_id: int) -> tuple[str, dict]:
    token = await harness.command("ask", options, who=member(user_id, "participant"))
    return token, (await harness.reply_to(token, "@original")).body


async def vote(harness, answer: dict, user_id: int) -> str:
    up = answer["components"][0]["components"][0]["custom_id"]
    message = {**harness.server.message_payload(CHANNEL_ID, member(BOT_ID, "missionbot")["user"], "answer"),
               "components": answer["components"]}
    reply = await harness.reply_to(await harness.click(up, message, member(user_id, "voter")))
    return reply.body["data"]["content"]


async def test_a_locked_feedback_database_costs_no_answer_and_blocks_no_one(harness):
    _, earlier = await ask(harness, ROUNDTABLE, 700)
    lock = sqlite3.connect(harness.settings.feedback_db)
    lock.execute("BEGIN EXCLUSIVE")  # another process holding the file, as a backup tool would
    try:
        first = await harness.command("ask", ROUNDTABLE, who=member(701, "participant"))
        second = await harness.command("ask", LEADER, who=member(702, "participant"))
        first_answer = (await harness.reply_to(first, "@original")).body
        second_answer = (await harness.reply_to(second, "@original")).body
        assert "Arkitektur Center" in first_answer["content"] and "inno TSD" in second_answer["content"]
        assert not first_answer.get("components")  # no buttons when the vote could not be kept
        assert all(harness.server.interactions[t].ack_delay < 1.0 for t in (first, second))
        assert "could not be recorded right now" in await vote(harness, earlier, 703)
    finally:
        lock.rollback()
        lock.close()
    assert "Thanks" in await vote(harness, earlier, 703)


async def test_a_corrupt_feedback_database_is_moved_aside_with_one_log_line(tmp_path):
    (tmp_path / "feedback.sqlite3").write_bytes(b"not a database, a half-copied file " * 200)
    async with running_bot(tmp_path) as bot:
        _, answer = await ask(bot, ROUNDTABLE, 710)
        assert "Arkitektur Center" in answer["content"] and "Thanks" in await vote(bot, answer, 711)
        lines = [line for line in bot.logs if "feedback database" in line]
    assert len(lines) == 1 and "moved it to feedback.sqlite3.corrupt-" in lines[0]
    [aside] = tmp_path.glob("feedback.sqlite3.corrupt-*")
    assert aside.read_bytes().startswith(b"not a database")


async def test_a_feedback_database_that_cannot_be_opened_turns_votes_off_and_the_bot_answers(tmp_path):
    folder = tmp_path / "state"
    folder.mkdir()  # a folder where the file should be: nothing to move aside, nothing to open
    async with running_bot(tmp_path, feedback_db=folder) as bot:
        _, answer = await ask(bot, ROUNDTABLE, 720)
        assert "Arkitektur Center" in answer["content"] and not answer.get("components")
        token = await bot.command("feedback", who=member(721, "organiser"), permissions=MANAGE_GUILD)
        reply = await bot.reply_to(token)
        assert "not being recorded" in reply.body["data"]["content"]
        assert sum("feedback is off" in line for line in bot.logs) == 1
