"""Real clients against a running worker: LibreTranslate's PyPI client, schemathesis, coalescing under load."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from libretranslatepy import LibreTranslateAPI

from tests.support import Broker, consume, produce

from .api_client import call
from .conftest import Pipeline, start_pipeline
from .test_api import AUTH, KEY, api, base  # noqa: F401  (the module-scoped worker fixture)
from .test_models import HELDOUT


def test_libretranslate_client_translates_detects_and_lists(api: Pipeline) -> None:  # noqa: F811
    client = LibreTranslateAPI(f"{base(api)}/libretranslate/", api_key=KEY)
    assert client.translate(HELDOUT[70], source="es", target="en") == HELDOUT[70]
    assert client.translate(HELDOUT[71], source="auto", target="en") == HELDOUT[71]
    detected = client.detect(HELDOUT[72])
    assert detected[0]["language"] == "es" and 0 < detected[0]["confidence"] <= 100
    codes = {entry["code"]: entry["targets"] for entry in client.languages()}
    assert codes["es"] == ["en"] and codes["fr"] == ["en"] and codes["en"] == []


def test_libretranslate_wrong_key_and_missing_q(api: Pipeline) -> None:  # noqa: F811
    with pytest.raises(Exception, match="403"):
        LibreTranslateAPI(f"{base(api)}/libretranslate/", api_key="nope").translate("Hola", "es", "en")
    reply = call(base(api), "POST", "/libretranslate/translate", json_body={"target": "en", "api_key": KEY})
    assert reply.status == 400 and "q" in reply.json()["error"] + reply.json()["detail"]


def test_libretranslate_json_lists_and_html(api: Pipeline) -> None:  # noqa: F811
    body = {"q": [HELDOUT[80], HELDOUT[81]], "source": "auto", "target": "en", "api_key": KEY}
    reply = call(base(api), "POST", "/libretranslate/translate", json_body=body).json()
    assert reply["translatedText"] == [HELDOUT[80], HELDOUT[81]]
    assert [d["language"] for d in reply["detectedLanguage"]] == ["es", "es"]
    html = '<p class="lead">Sube el precio &amp; baja la demanda.</p><script>x = "no";</script>'
    body = {"q": html, "source": "es", "target": "en", "format": "html", "api_key": KEY}
    assert call(base(api), "POST", "/libretranslate/translate", json_body=body).json()["translatedText"] == html


CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def test_schemathesis_finds_no_5xx_and_no_undocumented_response(api: Pipeline, tmp_path: Path) -> None:  # noqa: F811
    """Every operation in /openapi.json, fuzzed with generated (valid and invalid) requests, via schemathesis' CLI."""
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        f"{base(api)}/openapi.json",
        "--checks",
        CHECKS,
        "--header",
        f"Authorization: Bearer {KEY}",
        "--max-examples",
        "30",
        "--seed",
        "20261204",
        "--request-timeout",
        "60",
        "--no-color",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "No issues found" in result.stdout or " passed" in result.stdout, result.stdout[-3000:]


def test_on_demand_requests_share_model_calls_with_the_stream(kafka: Broker, copy_model: Path, tmp_path: Path) -> None:
    p = start_pipeline(kafka, tmp_path, copy_model, "coalesce", TRANSLATOR_BATCH_MAX_WAIT_MS="50")
    try:
        articles = [
            {"id": f"load-{i}", "title": HELDOUT[i % 100], "summary": HELDOUT[(i * 7) % 100]} for i in range(300)
        ]
        answers: list[list[str]] = []

        def ask() -> None:
            for i in range(10):
                reply = call(
                    base(p), "POST", "/translate", json_body={"text": [f"Pregunta {i}. {HELDOUT[i]}"], "source": "es"}
                )
                answers.append(reply.json()["translations"])

        asker = threading.Thread(target=ask)
        produce(p.bootstrap, p.input, [(a["id"].encode(), json.dumps(a).encode()) for a in articles])
        asker.start()
        consume(p.bootstrap, [p.final], until=lambda r: len(r[p.final]) >= 300, timeout=240)
        asker.join(timeout=120)
        metrics = call(base(p), "GET", "/metrics").body.decode()
    finally:
        p.worker.stop()
    assert answers == [[f"Pregunta {i}. {HELDOUT[i]}"] for i in range(10)]
    coalesced = re.search(r'^translator_batches_total\{model="[^"]+",origins="api\+stream"\} (\S+)', metrics, re.M)
    assert coalesced is not None and float(coalesced.group(1)) >= 1, metrics
