"""The one typed settings object: every knob of the worker, read from ``TRANSLATOR_*``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ("DEFAULT_MODEL", "EXACTLY_ONCE_REFUSED", "Settings", "get_settings")

DEFAULT_MODEL = "Helsinki-NLP/opus-mt-es-en"


EXACTLY_ONCE_REFUSED = (
    "processing_guarantee=exactly_once is refused: with faust-streaming 0.15.3 it does not prevent duplicates "
    "(118-122 of 500 after a worker kill -9, read by a read_committed consumer) and, before this project's "
    "recovery fix, it lost articles (RELIABILITY.md). Use at_least_once (the default) and dedupe by article id."
)


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
    # aiokafka does not refresh metadata when a partition leader's broker is
    # unreachable (it retries that node until the periodic refresh, 5 min by
    # default), so a lost broker would stall its partitions that long.
    metadata_max_age_s: float = Field(default=10.0, ge=1.0, le=300.0)
    # Faust's default lets one unanswered produce request hold every later
    # record to that broker (and the offset commit) for 20 minutes; after this
    # the send fails and publish_all sends it again.
    produce_timeout_s: float = Field(default=60.0, ge=5.0, le=1200.0)
    # After a crash the unfinished batch is translated again, so consumers
    # dedupe by id. exactly_once is refused: see _no_exactly_once.
    processing_guarantee: Literal["at_least_once", "exactly_once"] = "at_least_once"
    web_bind: str = "127.0.0.1"
    web_port: int = Field(default=6066, ge=0, le=65535)

    # --- Batching ----------------------------------------------------------
    # The stream takes up to ``stream_batch`` articles within ``max_wait_s``;
    # the engine's micro-batcher then sorts their sentences (and on-demand
    # requests') by length and packs them into model calls of up to
    # ``max_batch`` segments and ``max_batch_tokens`` tokens, waiting
    # ``batch_max_wait_ms`` for company. A take wider than one model call gives
    # the sort more to choose from: 32 articles are ~120 sentences, and groups
    # of 32 articles cost 30 % more generated tokens (padding) than one sorted
    # list (``make bench-packing``). Each article is published as soon as it
    # is done, so a wide take does not make a title wait for the whole take;
    # below capacity a take holds only what arrived meanwhile.
    stream_batch: int = Field(default=128, ge=1, le=4096)
    max_batch: int = Field(default=32, ge=1, le=4096)
    max_wait_s: float = Field(default=0.05, gt=0, le=60)
    batch_max_wait_ms: float = Field(default=10.0, ge=0, le=60_000)
    max_batch_tokens: int = Field(default=8192, ge=512)
    # Articles the translate agent has taken and not yet published; beyond
    # it, the next take waits (takes overlap up to here).
    max_inflight_articles: int = Field(default=256, ge=1, le=65_536)
    # Segments queued for the model before callers wait (backpressure).
    max_pending_segments: int = Field(default=4096, ge=1)

    # --- Input limits (anything over them is dead-lettered as "oversize") ---
    max_message_bytes: int = Field(default=256 * 1024, ge=1024)
    max_field_chars: int = Field(default=20_000, ge=1)
    dead_letter_payload_bytes: int = Field(default=64 * 1024, ge=256)

    # --- Model -------------------------------------------------------------
    # ``model`` translates ``source_lang``; ``models`` adds more languages, e.g.
    # TRANSLATOR_MODELS='{"fr": "Helsinki-NLP/opus-mt-fr-en", "ko": "Helsinki-NLP/opus-mt-ko-en"}'.
    model: str = DEFAULT_MODEL
    source_lang: str = "es"
    target_lang: str = "en"
    models: dict[str, str] = Field(default_factory=dict)
    max_loaded_models: int = Field(default=2, ge=1)
    detect_language: bool = True
    # Reject an article as unsupported only when language ID is at least this sure.
    min_language_confidence: float = Field(default=0.9, ge=0.0, le=1.0)
    backend: Literal["transformers", "ctranslate2"] = "transformers"
    device: Literal["auto", "cpu", "cuda"] = "auto"
    ct2_precision: Literal["int8", "int8_float32", "int8_float16", "float16", "float32"] = "int8"
    ct2_cache_dir: Path = Path(".cache/ct2")
    num_beams: int | None = Field(default=None, ge=1, le=16)
    max_new_tokens: int = Field(default=256, ge=1, le=1024)
    # Intra-op threads of each model call (torch or CTranslate2); 0 = all cores.
    inference_threads: int = Field(default=1, ge=0)
    # Model calls at once on CPU, each in its own inference thread; 0 = one per
    # ``inference_threads`` cores. 1 call x 1 thread per core measured 1.4-1.8x
    # the throughput of 1 call on all cores at batch 32 (README, "Threads").
    inference_replicas: int = Field(default=0, ge=0, le=64)
    # Benchmarks with random-weight models only: they never emit </s>, so pin
    # each output to this ratio x its longest source (see bench/). Unset in use.
    benchmark_output_ratio: float | None = Field(default=None, gt=0, le=4)

    # --- Segment cache (a Kafka-backed global table of fixed size) ----------
    cache_slots: int = Field(default=100_000, ge=0)
    table_segment_cache: str = "segment_cache"

    # --- Ingestion ---------------------------------------------------------
    ingest_state: Path = Path(".cache/ingest-state.sqlite3")

    # --- HTTP API ----------------------------------------------------------
    # When set, POST /translate, /detect and the LibreTranslate routes need it
    # (``Authorization: Bearer <key>``, ``X-API-Key``, or LibreTranslate's ``api_key``).
    api_key: SecretStr | None = None
    api_max_body_bytes: int = Field(default=256 * 1024, ge=1024, le=16 * 1024 * 1024)
    api_max_items: int = Field(default=64, ge=1, le=4096)
    api_max_item_chars: int = Field(default=5000, ge=1, le=200_000)
    # How long an on-demand request may wait for the model before 503.
    api_timeout_s: float = Field(default=30.0, gt=0, le=600)
    libretranslate_prefix: str = Field(default="/libretranslate", pattern=r"^/[A-Za-z0-9_\-/]*[A-Za-z0-9_\-]$")
    # Newest translations kept per input partition for GET /articles and the live page.
    recent_per_partition: int = Field(default=50, ge=1, le=10_000)
    table_recent: str = "recent_translations"

    # --- Weights & Biases (optional; offline when no key is set) ---------------
    wandb_enabled: bool = False
    wandb_api_key: SecretStr | None = None
    wandb_project: str = "translator_app"
    wandb_dir: Path = Path(".cache/wandb")
    wandb_interval_s: float = Field(default=60.0, ge=1.0)

    def model_registry(self) -> dict[str, str]:
        """Source language → model: ``source_lang`` → ``model``, plus ``models``."""
        return {**self.models, self.source_lang: self.model}

    @field_validator("processing_guarantee")
    @classmethod
    def _no_exactly_once(cls, value: str) -> str:
        """Refuse a mode that does not deliver what its name says: faust's transactions still duplicate."""
        if value == "exactly_once":
            raise ValueError(EXACTLY_ONCE_REFUSED)
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read once from the environment."""
    return Settings()
