"""The Discord face as a process: health first, then the knowledge base, then Discord, and a graceful stop.

`/healthz` answers from the first moment (503 "starting" while the index is opened and filled), so an
orchestrator sees a starting bot rather than refused connections. SIGTERM (every deploy, `docker stop`)
and Ctrl-C stop the bot gracefully: no new questions, the ones in flight answered within
MISSIONBOT_SHUTDOWN_SECONDS (or told the bot is restarting), then Discord, the feedback database and
the index are closed.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable
from typing import TypeVar

from bot.app import build_engine, close_engine, index_if_needed
from bot.discord_bot.client import MissionBot, build_bot, point_at
from bot.discord_bot.health import HealthServer
from bot.settings import BotSettings
from bot.wording import failure_bullet
from ingest import summary

log = logging.getLogger(__name__)

T = TypeVar("T")


def run(settings: BotSettings) -> int:
    """Answer on Discord until SIGTERM or Ctrl-C; return the exit code."""
    point_at(settings.discord_api_base, settings.discord_gateway_url)
    return asyncio.run(serve(settings))


async def serve(settings: BotSettings) -> int:
    """Serve health, open and index the knowledge base, run the bot, and stop gracefully on a signal."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    health = HealthServer(settings.health_host, settings.health_port) if settings.health_port else None
    if health is not None:
        await health.start()
    try:
        engine = await until_stopped(stop, build_engine, settings)
        if engine is None:
            return 0
        try:
            if not await until_stopped(stop, _index, engine, settings):
                return 0
            bot = build_bot(settings, engine)
            if health is not None:
                health.watch(bot)
            await run_until_stopped(bot, settings, stop)
        finally:
            await asyncio.to_thread(close_engine, engine)
    finally:
        if health is not None:
            await health.stop()
    log.info("stopped cleanly")
    return 0


def _index(engine, settings: BotSettings) -> bool:
    report = index_if_needed(engine, settings)
    if report:
        log.info("indexed: %s", summary(report))
        for failure in report.failures:
            log.warning("%s", failure_bullet(failure))
    return True


async def until_stopped(stop: asyncio.Event, fn: Callable[..., T], *args) -> T | None:
    """Run start-up work in a daemon thread; return None if a stop signal comes first (the work may be
    abandoned: indexing is safe to interrupt, and a daemon thread does not hold the process open)."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()

    def work() -> None:
        try:
            outcome = (fn(*args), None)
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting coroutine
            outcome = (None, exc)
        loop.call_soon_threadsafe(_settle, done, *outcome)

    threading.Thread(target=work, name="missionbot-start", daemon=True).start()
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({done, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    if not done.done():
        log.info("stopped while starting up")
        return None
    return done.result()


def _settle(future: asyncio.Future, result, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


async def run_until_stopped(bot: MissionBot, settings: BotSettings, stop: asyncio.Event) -> None:
    """Run the bot until it ends by itself or a stop signal comes; then shut it down gracefully."""
    async with bot:
        running = asyncio.create_task(bot.start(settings.discord_token.get_secret_value()))
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if stopping.done():
            await bot.shutdown(settings.shutdown_seconds)
        else:
            stopping.cancel()
        await running  # a failure to connect (a bad token) is raised here


def sync_commands(settings: BotSettings) -> int:
    """Sync the slash commands with Discord now, changed or not, and exit."""
    commands_only = settings.model_copy(update={"reindex_minutes": 0})
    point_at(settings.discord_api_base, settings.discord_gateway_url)

    async def sync() -> None:
        async with build_bot(commands_only, None, force_sync=True) as bot:
            await bot.login(settings.discord_token.get_secret_value())  # runs setup_hook, which syncs

    asyncio.run(sync())
    return 0
