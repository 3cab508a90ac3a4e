"""/agenda: the programme by day, country or organisation, with autocomplete."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_bot.client import MissionBot
from bot.discord_bot.render import agenda_embed
from ingest import fold


class AgendaCog(commands.Cog, name="Agenda"):
    """Look the programme up."""

    def __init__(self, bot: MissionBot) -> None:
        self.bot = bot

    @app_commands.command(name="agenda")
    @app_commands.describe(day="A day of the mission, e.g. 2018-11-06", country="e.g. Denmark",
                           organisation="e.g. EnergyVille")
    async def agenda(self, interaction: discord.Interaction, day: str | None = None, country: str | None = None,
                     organisation: str | None = None) -> None:
        """Look up the mission's programme by day, country or organisation."""
        agenda = self.bot.agenda
        if agenda is None:
            await interaction.response.send_message("No programme is configured.", ephemeral=True)
            return
        try:
            entries, reading = agenda.search(day, country, organisation)
        except ValueError as exc:
            await interaction.response.send_message(str(exc), ephemeral=True)
            return
        filters = ", ".join(f"{k}: {v}" for k, v in (("day", day), ("country", country),
                                                      ("organisation", organisation)) if v)
        filters += f" ({reading})" if reading else ""
        await interaction.response.send_message(embed=agenda_embed(agenda, entries, filters))

    @agenda.autocomplete("day")
    async def day_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        days = self.bot.agenda.days() if self.bot.agenda else []
        labels = [(f"{d:%A} {d.day} {d:%B %Y}", d.isoformat()) for d in days]
        return [app_commands.Choice(name=label, value=value) for label, value in labels
                if fold(current) in fold(label) or current in value][:25]

    @agenda.autocomplete("country")
    async def country_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        names = self.bot.agenda.countries() if self.bot.agenda else []
        return [app_commands.Choice(name=n, value=n) for n in names if fold(current) in fold(n)][:25]

    @agenda.autocomplete("organisation")
    async def organisation_choices(self, interaction: discord.Interaction,
                                   current: str) -> list[app_commands.Choice[str]]:
        names = self.bot.agenda.organisations() if self.bot.agenda else []
        return [app_commands.Choice(name=n[:100], value=n[:100]) for n in names if fold(current) in fold(n)][:25]


async def setup(bot: MissionBot) -> None:
    await bot.add_cog(AgendaCog(bot))
