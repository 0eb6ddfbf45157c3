"""Session fixtures: a real Kafka broker and a real worker process, never mocks.

If the broker or the worker cannot start, the fixtures raise and every test that
needs them errors: the run fails loudly instead of skipping.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import ROOT, Broker, Cluster, Worker, create_topics, start_broker, worker_env

COPY_MODEL = ROOT / ".cache" / "models" / "copy-es"
RANDOM_MODEL = ROOT / ".cache" / "models" / "opus-mt-es-en-random"


def _require_model(path: Path) -> Path:
    if not (path / "config.json").exists():
        pytest.fail(f"test model missing at {path}: run `make test-models`", pytrace=False)
    return path


@pytest.fixture(scope="session")
def copy_model() -> Path:
    return _require_model(COPY_MODEL)


@pytest.fixture(scope="session")
def random_model() -> Path:
    return _require_model(RANDOM_MODEL)


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    broker = start_broker(tmp_path_factory.mktemp("kafka"))
    yield broker
    broker.stop()


@dataclass(frozen=True)
class Pipeline:
    """A running worker and the names it uses."""

    bootstrap: str
    env: dict[str, str]
    worker: Worker

    @property
    def input(self) -> str:
        return self.env["TRANSLATOR_TOPIC_INPUT"]

    @property
    def translated(self) -> str:
        return self.env["TRANSLATOR_TOPIC_TRANSLATED"]

    @property
    def final(self) -> str:
        return self.env["TRANSLATOR_TOPIC_FINAL"]

    @property
    def errors(self) -> str:
        return self.env["TRANSLATOR_TOPIC_ERRORS"]


def start_pipeline(broker: Broker | Cluster, workdir: Path, model: Path, prefix: str, **extra: str) -> Pipeline:
    """Create a prefix's topics and start a worker on them."""
    env = worker_env(bootstrap=broker.bootstrap, prefix=prefix, workdir=workdir, model=model, **extra)
    replication = int(env.get("TRANSLATOR_TOPIC_REPLICATION_FACTOR", "1"))
    topics = [env[f"TRANSLATOR_TOPIC_{name}"] for name in ("INPUT", "TRANSLATED", "FINAL", "ERRORS")]
    create_topics(broker.bootstrap, topics, replication=replication)
    worker = Worker(env=env, log=workdir / "worker.log").start()
    return Pipeline(bootstrap=broker.bootstrap, env=env, worker=worker)


@pytest.fixture(scope="session")
def pipeline(kafka: Broker, copy_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    running = start_pipeline(kafka, tmp_path_factory.mktemp("worker"), copy_model, "e2e")
    yield running
    running.worker.stop()
