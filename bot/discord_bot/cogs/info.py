"""/sources, /status and /help."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_bot.client import MissionBot
from bot.discord_bot.render import COLOUR, split_text
from bot.wording import NOTHING_INDEXED, source_line

HELP = """**Ask** by mentioning me in a channel (I answer in a thread, where follow-ups need no mention),
or with `/ask` (`private: True` answers only you). Answers quote the documents and number their sources.
If the documents don't say, I tell you so instead of guessing.
**/agenda** looks the programme up by day, country or organisation.
**/sources** lists the documents I answer from; **/status** shows the index.
Admins: **/reindex**, **/docs add|remove|list**, **/feedback**."""


class Info(commands.Cog):
    """What the bot knows and how to use it."""

    def __init__(self, bot: MissionBot) -> None:
        self.bot = bot

    @app_commands.command(name="sources")
    async def sources(self, interaction: discord.Interaction) -> None:
        """List the documents I answer from, with when each was indexed."""
        await interaction.response.defer(thinking=True, ephemeral=True)
        sources = sorted(await self.bot.assistant.sources(), key=lambda s: (s.title or s.source).casefold())
        lines = [source_line(s, markdown=True) for s in sources] or [NOTHING_INDEXED]
        first, *rest = split_text("\n".join(lines))
        await interaction.edit_original_response(content=first)
        for part in rest:  # a long list goes out in several messages, within Discord's limit
            await interaction.followup.send(part, ephemeral=True)

    @app_commands.command(name="status")
    async def status(self, interaction: discord.Interaction) -> None:
        """Show the index: documents, chunks, embedding model, answer mode, last re-index."""
        await interaction.response.defer(thinking=True, ephemeral=True)
        status = await self.bot.assistant.status()
        embed = discord.Embed(title="Status", colour=COLOUR)
        embed.add_field(name="Documents", value=str(status.documents))
        embed.add_field(name="Chunks", value=str(status.chunks))
        embed.add_field(name="Answer mode", value=status.answer_mode)
        embed.add_field(name="Embedding model", value=status.embedding_model, inline=False)
        last = "running now" if status.reindexing else (
            f"{status.last_reindex:%Y-%m-%d %H:%M} UTC" if status.last_reindex else "not since start-up")
        embed.add_field(name="Last re-index", value=last, inline=False)
        await interaction.edit_original_response(embed=embed)

    @app_commands.command(name="help")
    async def help(self, interaction: discord.Interaction) -> None:
        """How to ask, and what each command does."""
        await interaction.response.send_message(HELP, ephemeral=True)


async def setup(bot: MissionBot) -> None:
    await bot.add_cog(Info(bot))
