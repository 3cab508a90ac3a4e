"""Run the Discord face as a process: open and index the knowledge base, then connect and answer."""

from __future__ import annotations

import asyncio
import logging

from bot.app import build_engine, index_if_needed
from bot.discord_bot.client import build_bot, point_at
from bot.settings import BotSettings
from bot.wording import failure_bullet
from ingest import summary

log = logging.getLogger(__name__)


def run(settings: BotSettings) -> int:
    """Index the documents if the index is empty, then answer on Discord until stopped."""
    engine = build_engine(settings)
    report = index_if_needed(engine, settings)
    if report:
        log.info("indexed: %s", summary(report))
        for failure in report.failures:
            log.warning("%s", failure_bullet(failure))
    point_at(settings.discord_api_base, settings.discord_gateway_url)
    log.info("connecting to Discord")
    build_bot(settings, engine).run(settings.discord_token.get_secret_value(), log_handler=None)
    return 0


def sync_commands(settings: BotSettings) -> int:
    """Sync the slash commands with Discord now, changed or not, and exit."""
    commands_only = settings.model_copy(update={"health_port": 0, "reindex_minutes": 0})
    point_at(settings.discord_api_base, settings.discord_gateway_url)

    async def sync() -> None:
        async with build_bot(commands_only, None, force_sync=True) as bot:
            await bot.login(settings.discord_token.get_secret_value())  # runs setup_hook, which syncs

    asyncio.run(sync())
    return 0
