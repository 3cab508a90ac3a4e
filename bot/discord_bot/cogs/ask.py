"""Asking: a mention (answered in a thread), follow-ups in that thread, ask-channels, and /ask."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Awaitable, Callable

import discord
from discord import app_commands
from discord.ext import commands

from bot.answer import Answer, without_mentions_of
from bot.discord_bot.client import MissionBot, answered, defer_publicly, taking_questions, within_cooldown
from bot.discord_bot.cogs.feedback import feedback_view
from bot.discord_bot.render import answer_parts
from bot.wording import failure_reply, slow_down

log = logging.getLogger(__name__)

HINT = "Ask me about the 2018 US cluster mission to the EU, e.g. *Where was the roundtable held?*"

Send = Callable[..., Awaitable[object]]


def thread_name(question: str) -> str:
    """Name a thread after its question (Discord allows 100 characters)."""
    name = re.sub(r"\s+", " ", question).strip()
    return (name[:95] + "…") if len(name) > 96 else (name or "Question")


class Ask(commands.Cog):
    """Answer questions asked in channels, in the bot's threads, and with /ask."""

    def __init__(self, bot: MissionBot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or message.guild is None or self.bot.user is None:
            return
        channel = message.channel
        own_thread = isinstance(channel, discord.Thread) and channel.owner_id == self.bot.user.id
        mentioned = self.bot.user in message.mentions
        if not (own_thread or mentioned or channel.id in self.bot.settings.ask_channel_ids):
            return
        question = without_mentions_of(self.bot.user.id, message.content)
        if not question:
            await message.reply(HINT, mention_author=False)
            return
        wait = self.bot.retry_after(message.author.id)
        if wait:
            await message.reply(slow_down(wait), mention_author=False)
            return
        if own_thread:
            target, key, reference = channel, str(channel.id), None
        elif self.bot.settings.reply_in_thread and isinstance(channel, discord.TextChannel):
            target = await message.create_thread(name=thread_name(question), auto_archive_duration=1440)
            key, reference = str(target.id), None
        else:
            target, key, reference = channel, None, message
        async with target.typing():
            try:
                answer = await self.bot.assistant.ask(question, key)
            except Exception as exc:  # noqa: BLE001 - every failure gets a reply with an error id
                await target.send(failure_reply(exc), reference=reference, mention_author=False)
                return
        await self.send_answer(answer, functools.partial(target.send, reference=reference, mention_author=False),
                               functools.partial(target.send, mention_author=False))

    async def send_answer(self, answer: Answer, first: Send, more: Send) -> None:
        """Send an answer as one or more messages (`first`, then `more`), with feedback buttons under the last."""
        parts, answer_id = answer_parts(answer), await self.bot.record(answer)
        for n, part in enumerate(parts):
            extra = {"embed": part.embed} if part.embed is not None else {}
            if n == len(parts) - 1 and answer_id:
                extra["view"] = feedback_view(answer_id)
            await (more if n else first)(content=part.content, allowed_mentions=discord.AllowedMentions.none(),
                                         **extra)

    @app_commands.command(name="ask")
    @app_commands.describe(question="Your question about the mission", private="Only you see the answer")
    @app_commands.check(within_cooldown)
    @app_commands.check(taking_questions)
    async def ask(self, interaction: discord.Interaction, question: str, private: bool = False) -> None:
        """Ask a question about the 2018 US cluster mission; the answer cites the documents."""
        self.bot.assistant.check_question(question)  # one that cannot be asked is told so privately, at once
        await interaction.response.defer(thinking=True, ephemeral=private)
        if not private:
            defer_publicly(interaction)
        answer = await self.bot.assistant.ask(question)

        async def replace_thinking(**message) -> None:
            await interaction.edit_original_response(**message)
            answered(interaction)

        more = functools.partial(interaction.followup.send, ephemeral=private)
        await self.send_answer(answer, replace_thinking, more)


async def setup(bot: MissionBot) -> None:
    await bot.add_cog(Ask(bot))
