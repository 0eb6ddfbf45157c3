"""The one typed settings object: every knob of the worker, read from ``TRANSLATOR_*``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ("DEFAULT_MODEL", "Settings", "get_settings")

DEFAULT_MODEL = "Helsinki-NLP/opus-mt-es-en"


class Settings(BaseSettings):
    """Worker, topic, batching and model settings.

    Every field can be set from the environment as ``TRANSLATOR_<FIELD>``,
    e.g. ``TRANSLATOR_BROKER=kafka://10.0.0.5:9092``.
    """

    model_config = SettingsConfigDict(env_prefix="TRANSLATOR_", extra="ignore")

    # --- Kafka / Faust -----------------------------------------------------
    app_id: str = "translator_app"
    broker: str = "kafka://127.0.0.1:9092"
    topic_input: str = "processed_news_spanish"
    topic_translated: str = "translated_news_spanish_to_english"
    topic_final: str = "final_translations"
    topic_errors: str = "translation_errors"
    table_final: str = "final_translations_by_id"
    topic_partitions: int = Field(default=4, ge=1)
    topic_replication_factor: int = Field(default=1, ge=1)
    table_store: str = "memory://"
    data_dir: Path = Path(".cache/worker-data")
    # How long the group waits for a worker that stopped heartbeating (crashed)
    # before handing its partitions to the others.
    session_timeout_s: float = Field(default=30.0, ge=6.0, le=300.0)
    web_bind: str = "127.0.0.1"
    web_port: int = Field(default=6066, ge=0, le=65535)

    # --- Batching ----------------------------------------------------------
    max_batch: int = Field(default=32, ge=1, le=4096)
    max_wait_s: float = Field(default=0.05, gt=0, le=60)

    # --- Input limits (anything over them is dead-lettered as "oversize") ---
    max_message_bytes: int = Field(default=256 * 1024, ge=1024)
    max_field_chars: int = Field(default=20_000, ge=1)
    dead_letter_payload_bytes: int = Field(default=64 * 1024, ge=256)

    # --- Model -------------------------------------------------------------
    model: str = DEFAULT_MODEL
    source_lang: str = "es"
    target_lang: str = "en"
    device: Literal["auto", "cpu", "cuda"] = "auto"
    num_beams: int | None = Field(default=None, ge=1, le=16)
    max_new_tokens: int = Field(default=256, ge=1, le=1024)
    # One intra-op thread pool for inference; 0 means "all cores" (torch's default).
    torch_threads: int = Field(default=0, ge=0)

    # --- Ingestion ---------------------------------------------------------
    ingest_state: Path = Path(".cache/ingest-state.sqlite3")

    # --- HTTP (reserved for the API issue) -----------------------------------
    api_key: SecretStr | None = None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read once from the environment."""
    return Settings()
