"""On-demand requests are checked before anything reaches the model."""

from __future__ import annotations

import pytest

from translator_app.api_requests import ApiError, RequestLimits, parse_json_body, parse_translate_request

LIMITS = RequestLimits(max_items=3, max_item_chars=20)


def status_of(body: object) -> tuple[int, str]:
    with pytest.raises(ApiError) as caught:
        parse_translate_request(body, limits=LIMITS)
    return caught.value.status, caught.value.error


def test_text_string_list_and_article_shapes() -> None:
    single = parse_translate_request({"text": "Hola"}, limits=LIMITS)
    assert (single.texts, single.single, single.source, single.target) == (["Hola"], True, "auto", "en")
    many = parse_translate_request({"text": ["Uno", "Dos"], "source": "ES"}, limits=LIMITS)
    assert (many.texts, many.single, many.source) == (["Uno", "Dos"], False, "es")
    article = parse_translate_request({"title": "Título", "summary": "Resumen"}, limits=LIMITS)
    assert (article.texts, article.article) == (["Título", "Resumen"], True)


def test_json_escapes_are_undone_before_the_model() -> None:
    # The prototype's "astron3mic": an escape sequence must arrive as the character.
    assert parse_translate_request({"text": "astron\\u00f3mico"}, limits=LIMITS).texts == ["astronómico"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ([], (422, "invalid_request")),
        ({}, (422, "invalid_request")),
        ({"text": 5}, (422, "invalid_request")),
        ({"text": []}, (422, "invalid_request")),
        ({"text": ["ok", 3]}, (422, "invalid_request")),
        ({"text": "x", "source": ""}, (422, "invalid_request")),
        ({"text": "x", "target": 7}, (422, "invalid_request")),
        ({"text": ["a", "b", "c", "d"]}, (413, "too_many_items")),
        ({"text": "x" * 21}, (413, "item_too_long")),
        ({"title": None}, (422, "invalid_request")),
    ],
)
def test_bad_bodies_get_a_clear_4xx(body: object, expected: tuple[int, str]) -> None:
    assert status_of(body) == expected


def test_body_decoding_errors_are_400() -> None:
    for raw in (b"\xff\xfe", b"{not json", b"[" * 100_000):
        with pytest.raises(ApiError) as caught:
            parse_json_body(raw)
        assert caught.value.status == 400
