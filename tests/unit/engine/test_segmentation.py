"""Sentences split where a Spanish reader would split them, and join back exactly."""

from __future__ import annotations

import pytest

from translator_app.engine.segmentation import Segment, join_segments, split_text


def texts(text: str) -> list[str]:
    return [s.text for s in split_text(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hola. ¡Qué día! ¿Vienes?", ["Hola.", "¡Qué día!", "¿Vienes?"]),
        (
            "El Sr. García y la Sra. Ruiz llegaron. Luego hablaron.",
            ["El Sr. García y la Sra. Ruiz llegaron.", "Luego hablaron."],
        ),
        ("Viajó a EE. UU. en enero. Volvió en marzo.", ["Viajó a EE. UU. en enero.", "Volvió en marzo."]),
        ("Frutas, verduras, etc. Todo subió.", ["Frutas, verduras, etc. Todo subió."]),
        ("El PIB creció un 3,5 % y 3.5 puntos. Bien.", ["El PIB creció un 3,5 % y 3.5 puntos.", "Bien."]),
        ("Dijo: «Es el fin». Nadie respondió.", ["Dijo: «Es el fin».", "Nadie respondió."]),
        ("Y entonces… nada. Silencio.", ["Y entonces… nada.", "Silencio."]),
        ("Lo firmó J. R. Martín ayer.", ["Lo firmó J. R. Martín ayer."]),
        ("Sin punto final", ["Sin punto final"]),
        ("La Dra. Pérez y el Sr. López hablaron. Bien.", ["La Dra. Pérez y el Sr. López hablaron.", "Bien."]),
        ("Se espera... No se sabe. Fin.", ["Se espera... No se sabe.", "Fin."]),
        ("Abrió a las 10 a.m. del lunes. Cerró.", ["Abrió a las 10 a.m. del lunes.", "Cerró."]),
        ("Cuesta 1.234,56 euros. Caro.", ["Cuesta 1.234,56 euros.", "Caro."]),
        ('Dijo: "Esto es todo." Y se fue.', ['Dijo: "Esto es todo."', "Y se fue."]),
        ("«¿Vendrás?», preguntó. Nadie.", ["«¿Vendrás?», preguntó.", "Nadie."]),
    ],
)
def test_spanish_sentence_boundaries(text: str, expected: list[str]) -> None:
    assert texts(text) == expected


def test_paragraph_breaks_survive_a_round_trip() -> None:
    text = "Primera frase. Segunda.\nOtro párrafo.\n\nTercero."
    segments = split_text(text)
    assert join_segments(segments, [s.text for s in segments]) == text


def test_spacing_and_leading_punctuation_are_kept_exactly() -> None:
    text = "Uno.   Dos.\tTres.\n \n¿Cuatro?"
    segments = split_text(text)
    assert [s.text for s in segments] == ["Uno.", "Dos.", "Tres.", "¿Cuatro?"]
    assert join_segments(segments, [s.text for s in segments]) == text


def test_join_refuses_a_count_mismatch() -> None:
    with pytest.raises(ValueError, match="2 translations for 1 segments"):
        join_segments([Segment("a", "")], ["x", "y"])
