"""The real discord.py bot against the local Discord stand-in: in this process (`running_bot`) or as
`python -m bot` in its own (`bot_process`), driven as users would drive it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bot.app import build_engine, close_engine, index_if_needed
from bot.discord_bot.client import MissionBot, build_bot, point_at
from bot.discord_bot.health import RECONNECT_GRACE_S, HealthServer
from bot.settings import BotSettings
from bot.testing import free_port
from bot.testing.discord_server import (
    ADMIN_ROLE_ID,
    ASK_CHANNEL_ID,
    BOT_ID,
    CHANNEL_ID,
    GUILD_ID,
    FakeDiscord,
    member,
    user,
)
from ingest import PROJECT_ROOT

TOKEN = "discord-test-token-SECRET-0123456789"


@dataclass
class Driver:
    """Talk to a bot through the stand-in as users would: messages, slash commands, button clicks."""

    server: FakeDiscord

    async def say(self, content: str, channel: int = CHANNEL_ID, author: dict | None = None,
                  mention_bot: bool = False) -> dict:
        """Post a message as a user; return its payload."""
        author = author or user(500, "participant")
        mentions = [user(BOT_ID, "missionbot", bot=True)] if mention_bot else []
        payload = self.server.message_payload(channel, author, content, mentions)
        await self.server.dispatch("MESSAGE_CREATE", payload)
        return payload

    async def command(self, name: str, options: list[dict] | None = None, who: dict | None = None,
                      permissions: int | None = None, kind: int = 2, resolved: dict | None = None) -> str:
        """Run a slash command (kind 2) or its autocomplete (kind 4) as a member; return the token."""
        data = {"id": next((c["id"] for c in self.server.commands if c["name"] == name), "1"), "name": name,
                "type": 1, "options": options or [], "guild_id": str(GUILD_ID)}
        if resolved:
            data["resolved"] = resolved
        kwargs = {"permissions": permissions} if permissions is not None else {}
        payload = self.server.interaction_payload(kind, data, who or member(501, "participant"), **kwargs)
        await self.server.dispatch("INTERACTION_CREATE", payload)
        return payload["token"]

    async def click(self, custom_id: str, message: dict, who: dict) -> str:
        """Click a button on a message; return the token."""
        payload = self.server.interaction_payload(3, {"custom_id": custom_id, "component_type": 2}, who,
                                                  message=message)
        await self.server.dispatch("INTERACTION_CREATE", payload)
        return payload["token"]

    async def reply_to(self, token: str, path_end: str = "", timeout: float = 30.0):
        """Wait for the bot's call answering an interaction (callback, or the edit of @original)."""
        return await self.server.wait_for(lambda c: token in c.path and c.path.endswith(path_end), timeout)


@dataclass
class Harness(Driver):
    """The stand-in server and the running bot in this process, with its settings, documents and log lines."""

    bot: MissionBot
    settings: BotSettings
    docs: Path
    logs: list[str]


class LogCollector(logging.Handler):
    """Keep every log line (INFO and up, as the bot runs by default) for the tests to search."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record) + (repr(record.exc_info[1]) if record.exc_info else ""))


@contextlib.asynccontextmanager
async def running_bot(workdir: Path, reconnect_grace: float = RECONNECT_GRACE_S, **overrides) -> AsyncIterator[Harness]:
    """Index a copy of the bundled documents, start the stand-in and the real bot against it (and /healthz,
    with a health_port). `overrides` are settings."""
    docs = workdir / "docs"
    shutil.copytree(PROJECT_ROOT / "data" / "documents", docs, dirs_exist_ok=True)
    server = await FakeDiscord(free_port()).start()
    values = dict(docs_dir=docs, index_dir=workdir / "index", feedback_db=workdir / "feedback.sqlite3",
                  answer_mode="extractive", ask_channel_ids=[ASK_CHANNEL_ID], admin_role_ids=[ADMIN_ROLE_ID],
                  cooldown_questions=3, cooldown_seconds=60, max_upload_mb=1, discord_api_base=server.api_base,
                  discord_gateway_url=server.gateway_url, health_port=0, _env_file=None) | overrides
    settings = BotSettings(**values, **{"DISCORD_TOKEN": TOKEN})
    engine = build_engine(settings)
    await asyncio.to_thread(index_if_needed, engine, settings)
    point_at(settings.discord_api_base, settings.discord_gateway_url)
    logs, root = LogCollector(), logging.getLogger()
    level = root.level
    root.addHandler(logs)
    root.setLevel(logging.INFO)
    health = HealthServer("127.0.0.1", settings.health_port, reconnect_grace) if settings.health_port else None
    if health is not None:
        await health.start()
    bot = build_bot(settings, engine, guild_ready_timeout=0.05)
    if health is not None:
        health.watch(bot)
    task = asyncio.create_task(bot.start(TOKEN))
    await asyncio.wait_for(bot.wait_until_ready(), 30)
    try:
        yield Harness(server, bot, settings, docs, logs.lines)
    finally:
        root.removeHandler(logs)
        root.setLevel(level)
        await bot.close()
        await asyncio.wait_for(task, 10)
        if health is not None:
            await health.stop()
        close_engine(engine)
        await server.stop()


@dataclass
class BotProcess(Driver):
    """`python -m bot` running in its own process against a stand-in; its stderr once it has stopped."""

    process: asyncio.subprocess.Process | None = None
    health_port: int = 0
    log_path: Path | None = None
    stderr: str = ""

    async def health(self) -> tuple[int, dict] | None:
        """Return /healthz's status and body, or None while nothing listens yet."""
        try:
            async with aiohttp.ClientSession() as session:
                async with session.get(f"http://127.0.0.1:{self.health_port}/healthz") as response:
                    return response.status, await response.json()
        except aiohttp.ClientConnectionError:
            return None

    async def logged(self, text: str) -> None:
        """Wait until the bot's log (stderr) contains text (polled: it is another process's file)."""
        while text not in self.log_path.read_text(errors="replace"):
            await asyncio.sleep(0.05)

    async def healthy(self) -> None:
        """Wait until /healthz says the bot is ready (polled: it is another process's state)."""
        while (await self.health() or (0,))[0] != 200:
            if self.process.returncode is not None:
                raise RuntimeError(f"python -m bot exited with {self.process.returncode} before it was ready")
            await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def bot_process(workdir: Path, docs: Path, ready: bool = True, server: FakeDiscord | None = None,
                      **env: str) -> AsyncIterator[BotProcess]:
    """Start `python -m bot` as `make run` does (DISCORD_TOKEN and the two Discord URL settings) against a
    new stand-in (or `server`, which stays up), and wait until it handles events (unless not `ready`).
    `env` adds or overrides settings."""
    own_server = server is None
    server, health_port = server or await FakeDiscord(free_port()).start(), free_port()
    environ = {**os.environ, "DISCORD_TOKEN": TOKEN, "MISSIONBOT_DOCS_DIR": str(docs),
               "MISSIONBOT_INDEX_DIR": str(workdir / "index"), "MISSIONBOT_HEALTH_PORT": str(health_port),
               "MISSIONBOT_FEEDBACK_DB": str(workdir / "feedback.sqlite3"),
               "MISSIONBOT_DISCORD_API_BASE": server.api_base, "MISSIONBOT_DISCORD_GATEWAY_URL": server.gateway_url,
               **env}
    log_path = workdir / "bot.stderr"
    with open(log_path, "wb") as log_file:  # a file, not a pipe: a full pipe would block the bot
        process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", env=environ, cwd=workdir,
                                                       stdout=asyncio.subprocess.DEVNULL, stderr=log_file)
    running = BotProcess(server, process, health_port=health_port, log_path=log_path)
    try:
        if ready:
            await asyncio.wait_for(running.healthy(), 120)  # connected, guilds received, index answering
        yield running
    finally:
        if process.returncode is None:
            process.terminate()
        await process.wait()
        running.stderr = log_path.read_text(errors="replace")
        if own_server:
            await server.stop()

