"""Admin commands: /reindex and /docs add|remove|list, plus the optional periodic re-index."""

from __future__ import annotations

import asyncio
import logging

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.discord_bot.client import MissionBot, admin_only
from bot.discord_bot.render import split_text
from bot.inflight import ShuttingDown
from bot.wording import failure_reply, reindex_report
from ingest import IndexBusy, IndexReport, describe_formats

log = logging.getLogger(__name__)


def report_text(report: IndexReport) -> str:
    """Render a re-index report in one Discord message (file names are not Markdown)."""
    return split_text(discord.utils.escape_markdown(reindex_report(report)))[0]


@app_commands.default_permissions(manage_guild=True)
@app_commands.guild_only()
class Docs(app_commands.Group, name="docs", description="Manage the documents I answer from (admins)"):
    def __init__(self, bot: MissionBot) -> None:
        super().__init__()
        self.bot = bot

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if not self.bot.is_admin(interaction):
            raise app_commands.CheckFailure("not an admin")
        return True

    @app_commands.command(name="add")
    @app_commands.describe(file=f"A {describe_formats()} document")
    async def add(self, interaction: discord.Interaction, file: discord.Attachment) -> None:
        """Add (or replace) a document and index it."""
        limit = self.bot.settings.max_upload_mb
        if file.size > limit * 2**20:
            await interaction.response.send_message(
                f"{file.filename} is {file.size / 2**20:.1f} MB; the limit is {limit:g} MB.", ephemeral=True)
            return
        await interaction.response.defer(thinking=True, ephemeral=True)
        try:
            name, report = await self.bot.assistant.add_document(file.filename, await file.read())
        except Exception as exc:  # noqa: BLE001 - reported to the admin
            await interaction.edit_original_response(content=f"Not added: {failure_reply(exc)}")
            return
        await interaction.edit_original_response(content=f"Added `{name}`. " + report_text(report))

    @app_commands.command(name="remove")
    @app_commands.describe(source="The document to remove")
    async def remove(self, interaction: discord.Interaction, source: str) -> None:
        """Remove a document and its passages from the index."""
        await interaction.response.defer(thinking=True, ephemeral=True)
        try:
            report = await self.bot.assistant.remove_document(source)
        except Exception as exc:  # noqa: BLE001 - reported to the admin
            await interaction.edit_original_response(content=f"Not removed: {failure_reply(exc)}")
            return
        await interaction.edit_original_response(content=f"Removed `{source}`. " + report_text(report))

    @remove.autocomplete("source")
    async def source_choices(self, interaction: discord.Interaction,
                             current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=d[:100], value=d[:100]) for d in await self.bot.assistant.documents()
                if current.casefold() in d.casefold()][:25]

    @app_commands.command(name="list")
    async def list(self, interaction: discord.Interaction) -> None:
        """List the files in the documents folder."""
        names = await self.bot.assistant.documents()
        text = "\n".join(f"• `{n}`" for n in names) or "The documents folder is empty."
        first, *rest = split_text(text)
        await interaction.response.send_message(first, ephemeral=True)
        for part in rest:
            await interaction.followup.send(part, ephemeral=True)


class Admin(commands.Cog):
    """Keep the index in step with the documents."""

    def __init__(self, bot: MissionBot) -> None:
        self.bot = bot
        self.docs = Docs(bot)
        bot.tree.add_command(self.docs)
        if bot.settings.reindex_minutes and not bot.settings.runs_shard_zero():
            log.info("the periodic re-index is run by the process running shard 0, not this one")
        elif bot.settings.reindex_minutes:
            self.periodic.change_interval(minutes=bot.settings.reindex_minutes)
            self.periodic.start()

    async def cog_unload(self) -> None:
        self.periodic.cancel()
        self.bot.tree.remove_command(self.docs.name)

    @app_commands.command(name="reindex")
    @app_commands.describe(full="Rebuild the whole index instead of only what changed")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.check(admin_only)
    async def reindex(self, interaction: discord.Interaction, full: bool = False) -> None:
        """Bring the index in step with the documents folder (admins)."""
        job = self.bot.assistant.start_reindex(full)  # a run already going: IndexBusy, answered privately
        await interaction.response.defer(thinking=True, ephemeral=True)
        try:
            report = await self.bot.assistant.finish(job)
        except Exception as exc:  # noqa: BLE001 - reported to the admin
            await interaction.edit_original_response(content=failure_reply(exc))
            return
        await interaction.edit_original_response(content=report_text(report))

    @tasks.loop(minutes=60)
    async def periodic(self) -> None:
        try:
            # In a task of its own: the Assistant counts the calling task as work in flight, and this loop's
            # task lives as long as the bot, so every stop would wait out the whole grace period for it.
            await asyncio.create_task(self.bot.assistant.reindex())
        except IndexBusy as exc:
            log.info("periodic re-index skipped: %s", exc)
        except ShuttingDown:
            log.info("periodic re-index skipped: the bot is stopping")
        except Exception:  # noqa: BLE001 - the next run tries again
            log.exception("periodic re-index failed")


async def setup(bot: MissionBot) -> None:
    await bot.add_cog(Admin(bot))
