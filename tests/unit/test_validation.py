"""Every malformed message has a named reason; good ones become clean articles."""

from __future__ import annotations

import base64
import json

import pytest

from translator_app.validation import REASONS, InvalidMessage, Limits, article_id, dead_letter, parse_article


def raw(obj: object) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


def test_valid_article_is_cleaned_and_keeps_its_id() -> None:
    article = parse_article(
        raw(
            {
                "id": "a1",
                "title": "Hola &amp; adiós",
                "summary": "<p>Texto</p>",
                "link": "https://x/1",
                "published": "hoy",
            }
        )
    )
    assert (article.id, article.title, article.summary, article.link) == ("a1", "Hola & adiós", "Texto", "https://x/1")


def test_missing_id_is_derived_from_link_and_stable() -> None:
    first = parse_article(raw({"title": "T", "summary": "", "link": "https://x/1", "published": "p"}))
    again = parse_article(raw({"title": "Otro título", "summary": "s", "link": "https://x/1"}))
    assert first.id == again.id == article_id(link="https://x/1", title="", published="")


def test_missing_id_and_link_uses_title_and_published() -> None:
    a = parse_article(raw({"title": "T", "published": "2024-12-13"}))
    b = parse_article(raw({"title": "T", "published": "2024-12-14"}))
    assert a.id != b.id
    assert a.id == article_id(link="", title="T", published="2024-12-13")


def test_summary_only_article_is_valid() -> None:
    assert parse_article(raw({"summary": "Solo resumen"})).title == ""


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{not json", "invalid_json"),
        (b"\xff\xfe\x00bad", "invalid_utf8"),
        (b'["a list"]', "wrong_shape"),
        (b'"a string"', "wrong_shape"),
        (b"null", "wrong_shape"),
        (None, "wrong_shape"),
        (raw({"title": ["x"], "summary": "s"}), "wrong_type"),
        (raw({"title": {"es": "x"}}), "wrong_type"),
        (raw({"title": True}), "wrong_type"),
        (raw({"title": "", "summary": ""}), "missing_text"),
        (raw({"title": "<p> </p>", "summary": "\u200b"}), "missing_text"),
        (raw({"link": "https://x/1"}), "missing_text"),
        (b'{"title": "a", "title": "b"}', "duplicate_keys"),
        (b" " * 300_000 + b"{}", "oversize"),
        (raw({"title": "x" * 20_001}), "oversize"),
    ],
)
def test_malformed_messages_are_rejected_with_a_reason(payload: bytes | None, reason: str) -> None:
    with pytest.raises(InvalidMessage) as caught:
        parse_article(payload)
    assert caught.value.reason == reason
    assert caught.value.reason in REASONS


def test_deeply_nested_json_is_invalid_not_a_crash() -> None:
    nested = b"[" * 50_000 + b"]" * 50_000
    with pytest.raises(InvalidMessage) as caught:
        parse_article(nested, limits=Limits(max_message_bytes=1_000_000))
    assert caught.value.reason == "invalid_json"


def test_unknown_reason_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown dead-letter reason"):
        InvalidMessage("skipped", "no")


def test_dead_letter_keeps_utf8_payload_as_text() -> None:
    record = dead_letter(
        reason="invalid_json",
        detail="d",
        raw="{ñ".encode(),
        topic="t",
        partition=2,
        offset=7,
        key=b"k",
        max_payload_bytes=1024,
    )
    assert (record.payload, record.payload_encoding, record.payload_truncated) == ("{ñ", "utf-8", False)
    assert (record.topic, record.partition, record.offset, record.key) == ("t", 2, 7, "k")


def test_dead_letter_keeps_binary_payload_as_base64() -> None:
    data = b"\xff\x00\xfe"
    record = dead_letter(
        reason="invalid_utf8", detail="d", raw=data, topic="t", partition=0, offset=0, key=None, max_payload_bytes=1024
    )
    assert record.payload_encoding == "base64"
    assert base64.b64decode(record.payload) == data


def test_dead_letter_cuts_huge_payloads_and_says_so() -> None:
    data = ("ñ" * 1000).encode()
    record = dead_letter(
        reason="oversize", detail="d", raw=data, topic="t", partition=0, offset=0, key=None, max_payload_bytes=301
    )
    assert record.payload_truncated and record.payload_bytes == 2000
    assert record.payload == "ñ" * 150  # the split character at byte 301 is dropped, not mangled


def test_dead_letter_json_has_the_documented_fields() -> None:
    record = dead_letter(
        reason="invalid_json", detail="d", raw=b"x", topic="t", partition=0, offset=1, key=None, max_payload_bytes=64
    )
    body = json.loads(record.dumps())
    assert {"reason", "payload", "topic", "partition", "offset"} <= body.keys()
    assert "__faust" not in body
