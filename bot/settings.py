"""Bot settings: the index settings plus the answer mode, the language model and Discord."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, BeforeValidator, Field, SecretStr, model_validator
from pydantic_settings import NoDecode

from ingest import PROJECT_ROOT, IndexSettings


def _ids(value: object) -> object:
    """Accept Discord ids as "123, 456" or "123 456" as well as a list."""
    if isinstance(value, str):
        parts = value.replace(",", " ").split()
        if not all(part.isdigit() for part in parts):
            raise ValueError("must be Discord ids (numbers), separated by commas or spaces")
        return [int(part) for part in parts]
    return value


IdList = Annotated[list[int], NoDecode, BeforeValidator(_ids)]


class BotSettings(IndexSettings):
    """Everything the bot and the terminal chat read from the environment or .env."""

    answer_mode: Literal["auto", "extractive", "llm"] = "auto"
    openai_api_key: SecretStr | None = Field(None, validation_alias=AliasChoices("OPENAI_API_KEY"))
    openai_base_url: str | None = Field(None, validation_alias=AliasChoices("OPENAI_BASE_URL"))
    llm_model: str | None = None
    llm_timeout: float = Field(20.0, gt=0)
    llm_max_retries: int = Field(1, ge=0, le=5)
    llm_temperature: float = Field(0.0, ge=0, le=2)
    answer_threshold: float | None = Field(None, ge=0, le=1)  # None: the fitted bot.weights.THRESHOLD
    max_question_chars: int = Field(1000, ge=20, le=4000)
    history_turns: int = Field(6, ge=0, le=50)
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
    shards: int | None = Field(None, ge=1)  # run as AutoShardedBot with this many shards
    guild_ids: IdList = []  # sync slash commands to these guilds at start-up (instant), else globally

    @model_validator(mode="after")
    def _llm_mode_needs_a_model(self) -> BotSettings:
        if self.answer_mode == "llm" and not self.llm_enabled():
            raise ValueError("MISSIONBOT_ANSWER_MODE=llm needs MISSIONBOT_LLM_MODEL and OPENAI_API_KEY or "
                             "OPENAI_BASE_URL; set them, or use auto or extractive")
        return self

    def llm_enabled(self) -> bool:
        """Say whether answers should be written by the language model."""
        if self.answer_mode == "extractive":
            return False
        return bool(self.llm_model and (self.openai_api_key or self.openai_base_url))
