"""/healthz and /metrics (Prometheus), served from process start, before the bot exists.

/healthz answers 503 "starting" while the knowledge base is opened and indexed, then reports the
gateway's real state: connected, or reconnecting since when. A bot that has been reconnecting for
longer than RECONNECT_GRACE_S is unhealthy (503), so an orchestrator restarts a bot that cannot reach
Discord, while a routine reconnect of a few seconds is not a failure.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from dataclasses import dataclass, field

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

log = logging.getLogger(__name__)

INDEX_PROBE_TIMEOUT_S = 3.0
RECONNECT_GRACE_S = 30.0


@dataclass
class GatewayState:
    """Whether each gateway connection (one per shard; None without sharding) is up, and since when."""

    shards: dict[int | None, tuple[bool, float]] = field(default_factory=dict)
    started: float = field(default_factory=time.time)

    def up(self, shard: int | None = None) -> None:
        """Record that a connection is up (READY or RESUMED)."""
        if not self.shards.get(shard, (False,))[0]:
            self.shards[shard] = (True, time.time())

    def down(self, shard: int | None = None) -> None:
        """Record that a connection was lost (discord.py reconnects by itself)."""
        if self.shards.get(shard, (True,))[0]:
            self.shards[shard] = (False, time.time())
            log.info("lost the connection to Discord%s; reconnecting", "" if shard is None else f" (shard {shard})")

    def describe(self) -> tuple[str, float]:
        """Return "connecting", "connected" or "reconnecting", and since when (a Unix time)."""
        if not self.shards:
            return "connecting", self.started
        down = [since for connected, since in self.shards.values() if not connected]
        if down:
            return "reconnecting", min(down)
        return "connected", max(since for _, since in self.shards.values())


class HealthServer:
    """A small HTTP server in the bot's event loop; it knows the bot once `watch` is called."""

    def __init__(self, host: str, port: int, reconnect_grace: float = RECONNECT_GRACE_S) -> None:
        self.host, self.port, self.reconnect_grace = host, port, reconnect_grace
        self.bot = None
        self._runner: web.AppRunner | None = None

    def watch(self, bot) -> None:
        """Report this bot's gateway and index from now on (until then: 503 "starting")."""
        self.bot = bot

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/metrics", self.metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, self.host, self.port).start()
        except OSError as exc:  # a busy port must not keep the bot from answering
            log.error("cannot serve /healthz and /metrics on %s:%d (%s); set MISSIONBOT_HEALTH_PORT to a free "
                      "port, or 0 to turn them off", self.host, self.port, exc.strerror or exc)
            return
        log.info("health and metrics on http://%s:%d/healthz and /metrics", self.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def healthz(self, request: web.Request) -> web.Response:
        if self.bot is None or self.bot.is_closed():
            return _json({"status": "stopping" if self.bot else "starting", "discord": False, "index": False}, 503)
        gateway, since = self.bot.gateway.describe()
        discord_ok = gateway == "connected" or (gateway == "reconnecting" and
                                                time.time() - since < self.reconnect_grace)
        index_ok = await self.bot.assistant.index_reachable(INDEX_PROBE_TIMEOUT_S)
        ok = discord_ok and index_ok and self.bot.is_ready()
        status = "ok" if ok else ("starting" if gateway == "connecting" else "unhealthy")
        return _json({"status": status, "discord": discord_ok, "gateway": gateway,
                      "since": dt.datetime.fromtimestamp(since, dt.UTC).isoformat(timespec="seconds"),
                      "index": index_ok}, 200 if ok else 503)

    async def metrics(self, request: web.Request) -> web.Response:
        if self.bot is None:
            return web.Response(status=503, text="starting")
        return web.Response(body=self.bot.assistant.metrics.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST})


def _json(body: dict, status: int) -> web.Response:
    return web.Response(text=json.dumps(body), status=status, content_type="application/json")
