"""The discord.py client: intents, extensions (one cog per feature), command sync and error replies."""

from __future__ import annotations

import logging
import uuid

import discord
import yarl
from discord import app_commands
from discord.ext import commands

from bot.agenda import Agenda, load_agenda
from bot.discord_bot.health import HealthServer
from bot.engine import AnswerEngine, IndexEmpty, QuestionRejected
from bot.feedback import FeedbackStore
from bot.service import Assistant, UploadRejected
from bot.settings import BotSettings
from ingest import IndexBusy, IndexModelMismatch, IndexProblem

log = logging.getLogger(__name__)

EXTENSIONS = ("ask", "agenda", "info", "admin", "feedback")
# What the bot needs in a channel; README's invite link carries this value.
PERMISSIONS = discord.Permissions(view_channel=True, send_messages=True, send_messages_in_threads=True,
                                  create_public_threads=True, embed_links=True, read_message_history=True)
NOT_ADMIN = "This command is for admins (Manage Server, or an admin role set by the organisers)."


def point_at(api_base: str | None, gateway: str | None) -> None:
    """Send discord.py's REST calls and gateway connection elsewhere (an HTTP proxy, or a test stand-in)."""
    if api_base:
        discord.http.Route.BASE = api_base.rstrip("/")
    if gateway:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)


def user_message(exc: BaseException) -> str | None:
    """Return what to tell the user about an expected failure, or None for an unexpected one."""
    if isinstance(exc, IndexEmpty):
        return "Nothing is indexed yet: ask an admin to run /reindex."
    if isinstance(exc, IndexBusy):
        return str(exc)
    if isinstance(exc, IndexModelMismatch):
        return "The index was built with another embedding model: an admin needs to run /reindex full."
    if isinstance(exc, IndexProblem):  # logged once per outage by the Assistant
        return "The knowledge base is unavailable right now; please try again shortly."
    if isinstance(exc, QuestionRejected | UploadRejected):
        return str(exc)
    return None


def error_reply(exc: BaseException) -> str:
    """Return the reply for any failure; an unexpected one is logged in full under a short error id."""
    known = user_message(exc)
    if known is not None:
        return known
    error_id = uuid.uuid4().hex[:8]
    log.error("error %s", error_id, exc_info=exc)
    return f"Sorry, something went wrong (error `{error_id}`). The organisers can find it in the log."


class MissionBot(commands.Bot):
    """missionbot on Discord. Answers come from the Assistant; this class only wires Discord up."""

    def __init__(self, settings: BotSettings, assistant: Assistant, agenda: Agenda | None,
                 feedback: FeedbackStore, **options) -> None:
        intents = discord.Intents.default()
        intents.message_content = True  # questions are asked in plain messages
        super().__init__(command_prefix=commands.when_mentioned, intents=intents, help_command=None,
                         allowed_mentions=discord.AllowedMentions.none(), **options)
        self.settings = settings
        self.assistant = assistant
        self.agenda = agenda
        self.feedback = feedback
        self.cooldown = commands.CooldownMapping.from_cooldown(settings.cooldown_questions,
                                                               settings.cooldown_seconds, lambda user_id: user_id)
        self.health = HealthServer(self, settings.health_host, settings.health_port) if settings.health_port else None

    async def setup_hook(self) -> None:
        if self.health is not None:
            await self.health.start()
        for name in EXTENSIONS:
            await self.load_extension(f"bot.discord_bot.cogs.{name}")
        self.tree.on_error = self.on_app_command_error
        for guild_id in self.settings.guild_ids:
            guild = discord.Object(guild_id)
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)
        if not self.settings.guild_ids:
            await self.tree.sync()

    async def close(self) -> None:
        if self.health is not None:
            await self.health.stop()
        await super().close()

    async def on_message(self, message: discord.Message) -> None:
        """Questions are handled by the ask cog; there are no prefix commands."""

    async def on_ready(self) -> None:
        log.info("connected to Discord as %s in %d servers", self.user, len(self.guilds))

    def retry_after(self, user_id: int) -> float | None:
        """Count a question against the user's cooldown; return seconds to wait if over it."""
        return self.cooldown.get_bucket(user_id).update_rate_limit()

    def is_admin(self, interaction: discord.Interaction) -> bool:
        """Say whether the member may use admin commands (checked on the server side, not just hidden)."""
        permissions = interaction.permissions
        if permissions.manage_guild or permissions.administrator:
            return True
        roles = getattr(interaction.user, "roles", [])
        return any(role.id in self.settings.admin_role_ids for role in roles)

    async def on_app_command_error(self, interaction: discord.Interaction,
                                   error: app_commands.AppCommandError) -> None:
        if isinstance(error, app_commands.CheckFailure):
            text = NOT_ADMIN
        else:
            text = error_reply(getattr(error, "original", error))
        await send_private(interaction, text)


async def send_private(interaction: discord.Interaction, text: str) -> None:
    """Reply to an interaction with a private message, whether or not it was acknowledged yet."""
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True)
    else:
        await interaction.response.send_message(text, ephemeral=True)


async def admin_only(interaction: discord.Interaction) -> bool:
    """An app_commands check: admins only."""
    return interaction.client.is_admin(interaction)


class ShardedMissionBot(MissionBot, commands.AutoShardedBot):
    """The same bot over several gateway shards (MISSIONBOT_SHARDS), for many servers."""


def build_bot(settings: BotSettings, engine: AnswerEngine, **options) -> MissionBot:
    """Assemble the bot from settings and an engine (options go to discord.py's client)."""
    agenda = load_agenda(settings.agenda_file) if settings.agenda_file and settings.agenda_file.is_file() else None
    parts = (settings, Assistant(settings, engine), agenda, FeedbackStore(settings.feedback_db))
    if settings.shards:
        return ShardedMissionBot(*parts, shard_count=settings.shards, **options)
    return MissionBot(*parts, **options)


def run(settings: BotSettings, engine: AnswerEngine) -> None:
    """Connect to Discord and answer until stopped (logging is configured by the caller)."""
    point_at(settings.discord_api_base, settings.discord_gateway_url)
    build_bot(settings, engine).run(settings.discord_token.get_secret_value(), log_handler=None)
