"""Text reaches the model as clean, real Unicode."""

from __future__ import annotations

import json

import pytest

from translator_app.cleaning import clean_text, strip_html, undo_json_escapes


def test_json_decoded_once_gives_real_unicode() -> None:
    # The prototype's bug: the model saw "astron\\u00f3mico" and wrote "astron3mic".
    assert clean_text(json.loads('"Observatorio astron\\u00f3mico"')) == "Observatorio astronómico"


def test_double_encoded_escapes_are_decoded() -> None:
    twice = json.loads(json.dumps(json.dumps("Observatorio astronómico ¿sí? 😀")))
    assert "\\u00f3" in twice
    assert clean_text(twice.strip('"')) == "Observatorio astronómico ¿sí? 😀"


def test_surrogate_pair_escape_becomes_one_emoji() -> None:
    assert undo_json_escapes("gol \\ud83d\\ude00") == "gol 😀"


def test_lone_surrogate_escape_is_left_alone() -> None:
    assert undo_json_escapes("x \\ud83d y") == "x \\ud83d y"


def test_html_tags_and_entities_are_removed_keeping_paragraphs() -> None:
    html = (
        "<p>Los rescatistas buscan a 45 personas <b>desaparecidas</b>.</p>"
        "<p>La menor fue trasladada &amp; atendida.</p>"
    )
    assert (
        clean_text(html) == "Los rescatistas buscan a 45 personas desaparecidas.\nLa menor fue trasladada & atendida."
    )


def test_script_and_style_content_is_dropped() -> None:
    assert strip_html("Hola<script>alert('x')</script><style>p{}</style> mundo") == "Hola mundo"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("a\u200bb\u200fc\ufeff", "abc"),
        ("uno\x00dos\x07", "unodos"),
        ("  muchos   espacios\t y tabs  ", "muchos espacios y tabs"),
        ("línea\r\n\r\n\notra", "línea\notra"),
        ("cafe\u0301", "café"),  # NFC: e + combining accent becomes é
        ("“comillas” ‘simples’ «latinas» …", "“comillas” ‘simples’ «latinas» …"),
        ("مرحبا بالعالم", "مرحبا بالعالم"),
    ],
)
def test_control_invisible_and_spacing(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


def test_plain_text_passes_through_unchanged() -> None:
    text = "¿Qué pasó en Doñana? El 23% de las medidas, 3,5 km² y 1.200 € 🌧️"
    assert clean_text(text) == text
