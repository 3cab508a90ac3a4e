"""👍/👎 under every answer (buttons that survive restarts) and /feedback for admins."""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_bot.client import MissionBot, admin_only
from bot.discord_bot.render import COLOUR

log = logging.getLogger(__name__)

FEEDBACK_OFF = "Votes are not being recorded right now: the feedback database could not be opened (see the log)."


class VoteButton(discord.ui.DynamicItem[discord.ui.Button], template=r"fb:(?P<vote>up|down):(?P<answer>[0-9a-f]{16})"):
    """A vote on one answer; its custom id carries the answer id, so it works after a restart."""

    def __init__(self, vote: str, answer_id: str) -> None:
        super().__init__(discord.ui.Button(
            emoji="👍" if vote == "up" else "👎", style=discord.ButtonStyle.secondary,
            custom_id=f"fb:{vote}:{answer_id}"))
        self.vote, self.answer_id = vote, answer_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str]) -> VoteButton:
        return cls(match["vote"], match["answer"])

    async def callback(self, interaction: discord.Interaction) -> None:
        feedback = interaction.client.feedback
        if feedback is None:
            await interaction.response.send_message(FEEDBACK_OFF, ephemeral=True)
            return
        try:
            counts = await asyncio.to_thread(feedback.vote, self.answer_id, interaction.user.id,
                                             1 if self.vote == "up" else -1)
        except sqlite3.Error as exc:
            log.warning("a vote was not recorded: the feedback database failed (%s)", exc)
            text = "Your vote could not be recorded right now; please try again in a moment."
        else:
            text = "That answer is no longer on record." if counts is None else (
                "Thanks! Your vote is recorded (you can change it)." if self.vote == "up" else
                "Thanks, the organisers will see which answers fell short.")
        await interaction.response.send_message(text, ephemeral=True)


def feedback_view(answer_id: str) -> discord.ui.View:
    """Return the two vote buttons for an answer."""
    view = discord.ui.View(timeout=None)
    view.add_item(VoteButton("up", answer_id))
    view.add_item(VoteButton("down", answer_id))
    return view


class Feedback(commands.Cog):
    """Votes on answers."""

    def __init__(self, bot: MissionBot) -> None:
        self.bot = bot

    @app_commands.command(name="feedback")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.check(admin_only)
    async def feedback(self, interaction: discord.Interaction) -> None:
        """See the votes on answers and the latest answers voted down (admins)."""
        if self.bot.feedback is None:
            await interaction.response.send_message(FEEDBACK_OFF, ephemeral=True)
            return
        summary = await asyncio.to_thread(self.bot.feedback.summary)
        embed = discord.Embed(title="Feedback", colour=COLOUR,
                              description=f"👍 {summary.up} · 👎 {summary.down} on {summary.answers} answers")
        for question, answer, when in summary.latest_down:
            embed.add_field(name=f"👎 {question}"[:256], value=f"{answer[:900]}\n-# {when}", inline=False)
        await interaction.response.send_message(embed=embed, ephemeral=True)


async def setup(bot: MissionBot) -> None:
    bot.add_dynamic_items(VoteButton)
    await bot.add_cog(Feedback(bot))
