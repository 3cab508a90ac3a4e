"""Bot settings: the index settings plus the answer mode, the language model and Discord."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, BeforeValidator, Field, SecretStr, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from ingest import PROJECT_ROOT, IndexSettings

MAX_QUESTION_CHARS = 1000  # longer questions are refused (the engine's default too)
HISTORY_TURNS = 6  # turns a conversation keeps for follow-ups (the engine's default too)


def _numbers(what: str):
    """Return a validator that accepts "1, 2" or "1 2" as well as a list, and names `what` when it refuses."""

    def parse(value: object) -> object:
        if isinstance(value, str):
            parts = value.replace(",", " ").split()
            if not all(part.isdigit() for part in parts):
                raise ValueError(f"must be {what} (numbers), separated by commas or spaces")
            return [int(part) for part in parts]
        return value

    return parse


IdList = Annotated[list[int], NoDecode, BeforeValidator(_numbers("Discord ids"))]
ShardList = Annotated[list[int], NoDecode, BeforeValidator(_numbers("shard ids"))]


class BotSettings(IndexSettings):
    """Everything the bot and the terminal chat read from the environment or .env."""

    model_config = SettingsConfigDict(validate_by_name=True)  # BotSettings(shard_count=2) as well as the env name

    answer_mode: Literal["auto", "extractive", "llm"] = "auto"
    openai_api_key: SecretStr | None = Field(None, validation_alias=AliasChoices("OPENAI_API_KEY"))
    openai_base_url: str | None = Field(None, validation_alias=AliasChoices("OPENAI_BASE_URL"))
    llm_model: str | None = None
    llm_timeout: float = Field(20.0, gt=0)
    llm_max_retries: int = Field(1, ge=0, le=5)
    llm_temperature: float = Field(0.0, ge=0, le=2)
    answer_threshold: float | None = Field(None, ge=0, le=1)  # None: the fitted bot.weights.THRESHOLD
    max_question_chars: int = Field(MAX_QUESTION_CHARS, ge=20, le=4000)
    history_turns: int = Field(HISTORY_TURNS, ge=0, le=50)
    prompts_dir: Path = PROJECT_ROOT / "prompts"

    discord_token: SecretStr | None = Field(None, validation_alias=AliasChoices("DISCORD_TOKEN"))
    ask_channel_ids: IdList = []  # every new message in these channels is a question
    admin_role_ids: IdList = []  # besides members with Manage Server
    reply_in_thread: bool = True  # a mention is answered in a thread opened on it (else inline)
    cooldown_questions: int = Field(3, ge=1)  # questions a user may ask ...
    cooldown_seconds: float = Field(30.0, ge=0)  # ... per this many seconds
    max_upload_mb: float = Field(10.0, gt=0)
    reindex_minutes: float = Field(0.0, ge=0)  # periodic re-index; 0 = off
    feedback_db: Path = PROJECT_ROOT / ".index" / "feedback.sqlite3"
    discord_api_base: str | None = None  # another REST base (an HTTP proxy in front of Discord, or tests)
    discord_gateway_url: str | None = None  # another gateway
    health_host: str = "127.0.0.1"  # 0.0.0.0 in a container, so Prometheus can scrape it
    health_port: int = Field(8080, ge=0, le=65535)  # /healthz and /metrics; 0 = off
    shutdown_seconds: float = Field(20.0, ge=0, le=600)  # on SIGTERM, time to finish the answers in flight
    # AutoShardedBot with this many shards in all; MISSIONBOT_SHARDS is its older name, still read
    shard_count: int | None = Field(None, ge=1, validation_alias=AliasChoices(
        "MISSIONBOT_SHARD_COUNT", "MISSIONBOT_SHARDS"))
    shard_ids: ShardList = []  # the shards this process runs; empty = all of them
    guild_ids: IdList = []  # sync slash commands to these guilds at start-up (instant), else globally

    @model_validator(mode="after")
    def _llm_mode_needs_a_model(self) -> BotSettings:
        if self.answer_mode == "llm" and not self.llm_enabled():
            raise ValueError("MISSIONBOT_ANSWER_MODE=llm needs MISSIONBOT_LLM_MODEL and OPENAI_API_KEY or "
                             "OPENAI_BASE_URL; set them, or use auto or extractive")
        return self

    @model_validator(mode="after")
    def _shards_fit_the_count(self) -> BotSettings:
        if not self.shard_ids:
            return self
        ids = f"MISSIONBOT_SHARD_IDS={','.join(map(str, self.shard_ids))}"
        if self.shard_count is None:
            raise ValueError(f"{ids} needs MISSIONBOT_SHARD_COUNT, the number of shards across all processes")
        if max(self.shard_ids) >= self.shard_count or len(set(self.shard_ids)) < len(self.shard_ids):
            raise ValueError(f"{ids}: must be different shard ids from 0 to {self.shard_count - 1} "
                             f"(MISSIONBOT_SHARD_COUNT={self.shard_count})")
        if not self.chroma_host and len(self.shard_ids) < self.shard_count:
            raise ValueError(f"{ids} leaves other shards to other processes, and they must share a Chroma server "
                             f"(MISSIONBOT_CHROMA_HOST): the embedded index belongs to one process")
        return self

    def runs_shard_zero(self) -> bool:
        """Say whether this process does the work done once per deployment (command sync, periodic re-index).

        That is the process running shard 0, which Discord also sends direct messages to; without sharding,
        the only process."""
        return not self.shard_ids or 0 in self.shard_ids

    def llm_enabled(self) -> bool:
        """Say whether answers should be written by the language model."""
        if self.answer_mode == "extractive":
            return False
        return bool(self.llm_model and (self.openai_api_key or self.openai_base_url))
