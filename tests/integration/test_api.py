"""The HTTP API on a running worker (real broker, copy model): every endpoint, limits, auth, errors."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import Broker, consume, produce

from .api_client import Reply, call
from .conftest import Pipeline, start_pipeline
from .test_models import HELDOUT

KEY = "test-key-7f3a"
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="module")
def api(kafka: Broker, copy_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    """A worker with an API key, French served by the copy model, and 8 translated articles."""
    p = start_pipeline(
        kafka,
        tmp_path_factory.mktemp("api"),
        copy_model,
        "api",
        TRANSLATOR_API_KEY=KEY,
        TRANSLATOR_MODELS=json.dumps({"fr": str(copy_model)}),
        TRANSLATOR_API_MAX_BODY_BYTES="65536",
    )
    articles = [{"id": f"seed-{i}", "title": HELDOUT[i], "summary": HELDOUT[i + 30]} for i in range(8)]
    produce(p.bootstrap, p.input, [(a["id"].encode(), json.dumps(a).encode()) for a in articles])
    consume(p.bootstrap, [p.final], until=lambda r: len(r[p.final]) >= 8, timeout=120)
    yield p
    p.worker.stop()


def base(p: Pipeline) -> str:
    return f"http://127.0.0.1:{p.env['TRANSLATOR_WEB_PORT']}"


def post(p: Pipeline, path: str, body: Any, **headers: str) -> Reply:
    return call(base(p), "POST", path, json_body=body, headers={**AUTH, **headers})


def assert_error(reply: Reply, status: int, error: str) -> None:
    assert reply.status == status, reply.body
    assert reply.headers["Content-Type"].startswith("application/json")
    body = reply.json()
    assert set(body) == {"error", "detail"} and body["error"] == error and body["detail"]


def test_translate_texts_in_order(api: Pipeline) -> None:
    texts = HELDOUT[40:46]
    reply = post(api, "/translate", {"text": texts, "source": "es", "target": "en"})
    assert reply.status == 200, reply.body
    body = reply.json()
    assert body["translations"] == texts and body["source"] == "es" and body["detected"] is None


def test_translate_one_string_with_detection(api: Pipeline) -> None:
    body = post(api, "/translate", {"text": HELDOUT[50]}).json()
    assert body["translations"] == [HELDOUT[50]]
    assert body["detected"]["language"] == "es" and body["detected"]["confidence"] > 0


def test_translate_an_article(api: Pipeline) -> None:
    body = post(api, "/translate", {"title": HELDOUT[60], "summary": f"{HELDOUT[61]}\n\n{HELDOUT[62]}"}).json()
    # Cleaning (as on the stream) keeps the paragraph break, normalised to one newline.
    assert (body["title"], body["summary"]) == (HELDOUT[60], f"{HELDOUT[61]}\n{HELDOUT[62]}")


def test_french_is_routed_to_its_model(api: Pipeline) -> None:
    french = "Le gouvernement approuve la nouvelle loi sur le logement après des mois de négociations."
    body = post(api, "/translate", {"text": french}).json()
    assert body["source"] == "fr" and body["translations"] == [french]


def test_unsupported_languages_are_422(api: Pipeline) -> None:
    english = "The government approves the new housing law after months of negotiations with its partners."
    assert_error(post(api, "/translate", {"text": english}), 422, "unsupported_language")
    assert_error(post(api, "/translate", {"text": "Hola", "source": "de"}), 422, "unsupported_language")
    assert_error(post(api, "/translate", {"text": "Hola", "target": "fr"}), 422, "unsupported_language")


def test_api_key_is_required_and_checked(api: Pipeline) -> None:
    assert_error(call(base(api), "POST", "/translate", json_body={"text": "Hola"}), 401, "unauthorized")
    assert_error(post(api, "/translate", {"text": "Hola"}, Authorization="Bearer wrong"), 403, "forbidden")
    ok = call(base(api), "POST", "/translate", json_body={"text": "Hola"}, headers={"X-API-Key": KEY})
    assert ok.status == 200
    # Reading endpoints stay open.
    assert call(base(api), "GET", "/languages").status == 200


def test_limits_and_bad_bodies_are_4xx(api: Pipeline) -> None:
    assert_error(post(api, "/translate", {"text": ["x"] * 65}), 413, "too_many_items")
    assert_error(post(api, "/translate", {"text": "x" * 5001}), 413, "item_too_long")
    big = call(base(api), "POST", "/translate", data=b"{" + b" " * 70_000 + b"}", headers=AUTH)
    assert_error(big, 413, "body_too_large")
    bad = call(base(api), "POST", "/translate", data=b"{nope", headers={**AUTH, "Content-Type": "application/json"})
    assert_error(bad, 400, "invalid_json")
    assert_error(post(api, "/translate", ["a list"]), 422, "invalid_request")
    assert_error(call(base(api), "GET", "/translate"), 405, "method_not_allowed")
    assert_error(call(base(api), "GET", "/no/such/route"), 404, "not_found")


def test_article_lookup_and_recent_list(api: Pipeline) -> None:
    recent = call(base(api), "GET", "/articles?limit=5").json()["articles"]
    assert len(recent) == 5
    assert [r["published_at"] for r in recent] == sorted((r["published_at"] for r in recent), reverse=True)
    one = call(base(api), "GET", f"/articles/{recent[0]['id']}").json()
    assert one["id"] == recent[0]["id"] and one["title"] == one["original"]["title"]
    assert_error(call(base(api), "GET", "/articles/unknown-id"), 404, "not_found")
    assert_error(call(base(api), "GET", "/articles?limit=0"), 422, "invalid_request")
    assert_error(call(base(api), "GET", "/articles?limit=abc"), 422, "invalid_request")


def test_languages_detect_health_ready(api: Pipeline) -> None:
    languages = call(base(api), "GET", "/languages").json()["languages"]
    assert {(entry["source"], entry["target"]) for entry in languages} == {("es", "en"), ("fr", "en")}
    detected = post(api, "/detect", {"text": HELDOUT[3]}).json()
    assert detected["language"] == "es" and detected["supported"] is True
    assert call(base(api), "GET", "/health").json() == {"status": "ok"}
    assert call(base(api), "GET", "/ready").json() == {"status": "ready", "model": True, "kafka": True}


def test_openapi_describes_every_route(api: Pipeline) -> None:
    document = call(base(api), "GET", "/openapi.json").json()
    assert document["openapi"].startswith("3.")
    expected = {
        "/",
        "/health",
        "/ready",
        "/metrics",
        "/languages",
        "/detect",
        "/translate",
        "/articles",
        "/articles/{article_id}",
        "/libretranslate/translate",
        "/libretranslate/detect",
        "/libretranslate/languages",
    }
    assert set(document["paths"]) == expected


def test_metrics_are_prometheus_text(api: Pipeline) -> None:
    reply = call(base(api), "GET", "/metrics")
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/plain")
    assert re.search(rb"^translator_articles_total\{outcome=\"translated\",reason=\"\"\} \d", reply.body, re.M)


def test_no_text_or_key_reaches_the_log_at_info(api: Pipeline) -> None:
    post(api, "/translate", {"text": "Frase secreta número 4711."})
    log = api.worker.log.read_text(encoding="utf-8", errors="replace")
    assert "4711" not in log and KEY not in log
