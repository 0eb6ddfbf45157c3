"""Prometheus metrics of the worker, in base units, with bounded label values only.

Everything is registered on prometheus_client's default registry and served by
``GET /metrics``: the project's ``translator_*`` metrics, Faust's own sensor
(``faust_*``), and consumer lag per topic and partition computed from it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from .drift import DriftMonitor
from .engine import Backend, BatchInfo, CacheStats

__all__ = (
    "ARTICLES",
    "BATCHES",
    "BATCH_SIZE",
    "BATCH_TOKENS",
    "END_TO_END_LATENCY",
    "MODEL_INFO",
    "MODEL_LATENCY",
    "QUEUE_DEPTH",
    "READY",
    "SEGMENTS",
    "TOKENS",
    "install_faust_sensor",
    "observe_batch",
    "observe_model",
    "register_cache_stats",
    "register_drift",
    "register_ready",
)

_SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
_TOKEN_BUCKETS = (16, 64, 256, 512, 1024, 2048, 4096, 8192, 16384)
_LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0, 300.0)

ARTICLES = Counter(
    "translator_articles_total",
    "Input messages by outcome: translated, or dead_lettered with a reason.",
    ["outcome", "reason"],
)
BATCH_SIZE = Histogram("translator_batch_size", "Segments per model call.", ["model"], buckets=_SIZE_BUCKETS)
BATCH_TOKENS = Histogram("translator_batch_tokens", "Source tokens per model call.", ["model"], buckets=_TOKEN_BUCKETS)
MODEL_LATENCY = Histogram(
    "translator_model_latency_seconds", "Wall time of one model call.", ["model"], buckets=_LATENCY_BUCKETS
)
END_TO_END_LATENCY = Histogram(
    "translator_end_to_end_latency_seconds",
    "Input message timestamp (ingestion) to publication on final_translations.",
    buckets=_LATENCY_BUCKETS,
)
SEGMENTS = Counter("translator_segments_total", "Segments translated by the model.", ["model"])
TOKENS = Counter("translator_tokens_total", "Source tokens translated by the model.", ["model"])
BATCHES = Counter(
    "translator_batches_total",
    "Model calls, by where their segments came from (stream, api, or api+stream when coalesced).",
    ["model", "origins"],
)
QUEUE_DEPTH = Gauge("translator_batcher_queue_depth", "Segments waiting for a model call.")
MODEL_INFO = Gauge("translator_model_info", "Loaded models (value 1).", ["model", "backend", "precision", "device"])


def observe_batch(model: str, info: BatchInfo) -> None:
    """Record one model call; the engine's ``on_batch`` hook."""
    BATCH_SIZE.labels(model).observe(info.segments)
    BATCH_TOKENS.labels(model).observe(info.tokens)
    MODEL_LATENCY.labels(model).observe(info.seconds)
    SEGMENTS.labels(model).inc(info.segments)
    TOKENS.labels(model).inc(info.tokens)
    BATCHES.labels(model, "+".join(sorted(info.origins))).inc()


def observe_model(backend: Backend) -> None:
    """Publish a loaded model in ``translator_model_info``."""
    MODEL_INFO.labels(backend.model_name, backend.backend_name, backend.precision, backend.device).set(1)


class _CacheCollector(Collector):
    def __init__(self, stats: CacheStats) -> None:
        self.stats = stats

    def collect(self) -> Iterator[CounterMetricFamily]:
        yield CounterMetricFamily("translator_cache_hits", "Segment cache hits.", value=self.stats.hits)
        yield CounterMetricFamily("translator_cache_misses", "Segment cache misses.", value=self.stats.misses)


def register_cache_stats(
    stats: CacheStats, queue_depth: Callable[[], int], *, registry: CollectorRegistry = REGISTRY
) -> None:
    """Expose the engine's cache counters and queue depth, read at scrape time."""
    registry.register(_CacheCollector(stats))
    QUEUE_DEPTH.set_function(queue_depth)


class _LagCollector(Collector):
    """``translator_consumer_lag``: end offset minus committed offset, per assigned partition."""

    def __init__(self, monitor: Any) -> None:
        self.monitor = monitor

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "translator_consumer_lag",
            "Messages not yet committed by this worker's group, per topic and partition.",
            labels=["topic", "partition"],
        )
        committed = dict(self.monitor.tp_committed_offsets)
        for tp, end in dict(self.monitor.tp_end_offsets).items():
            if tp in committed:
                # Committed offsets point at the next message to read; end offsets too.
                family.add_metric([tp.topic, str(tp.partition)], max(0, end - committed[tp]))
        yield family


def install_faust_sensor(app: Any, *, registry: CollectorRegistry = REGISTRY) -> None:
    """Attach Faust's Prometheus monitor (``faust_*`` metrics) and the lag collector to ``app``."""
    from faust.sensors.prometheus import FaustMetrics, PrometheusMonitor

    monitor = PrometheusMonitor(metrics=FaustMetrics.create(registry, "faust"))
    app.monitor = monitor
    registry.register(_LagCollector(monitor))


class _DriftCollector(Collector):
    def __init__(self, monitor: DriftMonitor) -> None:
        self.monitor = monitor

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "translator_drift_score",
            "Input drift: |mean(recent) - mean(reference)| / std(reference), per signal.",
            labels=["signal"],
        )
        for signal, score in self.monitor.scores().items():
            family.add_metric([signal], score)
        yield family


def register_drift(monitor: DriftMonitor, *, registry: CollectorRegistry = REGISTRY) -> None:
    """Expose ``translator_drift_score{signal}``, computed at scrape time."""
    registry.register(_DriftCollector(monitor))


READY = Gauge("translator_ready", "1 once the default model is loaded and the worker can translate.")


def register_ready(is_ready: Callable[[], bool]) -> None:
    """Expose readiness as a gauge, for the WorkerNotReady alert."""
    READY.set_function(lambda: 1.0 if is_ready() else 0.0)
