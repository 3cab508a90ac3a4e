"""Index settings from the environment (prefix MISSIONBOT_) or a .env file, and the one loader of settings.

An empty value (`MISSIONBOT_SHARD_COUNT=` as `.env.example` has it) means "not set". A bad value is
reported as one line per setting, naming the variable, its value and what is allowed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, TypeVar

from pydantic import AfterValidator, AliasChoices, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]
ENV_PREFIX = "MISSIONBOT_"


def _collection_name(name: str) -> str:
    # Chroma's own rule, checked here so that a bad name is a settings error, not a traceback later.
    if not (3 <= len(name) <= 512 and all(c.isascii() and (c.isalnum() or c in "._-") for c in name)
            and name[0].isalnum() and name[-1].isalnum()):
        raise ValueError("must be 3-512 letters, digits, '.', '_' or '-', starting and ending with a letter or digit")
    return name


class IndexSettings(BaseSettings):
    """Where the documents and the index live, and how documents are split and embedded."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=".env", extra="ignore", env_ignore_empty=True)

    docs_dir: Path = PROJECT_ROOT / "data" / "documents"
    agenda_file: Path | None = PROJECT_ROOT / "data" / "agenda.yaml"
    index_dir: Path = PROJECT_ROOT / ".index"
    collection: Annotated[str, AfterValidator(_collection_name)] = "missionbot"
    chroma_host: str | None = None
    chroma_port: int = Field(8000, ge=1, le=65535)
    chroma_retry_seconds: float = Field(60.0, ge=0)  # how long a writer waits for a Chroma server to come back

    embedding_provider: Literal["local", "openai"] = "local"
    embedding_model: str = "text-embedding-3-small"
    embedding_base_url: str | None = Field(None, validation_alias=AliasChoices(
        "MISSIONBOT_EMBEDDING_BASE_URL", "OPENAI_BASE_URL"))
    embedding_api_key: SecretStr | None = Field(None, validation_alias=AliasChoices(
        "MISSIONBOT_EMBEDDING_API_KEY", "OPENAI_API_KEY"))
    embedding_threads: int = Field(0, ge=0, description="onnxruntime threads; 0 = one per core")

    chunk_size: int = Field(500, ge=100, le=8000)
    chunk_overlap: int = Field(0, ge=0, le=2000)
    max_file_mb: float = Field(20.0, gt=0)
    log_format: Literal["text", "json"] = "text"  # json: one JSON object per log line

    @model_validator(mode="after")
    def _overlap_within_chunk(self) -> IndexSettings:
        if self.chunk_overlap > self.chunk_size // 2:
            raise ValueError(f"MISSIONBOT_CHUNK_OVERLAP={self.chunk_overlap}: must be at most half of "
                             f"MISSIONBOT_CHUNK_SIZE={self.chunk_size}, that is {self.chunk_size // 2}")
        return self


class SettingsError(ValueError):
    """Some settings are invalid; `lines` says, one line per setting, which and what is allowed."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines

    def report(self) -> str:
        """Return the text an entry point prints before exiting with status 2."""
        return "".join(f"error: {line}\n" for line in self.lines)


Settings = TypeVar("Settings", bound=IndexSettings)


def load_settings(cls: type[Settings], **overrides: object) -> Settings:
    """Build settings from the environment and .env (overrides win), or raise SettingsError."""
    try:
        return cls(**overrides)
    except ValidationError as exc:
        raise SettingsError([_describe(cls, error) for error in exc.errors()]) from None


def env_name(cls: type[BaseSettings], field: str) -> str:
    """Return the environment variable that sets a field."""
    alias = cls.model_fields[field].validation_alias
    return alias.choices[0] if isinstance(alias, AliasChoices) else f"{ENV_PREFIX}{field.upper()}"


def _describe(cls: type[BaseSettings], error: dict) -> str:
    message = error["msg"].removeprefix("Value error, ")
    if not error["loc"]:  # a rule across settings: its message names them
        return message
    field = str(error["loc"][0])
    if field not in cls.model_fields:
        field = next((n for n in cls.model_fields if env_name(cls, n) == field), field)
    name = env_name(cls, field) if field in cls.model_fields else field
    secret = field in cls.model_fields and "SecretStr" in str(cls.model_fields[field].annotation)
    value = "(hidden)" if secret else repr(error["input"])
    return f"{name}={value}: {message[:1].lower()}{message[1:]}"
