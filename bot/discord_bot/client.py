"""The discord.py client: intents, extensions (one cog per feature), command sync and error replies."""

from __future__ import annotations

import asyncio
import logging
import sqlite3

import discord
import yarl
from discord import app_commands
from discord.ext import commands

from bot.agenda import Agenda, load_agenda
from bot.answer import Answer
from bot.discord_bot.health import GatewayState
from bot.discord_bot.sync import STATE_FILE, CommandSync
from bot.engine import AnswerEngine
from bot.feedback import FeedbackStore, open_feedback
from bot.inflight import RESTARTING
from bot.service import Assistant
from bot.settings import BotSettings
from bot.wording import failure_reply, slow_down, user_message

log = logging.getLogger(__name__)

EXTENSIONS = ("ask", "agenda", "info", "admin", "feedback")
# What the bot needs in a channel; README's invite link carries this value.
PERMISSIONS = discord.Permissions(view_channel=True, send_messages=True, send_messages_in_threads=True,
                                  create_public_threads=True, embed_links=True, read_message_history=True)
NOT_ADMIN = "This command is for admins (Manage Server, or an admin role set by the organisers)."
COULD_NOT_ANSWER = "Sorry, I could not answer this; I have sent you the details privately."
PUBLIC_THINKING = "missionbot.public_thinking"  # interaction.extras key: a public "thinking…" awaits the answer


def point_at(api_base: str | None, gateway: str | None) -> None:
    """Send discord.py's REST calls and gateway connection elsewhere (an HTTP proxy, or a test stand-in)."""
    if api_base:
        discord.http.Route.BASE = api_base.rstrip("/")
    if gateway:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)


class MissionBot(commands.Bot):
    """missionbot on Discord. Answers come from the Assistant; this class only wires Discord up."""

    sharded = False

    def __init__(self, settings: BotSettings, assistant: Assistant, agenda: Agenda | None,
                 feedback: FeedbackStore | None, force_sync: bool = False, **options) -> None:
        intents = discord.Intents.default()
        intents.message_content = True  # questions are asked in plain messages
        super().__init__(command_prefix=commands.when_mentioned, intents=intents, help_command=None,
                         allowed_mentions=discord.AllowedMentions.none(), **options)
        self.settings = settings
        self.assistant = assistant
        self.agenda = agenda
        self.feedback = feedback  # None: feedback is off (its database could not be opened)
        self.force_sync = force_sync  # sync the slash commands even if unchanged (`python -m bot sync-commands`)
        self.cooldown = commands.CooldownMapping.from_cooldown(settings.cooldown_questions,
                                                               settings.cooldown_seconds, lambda user_id: user_id)
        self.gateway = GatewayState()  # what /healthz reports

    async def setup_hook(self) -> None:
        for name in EXTENSIONS:
            await self.load_extension(f"bot.discord_bot.cogs.{name}")
        self.tree.on_error = self.on_app_command_error
        if not (self.force_sync or self.settings.runs_shard_zero()):
            log.info("slash commands are synced by the process running shard 0, not this one")
            return
        state = self.settings.feedback_db.parent / STATE_FILE
        await CommandSync(state).sync(self, self.tree, self.settings.guild_ids, force=self.force_sync)

    async def shutdown(self, grace: float) -> None:
        """Stop gracefully: take no new questions, answer those in flight within `grace` seconds, close."""
        log.info("stopping: taking no new questions, finishing those in flight (up to %.0f s)", grace)
        await self.assistant.drain(grace)
        await self.close()

    async def close(self) -> None:
        await super().close()
        if self.feedback is not None:
            self.feedback.close()

    async def on_message(self, message: discord.Message) -> None:
        """Questions are handled by the ask cog; there are no prefix commands."""

    async def on_ready(self) -> None:
        log.info("connected to Discord as %s in %d servers", self.user, len(self.guilds))

    # The gateway's state for /healthz; a sharded bot reports each shard instead (see ShardedMissionBot).
    async def on_connect(self) -> None:
        if not self.sharded:
            self.gateway.up()

    async def on_resumed(self) -> None:
        if not self.sharded:
            self.gateway.up()

    async def on_disconnect(self) -> None:
        if not self.sharded and not self.is_closed():
            self.gateway.down()

    async def record(self, answer: Answer) -> str | None:
        """Keep an answer for votes, off the event loop; None if feedback is off or its database fails."""
        if self.feedback is None:
            return None
        try:
            return await asyncio.to_thread(self.feedback.record, answer)
        except sqlite3.Error as exc:  # a vote button is not worth an answer
            log.warning("an answer went out without vote buttons: the feedback database failed (%s)", exc)
            return None

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
        if isinstance(error, app_commands.CommandOnCooldown):
            await send_private(interaction, slow_down(error.retry_after))
        elif isinstance(error, NotTakingQuestions):
            await send_private(interaction, RESTARTING)
        elif isinstance(error, app_commands.CheckFailure):
            await send_private(interaction, NOT_ADMIN)
        else:
            await send_failure(interaction, getattr(error, "original", error))


def defer_publicly(interaction: discord.Interaction) -> None:
    """Note that a public "thinking…" message now stands for the answer (see send_failure)."""
    interaction.extras[PUBLIC_THINKING] = True


def answered(interaction: discord.Interaction) -> None:
    """Note that the public "thinking…" message has been replaced by the answer."""
    interaction.extras[PUBLIC_THINKING] = False


async def send_private(interaction: discord.Interaction, text: str) -> None:
    """Reply to an interaction with a private message, whether or not it was acknowledged yet."""
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True)
    else:
        await interaction.response.send_message(text, ephemeral=True)


async def send_failure(interaction: discord.Interaction, exc: BaseException) -> None:
    """Tell the user why their command failed; an unexpected failure's error id only to them.

    After a public deferral, Discord turns the first follow-up into the public "thinking…" message,
    whatever its flags say; so that message is first replaced (with the reason, or for an unexpected
    failure only with the fact), and the private follow-up after it really is private.
    """
    text = failure_reply(exc)
    if not interaction.extras.get(PUBLIC_THINKING):
        await send_private(interaction, text)
        return
    known = user_message(exc)
    await interaction.edit_original_response(content=known or COULD_NOT_ANSWER)
    answered(interaction)
    if known is None:
        await interaction.followup.send(text, ephemeral=True)


async def admin_only(interaction: discord.Interaction) -> bool:
    """An app_commands check: admins only."""
    return interaction.client.is_admin(interaction)


class NotTakingQuestions(app_commands.CheckFailure):
    """The bot is stopping and takes no new questions."""


async def taking_questions(interaction: discord.Interaction) -> bool:
    """An app_commands check: the bot is not stopping."""
    if interaction.client.assistant.closing:
        raise NotTakingQuestions()
    return True


async def within_cooldown(interaction: discord.Interaction) -> bool:
    """An app_commands check: the user is within the question cooldown (the one mentions count against too)."""
    bot, user_id = interaction.client, interaction.user.id
    wait = bot.retry_after(user_id)
    if wait:
        raise app_commands.CommandOnCooldown(bot.cooldown.get_bucket(user_id), wait)
    return True


class ShardedMissionBot(MissionBot, commands.AutoShardedBot):
    """The same bot over several gateway shards (MISSIONBOT_SHARD_COUNT), all of them or this process's
    share (MISSIONBOT_SHARD_IDS), for many servers."""

    sharded = True

    async def on_shard_connect(self, shard_id: int) -> None:
        self.gateway.up(shard_id)

    async def on_shard_resumed(self, shard_id: int) -> None:
        self.gateway.up(shard_id)

    async def on_shard_disconnect(self, shard_id: int) -> None:
        if not self.is_closed():
            self.gateway.down(shard_id)


def build_bot(settings: BotSettings, engine: AnswerEngine | None, **options) -> MissionBot:
    """Assemble the bot from settings and an engine (None: commands only, to sync them); options go to
    MissionBot and discord.py's client."""
    agenda = load_agenda(settings.agenda_file) if settings.agenda_file and settings.agenda_file.is_file() else None
    parts = (settings, Assistant(settings, engine), agenda, open_feedback(settings.feedback_db))
    if settings.shard_count:
        return ShardedMissionBot(*parts, shard_count=settings.shard_count, shard_ids=settings.shard_ids or None,
                                 **options)
    return MissionBot(*parts, **options)

