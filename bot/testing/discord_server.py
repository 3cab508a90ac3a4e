"""A local stand-in for Discord's REST API and gateway, enough for an unmodified discord.py bot.

It keeps what the bot sends, rejects what Discord rejects (over-long content and embeds, an
interaction acknowledged after 3 seconds or twice), and lets a test drive the bot with gateway
events: messages, slash commands, autocomplete and button clicks. Like Discord, it gives a session that
identified with `shard: [id, count]` only the guilds of that shard, `(guild_id >> 22) % count`, and
sends each guild's events only to the session holding its shard.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import time
from dataclasses import dataclass, field

from aiohttp import WSMsgType, web

BOT_ID = 900_000_000_000_000_001
GUILD_ID = 900_000_000_000_000_100  # on shard 1 of 2
OTHER_GUILD_ID = GUILD_ID + (1 << 22)  # a guild created a millisecond later: on shard 0 of 2
CHANNEL_ID = 900_000_000_000_000_200
ASK_CHANNEL_ID = 900_000_000_000_000_201
ADMIN_ROLE_ID = 900_000_000_000_000_300
ACK_DEADLINE_S = 3.0
MANAGE_GUILD = 1 << 5
MEMBER_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 16)  # view channel, send messages, read history


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def user(user_id: int, name: str, bot: bool = False) -> dict:
    return {"id": str(user_id), "username": name, "global_name": name, "discriminator": "0", "avatar": None,
            "bot": bot}


def member(user_id: int, name: str, roles: list[int] = ()) -> dict:
    return {"user": user(user_id, name), "roles": [str(r) for r in roles], "joined_at": _now(), "deaf": False,
            "mute": False, "flags": 0, "nick": None, "avatar": None, "premium_since": None, "pending": False}


def shard_of(guild_id: int, count: int) -> int:
    """Return the shard that receives a guild's events, by Discord's rule."""
    return (guild_id >> 22) % count


def channel_in(guild_id: int) -> int:
    """Return the "general" channel of a guild the stand-in knows (GUILD_ID's is CHANNEL_ID)."""
    return CHANNEL_ID if guild_id == GUILD_ID else guild_id + (CHANNEL_ID - GUILD_ID)


def text_channel(channel_id: int, name: str, guild_id: int = GUILD_ID) -> dict:
    return {"id": str(channel_id), "type": 0, "guild_id": str(guild_id), "name": name, "position": 0,
            "permission_overwrites": [], "parent_id": None, "topic": None, "nsfw": False,
            "last_message_id": None, "rate_limit_per_user": 0}


@dataclass
class Call:
    """One REST request the bot made."""

    method: str
    path: str
    body: dict
    status: int = 200
    at: float = field(default_factory=time.monotonic)
    ephemeral: bool | None = None  # for a message: whether Discord shows it only to the user who asked


@dataclass
class Interaction:
    dispatched: float
    acknowledged: bool = False
    ack_delay: float | None = None
    original_ephemeral: bool | None = None  # the visibility of the response message, fixed when acknowledged
    thinking: bool = False  # deferred: its "thinking…" message still awaits its content


def check_message(body: dict) -> list[str]:
    """Return Discord's objections to a message payload (content and embed limits)."""
    problems = []
    if len(body.get("content") or "") > 2000:
        problems.append("content: must be 2000 or fewer in length")
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        problems.append("embeds: must be 10 or fewer")
    total = 0
    for e in embeds:
        sizes = {"title": 256, "description": 4096}
        for key, limit in sizes.items():
            total += len(e.get(key) or "")
            if len(e.get(key) or "") > limit:
                problems.append(f"embed {key}: must be {limit} or fewer in length")
        fields = e.get("fields") or []
        if len(fields) > 25:
            problems.append("embed fields: must be 25 or fewer")
        for f in fields:
            total += len(f.get("name", "")) + len(f.get("value", ""))
            if not f.get("name") or len(f["name"]) > 256 or not f.get("value") or len(f["value"]) > 1024:
                problems.append("embed field: name 1-256, value 1-1024 characters")
        total += len((e.get("footer") or {}).get("text", ""))
    if total > 6000:
        problems.append("embeds: 6000 characters in all at most")
    return problems


class FakeDiscord:
    """REST under /api/v10 and the gateway at /gateway, on loopback."""

    def __init__(self, port: int, guilds: tuple[int, ...] = (GUILD_ID,)) -> None:
        self.port = port
        self.guilds = guilds
        self.api_base = f"http://127.0.0.1:{port}/api/v10"
        self.gateway_url = f"ws://127.0.0.1:{port}/gateway"
        self.calls: list[Call] = []
        self.messages: dict[int, dict] = {}
        self.interactions: dict[str, Interaction] = {}
        self.attachments: dict[str, bytes] = {}
        self.commands: list[dict] = []
        self.identified = asyncio.Event()
        self.shards_identified: list[list[int] | None] = []  # the `shard` of each IDENTIFY, in order
        self.gateway_open = True  # False: new gateway connections are refused, as in an outage
        self._ids = itertools.count(910_000_000_000_000_000)
        self._seq = itertools.count(1)
        self._sessions: dict[web.WebSocketResponse, list[int] | None] = {}  # open session -> its shard
        self._runner: web.AppRunner | None = None
        self._changed = asyncio.Condition()

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> FakeDiscord:
        app = web.Application(client_max_size=64 * 2**20)
        api = "/api/v10"
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get(f"{api}/users/@me", self._me)
        app.router.add_get(f"{api}/oauth2/applications/@me", self._application)
        app.router.add_get(f"{api}/gateway/bot", self._gateway_bot)
        app.router.add_put(f"{api}/applications/{{app}}/commands", self._sync_commands)
        app.router.add_put(f"{api}/applications/{{app}}/guilds/{{guild}}/commands", self._sync_commands)
        app.router.add_post(f"{api}/channels/{{channel}}/messages", self._create_message)
        app.router.add_post(f"{api}/channels/{{channel}}/messages/{{message}}/threads", self._create_thread)
        app.router.add_post(f"{api}/channels/{{channel}}/typing", self._typing)
        app.router.add_post(f"{api}/interactions/{{id}}/{{token}}/callback", self._callback)
        app.router.add_patch(f"{api}/webhooks/{{app}}/{{token}}/messages/@original", self._edit_original)
        app.router.add_post(f"{api}/webhooks/{{app}}/{{token}}", self._followup)
        app.router.add_get("/attachments/{name}", self._attachment)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def stop(self) -> None:
        for ws in list(self._sessions):
            await ws.close()
        await self._runner.cleanup()

    async def drop_gateway(self) -> None:
        """Close the bot's gateway connection and refuse new ones until `restore_gateway`."""
        self.gateway_open = False
        for ws in list(self._sessions):
            await ws.close(code=4000)  # "unknown error": a client reconnects and resumes

    def restore_gateway(self) -> None:
        """Accept gateway connections again (a resumed session gets RESUMED)."""
        self.gateway_open = True

    # -- helpers for tests -------------------------------------------------------------------
    def next_id(self) -> int:
        return next(self._ids)

    async def dispatch(self, event: str, data: dict) -> None:
        """Send a gateway event to the session holding its guild's shard (direct messages: shard 0)."""
        guild = int(data.get("guild_id") or 0)
        sessions = [ws for ws, shard in self._sessions.items()
                    if shard is None or shard[0] == (shard_of(guild, shard[1]) if guild else 0)]
        if not sessions:
            raise LookupError(f"no gateway session holds the shard of guild {guild}")
        for ws in sessions:
            await ws.send_str(json.dumps({"op": 0, "t": event, "s": next(self._seq), "d": data}))

    def mark(self) -> int:
        """Return a position in the call log, to wait only for calls made after it."""
        return len(self.calls)

    async def wait_for(self, predicate, timeout: float = 30.0, since: int = 0) -> Call:
        """Wait until the bot has made a REST call matching predicate (after `since`); return the first."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(
                lambda: any(predicate(c) for c in self.calls[since:])), timeout)
        return next(c for c in self.calls[since:] if predicate(c))

    def message_payload(self, channel_id: int, author: dict, content: str, mentions: list[dict] = ()) -> dict:
        message_id = self.next_id()
        data = {"id": str(message_id), "channel_id": str(channel_id), "guild_id": str(GUILD_ID), "author": author,
                "member": {k: v for k, v in member(int(author["id"]), author["username"]).items() if k != "user"},
                "content": content, "timestamp": _now(), "edited_timestamp": None, "tts": False,
                "mention_everyone": False, "mentions": list(mentions), "mention_roles": [], "attachments": [],
                "embeds": [], "pinned": False, "type": 0, "flags": 0, "components": []}
        self.messages[message_id] = data
        return data

    def interaction_payload(self, kind: int, data: dict, who: dict, permissions: int = MEMBER_PERMISSIONS,
                            message: dict | None = None, guild: int = GUILD_ID) -> dict:
        interaction_id = str(self.next_id())
        token = f"token-{interaction_id}"
        self.interactions[token] = Interaction(time.monotonic())
        channel = channel_in(guild)
        payload = {"id": interaction_id, "application_id": str(BOT_ID), "type": kind, "data": data,
                   "guild_id": str(guild), "channel_id": str(channel),
                   "channel": text_channel(channel, "general", guild),
                   "member": {**who, "permissions": str(permissions)}, "token": token, "version": 1,
                   "app_permissions": str((1 << 53) - 1), "locale": "en-US", "guild_locale": "en-US",
                   "entitlements": [], "authorizing_integration_owners": {"0": str(guild)}, "context": 0,
                   "attachment_size_limit": 25 * 2**20}
        if message is not None:
            payload["message"] = message
        return payload

    def calls_for(self, token: str) -> list[Call]:
        """Return the REST calls answering one interaction (callback, edits, follow-ups)."""
        return [c for c in self.calls if token in c.path]

    # -- REST --------------------------------------------------------------------------------
    def _json(self, data, status: int = 200) -> web.Response:
        # Exactly "application/json": discord.py refuses a charset suffix at login.
        return web.Response(body=json.dumps(data).encode(), status=status,
                            headers={"Content-Type": "application/json"})

    async def _record(self, request: web.Request, body: dict, status: int = 200,
                      ephemeral: bool | None = None) -> None:
        async with self._changed:
            self.calls.append(Call(request.method, request.path, body, status, ephemeral=ephemeral))
            self._changed.notify_all()

    async def _body(self, request: web.Request) -> dict:
        if request.content_type == "multipart/form-data":
            form = await request.post()
            return json.loads(form["payload_json"])
        return await request.json() if request.can_read_body else {}

    def _invalid(self, problems: list[str]) -> web.Response:
        return self._json({"code": 50035, "message": "Invalid Form Body", "errors": {"_errors": problems}}, 400)

    async def _me(self, request: web.Request) -> web.Response:
        return self._json(user(BOT_ID, "missionbot", bot=True))

    async def _gateway_bot(self, request: web.Request) -> web.Response:
        await self._record(request, {})
        return self._json({"url": self.gateway_url, "shards": 1, "session_start_limit": {
            "total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}})

    async def _application(self, request: web.Request) -> web.Response:
        return self._json({"id": str(BOT_ID), "name": "missionbot", "icon": None, "description": "",
                           "bot_public": True, "bot_require_code_grant": False, "verify_key": "0" * 64,
                           "owner": user(1, "owner"), "flags": 0, "team": None, "summary": ""})

    async def _sync_commands(self, request: web.Request) -> web.Response:
        body = await request.json()
        await self._record(request, {"commands": body})
        self.commands = [{**c, "id": str(self.next_id()), "application_id": str(BOT_ID), "version": "1"}
                         for c in body]
        return self._json(self.commands)

    def _stored(self, channel_id: int, body: dict) -> dict:
        message_id = self.next_id()
        data = {"id": str(message_id), "channel_id": str(channel_id), "author": user(BOT_ID, "missionbot", True),
                "content": body.get("content") or "", "timestamp": _now(), "edited_timestamp": None, "tts": False,
                "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [],
                "embeds": body.get("embeds") or [], "pinned": False, "type": 0,
                "flags": body.get("flags") or 0, "components": body.get("components") or []}
        self.messages[message_id] = data
        return data

    async def _create_message(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        problems = check_message(body)
        await self._record(request, body, 400 if problems else 200)
        if problems:
            return self._invalid(problems)
        return self._json(self._stored(int(request.match_info["channel"]), body))

    async def _create_thread(self, request: web.Request) -> web.Response:
        body = await request.json()
        await self._record(request, body)
        thread_id = self.next_id()
        thread = {"id": str(thread_id), "type": 11, "guild_id": str(GUILD_ID),
                  "parent_id": request.match_info["channel"], "owner_id": str(BOT_ID), "name": body["name"],
                  "last_message_id": None, "message_count": 0, "member_count": 1, "rate_limit_per_user": 0,
                  "flags": 0, "thread_metadata": {"archived": False, "locked": False,
                                                  "auto_archive_duration": body.get("auto_archive_duration", 1440),
                                                  "archive_timestamp": _now()}}
        await self.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        return self._json(thread)

    async def _typing(self, request: web.Request) -> web.Response:
        await self._record(request, {})
        return web.Response(status=204)

    async def _callback(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        token = request.match_info["token"]
        interaction = self.interactions.get(token)
        elapsed = time.monotonic() - interaction.dispatched if interaction else None
        if interaction is None or elapsed > ACK_DEADLINE_S:
            await self._record(request, body, 404)
            return self._json({"code": 10062, "message": "Unknown interaction"}, 404)
        if interaction.acknowledged:
            await self._record(request, body, 400)
            return self._json({"code": 40060, "message": "Interaction has already been acknowledged."}, 400)
        problems = check_message(body.get("data") or {}) if body.get("type") in (4, 7) else []
        data = body.get("data") or {}
        await self._record(request, body, 400 if problems else 200, ephemeral=bool(data.get("flags", 0) & 64))
        if problems:
            return self._invalid(problems)
        interaction.acknowledged, interaction.ack_delay = True, elapsed
        interaction.original_ephemeral = bool(data.get("flags", 0) & 64)
        interaction.thinking = body["type"] == 5
        resource = {"type": body["type"]}
        if body["type"] in (4, 7):
            resource["message"] = self._stored(CHANNEL_ID, data)
        return self._json({"interaction": {"id": request.match_info["id"], "type": 2,
                                           "response_message_loading": body["type"] == 5,
                                           "response_message_ephemeral": bool(data.get("flags", 0) & 64)},
                           "resource": resource})

    async def _edit_original(self, request: web.Request) -> web.Response:
        return await self._webhook_message(request)

    async def _followup(self, request: web.Request) -> web.Response:
        return await self._webhook_message(request)

    async def _webhook_message(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        interaction = self.interactions.get(request.match_info["token"])
        problems = check_message(body)
        if interaction is None or not interaction.acknowledged:
            problems.append("unknown webhook: the interaction was never acknowledged")
        ephemeral = self._visibility(request, body, interaction) if not problems else None
        await self._record(request, body, 400 if problems else 200, ephemeral=ephemeral)
        if problems:
            return self._invalid(problems)
        return self._json(self._stored(CHANNEL_ID, {**body, "flags": 64 if ephemeral else 0}))

    @staticmethod
    def _visibility(request: web.Request, body: dict, interaction: Interaction) -> bool:
        """Discord's rule: the response message keeps the visibility it was acknowledged with, and while a
        deferral's "thinking…" message waits, the first follow-up becomes that message, whatever flags it
        asks for. Later follow-ups have their own."""
        editing_original = request.method == "PATCH"
        if editing_original or interaction.thinking:
            interaction.thinking = False
            return bool(interaction.original_ephemeral)
        return bool((body.get("flags") or 0) & 64)

    async def _attachment(self, request: web.Request) -> web.Response:
        data = self.attachments.get(request.match_info["name"])
        return web.Response(body=data, status=200 if data is not None else 404)

    # -- gateway -----------------------------------------------------------------------------
    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        if not self.gateway_open:
            return web.Response(status=503)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sessions[ws] = None
        try:
            await self._serve_session(ws)
        finally:
            self._sessions.pop(ws, None)
        return ws

    async def _serve_session(self, ws: web.WebSocketResponse) -> None:
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 40_000}}))
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                continue
            payload = json.loads(message.data)
            if payload["op"] == 1:
                await ws.send_str(json.dumps({"op": 11}))
            elif payload["op"] == 2:
                await self._ready(ws, payload["d"].get("shard"))
            elif payload["op"] == 6:  # RESUME after a lost connection: the session keeps its shard
                self._sessions[ws] = _shard_of_session(payload["d"].get("session_id", ""))
                await ws.send_str(json.dumps({"op": 0, "t": "RESUMED", "s": next(self._seq), "d": {}}))

    async def _ready(self, ws: web.WebSocketResponse, shard: list[int] | None) -> None:
        self.shards_identified.append(shard)
        self._sessions[ws] = shard
        guilds = [g for g in self.guilds if shard is None or shard_of(g, shard[1]) == shard[0]]
        session_id = "session" + "".join(f"-{n}" for n in shard or ())  # RESUME finds the shard in it
        await ws.send_str(json.dumps({"op": 0, "t": "READY", "s": next(self._seq), "d": {
            **({"shard": shard} if shard else {}),
            "v": 10, "user": user(BOT_ID, "missionbot", bot=True),
            "guilds": [{"id": str(g), "unavailable": True} for g in guilds],
            "session_id": session_id, "resume_gateway_url": self.gateway_url, "private_channels": [],
            "relationships": [], "application": {"id": str(BOT_ID), "flags": 0}}}))
        for guild in guilds:
            await ws.send_str(json.dumps({"op": 0, "t": "GUILD_CREATE", "s": next(self._seq),
                                          "d": guild_create(guild)}))
        self.identified.set()


def _shard_of_session(session_id: str) -> list[int] | None:
    """Return the shard a session id given in READY stands for ("session-1-2": shard 1 of 2)."""
    numbers = [int(n) for n in session_id.split("-")[1:]]
    return numbers or None


def guild_create(guild_id: int) -> dict:
    """Return a GUILD_CREATE payload: two text channels (GUILD_ID's are CHANNEL_ID and ASK_CHANNEL_ID), the
    everyone and admin roles, and the bot as its one member."""
    everyone = {"id": str(guild_id), "name": "@everyone", "color": 0, "hoist": False, "position": 0,
                "permissions": str(MEMBER_PERMISSIONS), "managed": False, "mentionable": False, "flags": 0}
    admin = {**everyone, "id": str(ADMIN_ROLE_ID), "name": "mission-admins", "position": 1}
    channel, ask = channel_in(guild_id), channel_in(guild_id) - CHANNEL_ID + ASK_CHANNEL_ID
    return {
        "id": str(guild_id), "name": "Mission", "owner_id": "1", "unavailable": False, "large": False,
        "member_count": 3, "roles": [everyone, admin], "emojis": [], "stickers": [], "features": [],
        "channels": [text_channel(channel, "general", guild_id), text_channel(ask, "ask-the-bot", guild_id)],
        "threads": [], "members": [member(BOT_ID, "missionbot")], "presences": [], "voice_states": [],
        "stage_instances": [], "guild_scheduled_events": [], "joined_at": _now(), "premium_tier": 0,
        "preferred_locale": "en-US", "verification_level": 0, "default_message_notifications": 0,
        "explicit_content_filter": 0, "mfa_level": 0, "system_channel_flags": 0, "nsfw_level": 0,
        "afk_timeout": 300, "icon": None, "splash": None, "discovery_splash": None, "banner": None,
        "description": None, "premium_subscription_count": 0, "max_members": 1000, "vanity_url_code": None}
