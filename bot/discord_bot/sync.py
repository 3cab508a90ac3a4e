"""Sync the slash commands only when they changed, or when an operator asks (`python -m bot sync-commands`).

Discord rate-limits syncs and can take up to an hour to show a global change, so syncing on every start
is what discord.py's own examples warn against. The digest of what was last synced, per application and
scope (global or a guild), is kept in a small JSON file beside the feedback database.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path

import discord
from discord import app_commands

log = logging.getLogger(__name__)

STATE_FILE = "commands-synced.json"


def tree_digest(tree: app_commands.CommandTree, guild: discord.abc.Snowflake | None) -> str:
    """Return a digest of exactly what a sync of this scope would send to Discord."""
    payload = [command.to_dict(tree) for command in tree.get_commands(guild=guild)]
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


class CommandSync:
    """Remember what was synced where, and sync a scope only when its commands differ from that."""

    def __init__(self, state_path: Path) -> None:
        self.state_path = state_path

    def _read(self) -> dict[str, str]:
        try:
            state = json.loads(self.state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # missing or damaged: sync, and write it anew
            return {}
        return state if isinstance(state, dict) else {}

    def _write(self, state: dict[str, str]) -> None:
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=".commands-", dir=self.state_path.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(state, out, indent=1, sort_keys=True)
        os.replace(temp, self.state_path)

    async def sync(self, bot: discord.Client, tree: app_commands.CommandTree, guild_ids: list[int],
                   force: bool = False) -> list[str]:
        """Sync the global commands, or copies of them in each of `guild_ids`; return the scopes synced."""
        state, synced = self._read(), []
        for guild in [discord.Object(g) for g in guild_ids] or [None]:
            if guild is not None:
                tree.copy_global_to(guild=guild)
            scope = f"guild {guild.id}" if guild else "global"
            key, digest = f"{bot.application_id}/{scope}", tree_digest(tree, guild)
            if not force and state.get(key) == digest:
                log.info("slash commands (%s) unchanged since the last sync; not syncing", scope)
                continue
            await tree.sync(guild=guild)
            state[key] = digest
            synced.append(scope)
            log.info("slash commands synced (%s)", scope)
        if synced:
            try:
                self._write(state)
            except OSError as exc:  # the next start syncs again; nothing else depends on it
                log.warning("could not remember the command sync in %s: %s", self.state_path, exc)
        return synced
