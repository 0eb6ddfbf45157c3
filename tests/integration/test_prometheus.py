"""A real Prometheus (Debian's package) scrapes a running worker; promtool accepts the exposition."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.support import Broker, consume, free_port, produce

from .api_client import call
from .conftest import start_pipeline
from .test_models import HELDOUT


def test_prometheus_scrapes_the_worker_and_promql_sees_the_counters(
    kafka: Broker, copy_model: Path, tmp_path: Path
) -> None:
    prometheus, promtool = shutil.which("prometheus"), shutil.which("promtool")
    if prometheus is None or promtool is None:
        pytest.fail("prometheus/promtool not found: run `make system-deps`", pytrace=False)
    p = start_pipeline(kafka, tmp_path, copy_model, "prom")
    port = free_port()
    config = tmp_path / "prometheus.yml"
    worker = f"127.0.0.1:{p.env['TRANSLATOR_WEB_PORT']}"
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        f"rule_files: [{Path(__file__).resolve().parents[2] / 'docker' / 'prometheus' / 'alerts.yml'}]\n"
        f"scrape_configs:\n  - job_name: translator\n    static_configs: [{{targets: ['{worker}']}}]\n"
    )
    server = subprocess.Popen(
        [
            prometheus,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=(tmp_path / "prometheus.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        articles = [{"id": f"prom-{i}", "title": HELDOUT[i], "summary": HELDOUT[i + 20]} for i in range(12)]
        produce(p.bootstrap, p.input, [(a["id"].encode(), json.dumps(a).encode()) for a in articles])
        produce(p.bootstrap, p.input, [(b"bad", b"{not json")])
        consume(p.bootstrap, [p.final], until=lambda r: len(r[p.final]) >= 12)
        scrape = call(f"http://{worker}", "GET", "/metrics").body
        lint = subprocess.run([promtool, "check", "metrics"], input=scrape.decode(), capture_output=True, text=True)
        # promtool lints Faust's own sensor for its "_ms" names (faust_events_runtime_ms);
        # every translator_* metric must pass cleanly.
        problems = [line for line in (lint.stdout + lint.stderr).splitlines() if line.strip()]
        assert all(line.startswith("faust_") for line in problems), problems
        for name in (
            b"translator_model_latency_seconds_bucket",
            b"translator_end_to_end_latency_seconds_bucket",
            b"translator_batch_size_bucket",
            b"translator_batch_tokens_bucket",
            b"translator_batcher_queue_depth",
            b"translator_segments_total",
            b"translator_tokens_total",
            b"translator_cache_hits_total",
            b"translator_consumer_lag",
            b"translator_model_info",
            b"translator_ready 1.0",
            b"translator_drift_score",
            b"faust_messages_received",
        ):
            assert name in scrape, name
        query = "sum by (outcome) (translator_articles_total)"
        deadline = time.monotonic() + 60
        outcome: dict[str, float] = {}
        while time.monotonic() < deadline:
            url = f"http://127.0.0.1:{port}/api/v1/query?query={urllib.parse.quote(query)}"
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    data = json.load(response)["data"]["result"]
                outcome = {r["metric"]["outcome"]: float(r["value"][1]) for r in data}
            except OSError:
                pass
            if outcome.get("translated") == 12 and outcome.get("dead_lettered") == 1:
                break
            time.sleep(1)
        assert outcome == {"translated": 12.0, "dead_lettered": 1.0}, outcome
    finally:
        server.terminate()
        server.wait(timeout=30)
        p.worker.stop()


PROMQL_WORDS = {
    "sum", "avg", "max", "min", "count", "rate", "irate", "increase", "deriv", "histogram_quantile",
    "clamp_min", "clamp_max", "by", "without", "on", "ignoring", "group_left", "group_right", "bool",
    "and", "or", "unless", "offset", "abs", "le", "topk", "bottomk",
}  # fmt: skip


def metric_names(expr: str) -> set[str]:
    """The metric names in a PromQL expression: identifiers that are not functions, keywords or labels."""
    import re

    expr = re.sub(r'"[^"]*"', "", expr)  # label values
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", expr)  # grouping labels
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # ranges
    expr = re.sub(r"(?<![\w.])\d+(\.\d+)?([eE][+-]?\d+)?", "", expr)  # numbers such as 1e-9
    names = set()
    for match in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr):
        word = match.group(0)
        following = expr[match.end() :].lstrip()[:1]
        if word in PROMQL_WORDS or following == "(":
            continue
        names.add(word)
    return names


def test_every_dashboard_metric_exists_in_a_live_scrape_or_the_exporter_list(
    kafka: Broker, copy_model: Path, tmp_path: Path
) -> None:
    root = Path(__file__).resolve().parents[2] / "docker" / "grafana"
    documented = {
        line.strip()
        for line in (root / "exporter_metrics.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    p = start_pipeline(kafka, tmp_path, copy_model, "dash")
    try:
        articles = [{"id": f"dash-{i}", "title": HELDOUT[i], "summary": ""} for i in range(4)]
        produce(p.bootstrap, p.input, [(a["id"].encode(), json.dumps(a).encode()) for a in articles])
        consume(p.bootstrap, [p.final], until=lambda r: len(r[p.final]) >= 4)
        scrape = call(f"http://127.0.0.1:{p.env['TRANSLATOR_WEB_PORT']}", "GET", "/metrics").body.decode()
    finally:
        p.worker.stop()
    live = {line.split("{")[0].split(" ")[0] for line in scrape.splitlines() if line and not line.startswith("#")}
    # A family declared with no sample yet (lag before the first commit) still exists.
    live |= {line.split()[2] for line in scrape.splitlines() if line.startswith("# TYPE ")}
    dashboards = sorted((root / "dashboards").glob("*.json"))
    assert [d.name for d in dashboards] == ["kafka.json", "pipeline.json"]
    checked = 0
    for path in dashboards:
        dashboard = json.loads(path.read_text(encoding="utf-8"))
        for panel in dashboard["panels"]:
            for target in panel["targets"]:
                for name in metric_names(target["expr"]):
                    assert name in live or name in documented, f"{path.name} / {panel['title']}: {name}"
                    checked += 1
    assert checked >= 35  # 23 panels, 38 metric references when written
    assert metric_names('sum by (le) (rate(a_bucket{x="y"}[5m])) / clamp_min(b, 1)') == {"a_bucket", "b"}
