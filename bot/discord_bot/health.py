"""/healthz (ready when connected to Discord and the index answers) and /metrics (Prometheus)."""

from __future__ import annotations

import json
import logging

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

log = logging.getLogger(__name__)

INDEX_PROBE_TIMEOUT_S = 3.0


class HealthServer:
    """A small HTTP server in the bot's event loop."""

    def __init__(self, bot, host: str, port: int) -> None:
        self.bot, self.host, self.port = bot, host, port
        self._runner: web.AppRunner | None = None

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
        discord_ok = self.bot.is_ready() and not self.bot.is_closed()
        index_ok = await self.bot.assistant.index_reachable(INDEX_PROBE_TIMEOUT_S)
        body = {"discord": discord_ok, "index": index_ok}
        return web.Response(text=json.dumps(body), status=200 if discord_ok and index_ok else 503,
                            content_type="application/json")

    async def metrics(self, request: web.Request) -> web.Response:
        return web.Response(body=self.bot.assistant.metrics.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST})
