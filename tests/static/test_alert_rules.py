"""docker/prometheus: the rules load, and each alert fires on the series built to trip it (promtool)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.support import ROOT

PROMETHEUS = ROOT / "docker" / "prometheus"


@pytest.fixture(scope="module")
def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool not found: run `make system-deps` (Debian package prometheus)", pytrace=False)
    return path


def test_rules_pass_promtool_check(promtool: str) -> None:
    result = subprocess.run([promtool, "check", "rules", "alerts.yml"], cwd=PROMETHEUS, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 5 rules found" in result.stdout


def test_every_alert_fires_in_the_promtool_unit_test(promtool: str) -> None:
    result = subprocess.run(
        [promtool, "test", "rules", "alerts_test.yml"], cwd=PROMETHEUS, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    tests = (PROMETHEUS / "alerts_test.yml").read_text(encoding="utf-8")
    rules = (PROMETHEUS / "alerts.yml").read_text(encoding="utf-8")
    alerts = [line.split(":", 1)[1].strip() for line in rules.splitlines() if line.strip().startswith("- alert:")]
    assert len(alerts) == 5
    for alert in alerts:
        # Each alert has an expectation that it fires (exp_labels) and one that it stays quiet.
        assert f"alertname: {alert}\n        exp_alerts:\n          - exp_labels" in tests, alert
        assert f"alertname: {alert}, exp_alerts: []" in tests, alert
