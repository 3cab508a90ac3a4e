"""Index settings from the environment (prefix MISSIONBOT_) or a .env file."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class IndexSettings(BaseSettings):
    """Where the documents and the index live, and how documents are split and embedded."""

    model_config = SettingsConfigDict(env_prefix="MISSIONBOT_", env_file=".env", extra="ignore")

    docs_dir: Path = PROJECT_ROOT / "data" / "documents"
    agenda_file: Path | None = PROJECT_ROOT / "data" / "agenda.yaml"
    index_dir: Path = PROJECT_ROOT / ".index"
    collection: str = Field("missionbot", pattern=r"^[a-zA-Z0-9._-]{3,512}$")
    chroma_host: str | None = None
    chroma_port: int = 8000

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
