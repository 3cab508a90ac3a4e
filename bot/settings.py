"""Bot settings: the index settings plus the answer mode, the language model and Discord."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr

from ingest import PROJECT_ROOT, IndexSettings


class BotSettings(IndexSettings):
    """Everything the bot and the terminal chat read from the environment or .env."""

    answer_mode: Literal["auto", "extractive", "llm"] = "auto"
    openai_api_key: SecretStr | None = Field(None, validation_alias=AliasChoices("OPENAI_API_KEY"))
    openai_base_url: str | None = Field(None, validation_alias=AliasChoices("OPENAI_BASE_URL"))
    llm_model: str | None = None
    llm_timeout: float = Field(20.0, gt=0)
    llm_max_retries: int = Field(1, ge=0, le=5)
    llm_temperature: float = Field(0.0, ge=0, le=2)
    answer_threshold: float = Field(0.4, ge=0, le=1)
    max_question_chars: int = Field(1000, ge=20, le=4000)
    history_turns: int = Field(6, ge=0, le=50)
    prompts_dir: Path = PROJECT_ROOT / "prompts"

    discord_token: SecretStr | None = Field(None, validation_alias=AliasChoices("DISCORD_TOKEN"))

    def llm_enabled(self) -> bool:
        """Say whether answers should be written by the language model."""
        if self.answer_mode == "extractive":
            return False
        return bool(self.llm_model and (self.openai_api_key or self.openai_base_url))
