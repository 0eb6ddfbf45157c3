"""docker/ is checked statically (no Docker engine here): compose, Dockerfile, Prometheus and Grafana files agree."""

from __future__ import annotations

import json
from typing import Any

import yaml

from tests.support import ROOT
from translator_app.config import Settings

DOCKER = ROOT / "docker"


def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((DOCKER / "docker-compose.yml").read_text(encoding="utf-8")))


def test_three_kraft_brokers_with_rf3_and_min_isr_2() -> None:
    services = compose()["services"]
    brokers = {name: s for name, s in services.items() if name.startswith("kafka-") and name != "kafka-exporter"}
    assert sorted(brokers) == ["kafka-1", "kafka-2", "kafka-3"]
    for index, (name, service) in enumerate(sorted(brokers.items()), start=1):
        env = service["environment"]
        assert service["image"].startswith("apache/kafka:")
        assert env["KAFKA_PROCESS_ROLES"] == "broker,controller" and env["KAFKA_NODE_ID"] == index
        assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"].count("@") == 3
        assert env["KAFKA_DEFAULT_REPLICATION_FACTOR"] == 3 and env["KAFKA_MIN_INSYNC_REPLICAS"] == 2
        assert env["KAFKA_ADVERTISED_LISTENERS"] == f"PLAINTEXT://{name}:9092"
        assert "jmx_prometheus_javaagent.jar=7071:/opt/jmx/kafka.yml" in env["KAFKA_OPTS"]


def test_topic_init_creates_the_apps_topics_replicated() -> None:
    command = compose()["services"]["topic-init"]["command"][0]
    defaults = Settings()
    for topic in (defaults.topic_input, defaults.topic_translated, defaults.topic_final, defaults.topic_errors):
        assert topic in command
    assert "--replication-factor 3" in command and "min.insync.replicas=2" in command


def test_worker_is_built_from_the_dockerfile_and_configured_for_the_cluster() -> None:
    worker = compose()["services"]["worker"]
    assert worker["build"]["dockerfile"] == "docker/Dockerfile"
    assert (DOCKER.parent / worker["build"]["dockerfile"]).is_file()
    env = worker["environment"]
    assert env["TRANSLATOR_BROKER"].count("kafka-") == 3 and env["TRANSLATOR_TOPIC_REPLICATION_FACTOR"] == 3
    assert set(env) <= {f"TRANSLATOR_{name.upper()}" for name in Settings.model_fields}, "unknown setting"
    assert worker["depends_on"]["topic-init"]["condition"] == "service_completed_successfully"


def test_every_mounted_repo_file_exists() -> None:
    for name, service in compose()["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith(".") and source != "../models":  # ../models is the operator's model directory
                assert (DOCKER / source).exists(), (name, source)


def test_prometheus_scrapes_compose_services_and_loads_the_alerts() -> None:
    config = yaml.safe_load((DOCKER / "prometheus" / "prometheus.yml").read_text(encoding="utf-8"))
    services = set(compose()["services"])
    for job in config["scrape_configs"]:
        for target in job["static_configs"][0]["targets"]:
            assert target.split(":")[0] in services, (job["job_name"], target)
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]
    assert {job["job_name"] for job in config["scrape_configs"]} >= {
        "translator",
        "kafka-exporter",
        "kafka-jmx",
        "node",
    }


def test_grafana_provisions_the_datasource_and_both_dashboards() -> None:
    grafana = DOCKER / "grafana"
    datasource = yaml.safe_load((grafana / "provisioning" / "datasources" / "prometheus.yml").read_text())
    assert datasource["datasources"][0]["uid"] == "prometheus"
    provider = yaml.safe_load((grafana / "provisioning" / "dashboards" / "dashboards.yml").read_text())
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
    uids = set()
    for path in (grafana / "dashboards").glob("*.json"):
        dashboard = json.loads(path.read_text(encoding="utf-8"))
        uids.add(dashboard["uid"])
        for panel in dashboard["panels"]:
            assert panel["datasource"]["uid"] == "prometheus" and panel["targets"], (path.name, panel["title"])
    assert uids == {"translator-pipeline", "translator-kafka"}


def test_dockerfile_has_cpu_and_cuda_variants() -> None:
    text = (DOCKER / "Dockerfile").read_text(encoding="utf-8")
    assert "ARG VARIANT=cpu" in text and "FROM base-${VARIANT}" in text
    assert "AS base-cpu" in text and "AS base-cuda" in text and "nvidia/cuda" in text
    assert 'CMD ["faust", "-A", "translator_app.app", "worker", "-l", "info"]' in text
    assert "/ready" in text  # the healthcheck uses readiness
