"""Interval reports: drift, latency, throughput and batching, to Prometheus gauges and (optionally) W&B."""

from __future__ import annotations

import logging
import time

from .app import app, settings
from .drift import DriftMonitor
from .engine import BatchInfo
from .metrics import observe_batch, register_drift
from .tracking import IntervalStats, WandbReporter

__all__ = ("drift", "interval", "on_batch", "reporter")

logger = logging.getLogger(__name__)

drift = DriftMonitor()
interval = IntervalStats()
register_drift(drift)

reporter: WandbReporter | None = (
    WandbReporter(
        project=settings.wandb_project,
        directory=settings.wandb_dir,
        api_key=settings.wandb_api_key.get_secret_value() if settings.wandb_api_key else None,
        config={"model": settings.model, "backend": settings.backend, "max_batch": settings.max_batch},
        job_type="worker",
    )
    if settings.wandb_enabled
    else None
)


def on_batch(model: str, info: BatchInfo) -> None:
    """The engine's per-model-call hook: Prometheus histograms plus the interval's batch sizes."""
    observe_batch(model, info)
    interval.batch_sizes.append(info.segments)


_last_report = time.monotonic()

if reporter is not None:

    @app.timer(settings.wandb_interval_s)
    async def report_to_wandb() -> None:
        """Log one schema row per interval (offline files when no API key is set)."""
        global _last_report
        now = time.monotonic()
        values = interval.report(seconds=max(1e-9, now - _last_report), drift=drift)
        _last_report = now
        assert reporter is not None
        reporter.log(values)
