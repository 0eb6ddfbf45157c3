"""The worker image and the console script run what the package really provides."""

from __future__ import annotations

import configparser
import re
import sys
from pathlib import Path

from translator_app.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_console_script_points_at_the_app_main() -> None:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    assert "translator_app = translator_app.app:main" in config["options.entry_points"]["console_scripts"]


def test_dockerfile_runs_the_worker_on_the_configured_port() -> None:
    dockerfile = (ROOT / "docker" / "Dockerfile").read_text()
    assert 'CMD ["faust", "-A", "translator_app.app", "worker", "-l", "info"]' in dockerfile
    assert f"EXPOSE {Settings().web_port}" in dockerfile
    for line in dockerfile.splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), source
    env_names = set(re.findall(r"\bTRANSLATOR_([A-Z_]+)=", dockerfile))
    assert env_names, "the image sets no TRANSLATOR_ variables"
    assert {name.lower() for name in env_names} <= Settings.model_fields.keys()


def test_kafka_cluster_ids_never_look_like_an_option() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    from kafka_local import _cluster_id

    ids = [_cluster_id() for _ in range(5000)]
    assert all(len(i) == 22 and not i.startswith("-") for i in ids)
