"""Bad input on the real topic: a fixed corpus plus hypothesis-generated payloads, as raw bytes.

Every message ends up either translated or on ``translation_errors`` with a
reason; the worker stays up; in = final + errors.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from tests.support import Broker, consume, produce
from translator_app.validation import REASONS

from .conftest import start_pipeline

RTL = "\u202eالخبر\u202c"
ZERO_WIDTH = "Ho\u200bla\u200d mun\ufeffdo"


def corpus() -> list[tuple[str, bytes]]:
    """(name, payload) pairs covering every kind of bad input the issue lists."""
    article = {"id": "x", "title": "Título", "summary": "Resumen."}
    return [
        ("invalid_json", b'{"title": "sin cerrar"'),
        ("invalid_utf8", b'{"title": "\xff\xfe\xfa"}'),
        ("ten_megabytes", json.dumps({"title": "grande", "summary": "a" * (10 * 1024 * 1024)}).encode()),
        ("array", b"[1, 2, 3]"),
        ("number", b"42"),
        ("null", b"null"),
        ("title_is_number", json.dumps({"title": 5, "summary": "x"}).encode()),
        ("title_is_object", json.dumps({"title": {"a": 1}}).encode()),
        ("empty_strings", json.dumps({"title": "", "summary": ""}).encode()),
        ("whitespace_only", json.dumps({"title": "   \n\t ", "summary": " "}).encode()),
        ("html_script", json.dumps({"title": "<script>alert(1)</script>Hola", "summary": "<b>negrita</b>"}).encode()),
        ("only_script", json.dumps({"title": "<script>alert(1)</script>", "summary": ""}).encode()),
        ("emoji", json.dumps({"title": "Fiesta 🎉🇪🇸 en Madrid", "summary": "👍"}).encode()),
        ("rtl", json.dumps({"title": f"Noticia {RTL}", "summary": "Texto."}).encode()),
        ("zero_width", json.dumps({"title": ZERO_WIDTH, "summary": "\u200b\u200b"}).encode()),
        ("huge_word", json.dumps({"title": "Palabra", "summary": "x" * 5000}).encode()),
        ("null_bytes", json.dumps({"title": "Ho\u0000la", "summary": "nu\u0000lo"}).encode()),
        ("raw_null_bytes", b'{"title": "a\x00b"}'),
        ("duplicate_keys", b'{"title": "uno", "title": "dos"}'),
        ("deep_nesting", b'{"title": ' + b"[" * 5000 + b"]" * 5000 + b"}"),
        ("empty_payload", b""),
        ("extra_fields", json.dumps({**article, "unexpected": [1, 2], "id": 7}).encode()),
    ]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
articles_ish = st.fixed_dictionaries(
    {},
    optional={
        "id": st.text(max_size=30) | st.integers(),
        "title": st.text(max_size=300) | json_values,
        "summary": st.text(max_size=600) | json_values,
        "link": st.text(max_size=40),
        "language": st.text(max_size=5),
    },
)
payloads = st.one_of(
    st.binary(max_size=400),
    json_values.map(lambda v: json.dumps(v).encode()),
    articles_ish.map(lambda v: json.dumps(v, ensure_ascii=False).encode()),
    articles_ish.map(lambda v: json.dumps(v).encode()[:-1]),  # truncated JSON
)


def run(
    pipeline_broker: Broker, copy_model: Path, tmp_path: Path, messages: list[bytes], prefix: str
) -> dict[str, Any]:
    p = start_pipeline(pipeline_broker, tmp_path, copy_model, prefix)
    try:
        produce(p.bootstrap, p.input, [(f"m{i}".encode(), payload) for i, payload in enumerate(messages)])
        records = consume(
            p.bootstrap,
            [p.final, p.errors],
            until=lambda r: len(r[p.final]) + len(r[p.errors]) >= len(messages),
            timeout=300,
        )
        alive = p.worker.process is not None and p.worker.process.poll() is None
        with urllib.request.urlopen(f"http://127.0.0.1:{p.env['TRANSLATOR_WEB_PORT']}/health", timeout=10) as response:
            healthy = json.load(response) == {"status": "ok"}
    finally:
        p.worker.stop()
    return {"final": records[p.final], "errors": records[p.errors], "alive": alive and healthy}


def test_fixed_bad_input_corpus_is_translated_or_dead_lettered(kafka: Broker, copy_model: Path, tmp_path: Path) -> None:
    named = corpus()
    result = run(kafka, copy_model, tmp_path, [payload for _, payload in named], "badfixed")
    assert result["alive"]
    assert len(result["final"]) + len(result["errors"]) == len(named)
    errors = {e["key"]: e["reason"] for e in result["errors"]}
    reasons = {name: errors.get(f"m{i}", "translated") for i, (name, _) in enumerate(named)}
    assert reasons["invalid_json"] == "invalid_json"
    assert reasons["invalid_utf8"] == "invalid_utf8"
    assert reasons["ten_megabytes"] == "oversize"
    assert reasons["array"] == reasons["number"] == reasons["null"] == "wrong_shape"
    assert reasons["title_is_number"] == "translated"  # numbers are accepted as text, by design
    assert reasons["title_is_object"] == "wrong_type"
    assert reasons["empty_strings"] == reasons["whitespace_only"] == reasons["only_script"] == "missing_text"
    assert reasons["duplicate_keys"] == "duplicate_keys"
    assert reasons["deep_nesting"] == "invalid_json"
    assert reasons["empty_payload"] == "invalid_json"
    assert reasons["raw_null_bytes"] == "invalid_json"  # a raw control character inside a JSON string
    for name in ("html_script", "emoji", "rtl", "zero_width", "huge_word", "null_bytes"):
        assert reasons[name] in ("translated", "unsupported_language"), (name, reasons[name])
    translated = {r["_key"]: r for r in result["final"]}
    assert all(r["title"] == r["original"]["title"] for r in translated.values())  # copy model: intact
    assert "alert" not in json.dumps(result["final"]) and "\u0000" not in json.dumps(result["final"])
    big = next(e for e in result["errors"] if e["reason"] == "oversize")
    assert big["payload_truncated"] and big["payload_bytes"] > 10 * 1024 * 1024


@seed(20261204)
@settings(max_examples=1, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(messages=st.lists(payloads, min_size=150, max_size=150))
def test_generated_payloads_all_reconcile(
    kafka: Broker, copy_model: Path, tmp_path_factory: Any, messages: list[bytes]
) -> None:
    result = run(kafka, copy_model, tmp_path_factory.mktemp("hyp"), messages, "badgen")
    assert result["alive"]
    assert len(result["final"]) + len(result["errors"]) == len(messages)
    assert {e["reason"] for e in result["errors"]} <= set(REASONS)
