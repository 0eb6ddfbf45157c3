"""End to end on the real broker with the copy model: what goes in comes out, on the right article.

The copy model reproduces its input, so a translation that differs from its
source means text was mixed up between articles, escaped, lost or reordered.
"""

from __future__ import annotations

import base64
import json
import random
import urllib.error
import urllib.request
from collections import Counter
from typing import Any

import pytest

from tests.support import ROOT, consume, produce
from translator_app.validation import article_id

from .conftest import Pipeline

LINES = [line for line in (ROOT / "data" / "corpus_es.txt").read_text(encoding="utf-8").splitlines() if line]


def good_articles() -> list[dict[str, Any]]:
    """50 articles with accents, ñ, ¿¡, emoji, curly quotes, HTML and escapes."""
    rng = random.Random(7)
    articles = []
    for i in range(46):
        title, first, second = rng.sample(LINES, 3)
        articles.append(
            {
                "id": f"art-{i:03d}",
                "title": title,
                "summary": f"{first} {second}",
                "link": f"https://ex.org/{i}",
                "published": "2024-12-13",
            }
        )
    articles.append(
        {
            "title": "¿Qué pasó en Doñana? ¡Sequía récord! 🌧️",
            "summary": "“Nunca visto”, dicen.",
            "link": "https://ex.org/no-id",
        }
    )
    articles.append(
        {
            "id": "html",
            "title": "Rescate en el Mediterráneo",
            "summary": (
                "<p>Los rescatistas buscan a 45 personas <b>desaparecidas</b>.</p>"
                "<p>La menor fue trasladada a Lampedusa &amp; atendida.</p>"
            ),
        }
    )
    # Double-encoded upstream: the text itself holds the escape sequence.
    articles.append(
        {
            "id": "escaped",
            "title": "Observatorio astron\\u00f3mico de Canarias",
            "summary": "Se inaugur\\u00f3 ayer \\ud83d\\udd2d.",
        }
    )
    articles.append({"id": "summary-only", "title": "", "summary": "Sólo hay resumen, sin título…"})
    return articles


EXPECTED_CLEAN = {
    "html": (
        "Rescate en el Mediterráneo",
        "Los rescatistas buscan a 45 personas desaparecidas.\nLa menor fue trasladada a Lampedusa & atendida.",
    ),
    "escaped": ("Observatorio astronómico de Canarias", "Se inauguró ayer 🔭."),
}

MALFORMED: list[tuple[bytes | None, str]] = [
    (b"{not json", "invalid_json"),
    (b'\xff\xfe{"title": "x"}', "invalid_utf8"),
    (b'["a", "list"]', "wrong_shape"),
    (None, "wrong_shape"),
    (json.dumps({"title": ["no"], "summary": "s"}).encode(), "wrong_type"),
    (json.dumps({"title": "", "summary": "   "}).encode(), "missing_text"),
    (b'{"title": "a", "title": "b"}', "duplicate_keys"),
    (b'{"title": "' + b"x" * 300_000 + b'"}', "oversize"),
]


@pytest.fixture(scope="module")
def run(pipeline: Pipeline) -> dict[str, Any]:
    articles = good_articles()
    messages: list[tuple[bytes | None, bytes | None]] = [
        ((a.get("id") or "").encode() or None, json.dumps(a, ensure_ascii=False).encode()) for a in articles
    ]
    messages += [(f"bad-{i}".encode(), payload) for i, (payload, _) in enumerate(MALFORMED)]
    random.Random(3).shuffle(messages)
    sent = produce(pipeline.bootstrap, pipeline.input, messages)
    records = consume(
        pipeline.bootstrap,
        [pipeline.final, pipeline.errors, pipeline.translated],
        until=lambda r: len(r[pipeline.final]) >= len(articles) and len(r[pipeline.errors]) >= len(MALFORMED),
        timeout=240,
    )
    return {"articles": articles, "sent": sent, **records, "p": pipeline}


def expected_id(article: dict[str, Any]) -> str:
    return article.get("id") or article_id(
        link=article.get("link", ""), title=article["title"], published=article.get("published", "")
    )


def test_every_good_article_is_published_once_with_its_own_text(run: dict[str, Any]) -> None:
    finals = {r["id"]: r for r in run[run["p"].final]}
    assert len(run[run["p"].final]) == len(finals) == 50
    for article in run["articles"]:
        record = finals[expected_id(article)]
        title, summary = EXPECTED_CLEAN.get(article.get("id", ""), (article["title"], article["summary"]))
        assert record["original"] == {"title": title, "summary": summary}
        # The copy model's output equals its input: any mix-up or escaping shows here.
        assert (record["title"], record["summary"]) == (title, summary)
        assert record["link"] == article.get("link", "")


def test_json_escapes_never_reach_the_model(run: dict[str, Any]) -> None:
    record = next(r for r in run[run["p"].final] if r["id"] == "escaped")
    assert record["title"] == "Observatorio astronómico de Canarias"
    assert "\\u" not in json.loads(json.dumps(record))["summary"]


def test_every_malformed_message_is_dead_lettered_with_its_reason(run: dict[str, Any]) -> None:
    errors = run[run["p"].errors]
    assert Counter(e["reason"] for e in errors) == Counter(reason for _, reason in MALFORMED)
    for error in errors:
        assert error["topic"] == run["p"].input
        assert error["partition"] >= 0 and error["offset"] >= 0
    binary = next(e for e in errors if e["reason"] == "invalid_utf8")
    assert base64.b64decode(binary["payload"]) == MALFORMED[1][0]
    assert next(e for e in errors if e["reason"] == "invalid_json")["payload"] == "{not json"


def test_counts_reconcile_in_equals_final_plus_errors(run: dict[str, Any]) -> None:
    assert run["sent"] == len(run[run["p"].final]) + len(run[run["p"].errors])


def test_final_records_carry_metadata_and_timings(run: dict[str, Any]) -> None:
    for record in run[run["p"].final]:
        assert record["_key"] == record["id"]
        assert (record["source_lang"], record["target_lang"]) == ("es", "en")
        assert record["model"].endswith("copy-es")
        assert record["language_confidence"] > 0
        timings = record["timings"]
        assert timings["queued_ms"] >= 0 and timings["batch_size"] >= 1 and timings["segments"] >= 1
        # An article whose every sentence came from the cache cost no model time.
        fully_cached = timings["cached_segments"] == timings["segments"]
        assert (timings["model_ms"] == 0) if fully_cached else (timings["model_ms"] > 0)
        assert timings["end_to_end_ms"] >= timings["model_ms"]
        assert "__faust" not in record


def test_articles_keep_their_partition_from_translated_to_final(run: dict[str, Any]) -> None:
    translated = {r["id"]: r["_partition"] for r in run[run["p"].translated]}
    assert {r["id"]: r["_partition"] for r in run[run["p"].final]} == translated


def test_the_stream_is_translated_in_batches(run: dict[str, Any]) -> None:
    sizes = [r["timings"]["batch_size"] for r in run[run["p"].final]]
    assert max(sizes) > 1, f"every article went through the model alone: {sizes}"


def test_final_table_serves_each_article_by_id(run: dict[str, Any]) -> None:
    port = run["p"].env["TRANSLATOR_WEB_PORT"]
    for record in run[run["p"].final][:10]:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/articles/{record['id']}", timeout=10) as response:
            served = json.load(response)
        assert {k: served[k] for k in ("id", "title", "summary", "original")} == {
            k: record[k] for k in ("id", "title", "summary", "original")
        }
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/articles/no-such-article", timeout=10)
    assert missing.value.code == 404
    assert json.load(missing.value)["error"] == "not_found"
