"""Weights & Biases reporting with one fixed, versioned schema.

The prototype's W&B integration failed on a schema mismatch. Here every row
logged, by the worker's interval reports and by ``translator_app eval``, has
exactly the keys in :data:`KEYS` (missing values are NaN), so a run's history
and summary always have the same columns. Change :data:`KEYS` only together
with :data:`SCHEMA_VERSION`.
"""

from __future__ import annotations

import logging
import math
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .drift import SIGNALS, DriftMonitor

__all__ = ("KEYS", "SCHEMA_VERSION", "IntervalStats", "WandbReporter", "row")

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
KEYS: tuple[str, ...] = (
    "schema_version",
    "latency/e2e_p50_s",
    "latency/e2e_p95_s",
    "latency/e2e_p99_s",
    "latency/model_p50_s",
    "throughput/articles_per_s",
    "throughput/dead_letters_per_s",
    "batch/size_mean",
    "batch/size_max",
    *(f"drift/{signal}_{part}" for signal in SIGNALS for part in ("mean", "ref_mean", "score")),
    "eval/bleu",
    "eval/chrf",
    "eval/sentences",
)


def row(**values: float) -> dict[str, float]:
    """A complete row of the schema: ``values`` plus NaN for every other key.

    Raises:
        KeyError: for a key outside the schema (``/`` written as ``__``).
    """
    named = {key.replace("__", "/"): value for key, value in values.items()}
    unknown = set(named) - set(KEYS)
    if unknown:
        raise KeyError(f"not in the W&B schema v{SCHEMA_VERSION}: {sorted(unknown)}")
    return {key: float(named.get(key, math.nan)) for key in KEYS} | {"schema_version": float(SCHEMA_VERSION)}


def _pct(values: list[float], p: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


@dataclass
class IntervalStats:
    """What happened since the last report: latencies, batch sizes, dead letters."""

    e2e_s: list[float] = field(default_factory=list)
    model_s: list[float] = field(default_factory=list)
    batch_sizes: list[int] = field(default_factory=list)
    translated: int = 0
    dead_letters: int = 0

    def report(self, *, seconds: float, drift: DriftMonitor) -> dict[str, float]:
        """Summarise the interval as a schema row and start a new interval."""
        values: dict[str, float] = {
            "latency__e2e_p50_s": _pct(self.e2e_s, 50),
            "latency__e2e_p95_s": _pct(self.e2e_s, 95),
            "latency__e2e_p99_s": _pct(self.e2e_s, 99),
            "latency__model_p50_s": _pct(self.model_s, 50),
            "throughput__articles_per_s": self.translated / seconds,
            "throughput__dead_letters_per_s": self.dead_letters / seconds,
            "batch__size_mean": statistics.fmean(self.batch_sizes) if self.batch_sizes else math.nan,
            "batch__size_max": max(self.batch_sizes, default=math.nan),
        }
        scores = drift.scores()
        for signal in SIGNALS:
            recent, reference = drift.window(signal), drift.reference(signal)
            values[f"drift__{signal}_mean"] = statistics.fmean(recent) if recent else math.nan
            values[f"drift__{signal}_ref_mean"] = statistics.fmean(reference) if reference else math.nan
            values[f"drift__{signal}_score"] = scores[signal]
        self.e2e_s, self.model_s, self.batch_sizes = [], [], []
        self.translated = self.dead_letters = 0
        return row(**values)


class WandbReporter:
    """Log schema rows to W&B: online with an API key, offline (local files) without.

    Args:
        project: W&B project.
        directory: Where W&B writes (offline runs live there until ``wandb sync``).
        api_key: W&B key; ``None`` means offline mode, which needs no network.
        config: Run configuration (model, backend, ...), logged once.
        job_type: "worker" or "eval".
    """

    def __init__(
        self, *, project: str, directory: Path, api_key: str | None, config: dict[str, Any], job_type: str
    ) -> None:
        self.project = project
        self.directory = directory
        self.api_key = api_key
        self.config = {**config, "schema_version": SCHEMA_VERSION}
        self.job_type = job_type
        self._run: Any = None

    def log(self, values: dict[str, float]) -> None:
        """Log one complete schema row, starting the run on first use."""
        if set(values) != set(KEYS):
            raise KeyError("W&B rows must be built with tracking.row()")
        if self._run is None:
            import wandb

            self.directory.mkdir(parents=True, exist_ok=True)
            self._run = wandb.init(
                project=self.project,
                dir=str(self.directory),
                job_type=self.job_type,
                config=self.config,
                mode="online" if self.api_key else "offline",
                settings=wandb.Settings(api_key=self.api_key, silent=True, console="off"),
            )
            logger.info("W&B run %s (%s)", self._run.id, "online" if self.api_key else "offline")
        self._run.log(values)

    def finish(self) -> None:
        """Close the run (flushes offline files)."""
        if self._run is not None:
            self._run.finish()
            self._run = None
