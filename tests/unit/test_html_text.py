"""format=html: only text nodes are translated; tags, attributes and scripts stay as they were."""

from __future__ import annotations

import pytest

from translator_app.html_text import HtmlFragment


def test_text_nodes_are_found_unescaped_and_put_back_escaped() -> None:
    fragment = HtmlFragment.parse('<p class="x">Hola &amp; adiós</p>\n<b>Sí</b> <!-- nota -->')
    assert fragment.texts == ["Hola & adiós", "Sí"]
    rendered = fragment.render(["Hello & bye <3", "Yes"])
    assert rendered == '<p class="x">Hello &amp; bye &lt;3</p>\n<b>Yes</b> <!-- nota -->'


def test_script_and_style_bodies_are_not_translated() -> None:
    fragment = HtmlFragment.parse("<script>var a = 'hola';</script><style>p{}</style><p>Texto</p>")
    assert fragment.texts == ["Texto"]
    assert fragment.render(["Text"]) == "<script>var a = 'hola';</script><style>p{}</style><p>Text</p>"


def test_plain_text_is_one_node_and_whitespace_is_kept() -> None:
    fragment = HtmlFragment.parse("  Hola  ")
    assert fragment.texts == ["Hola"]
    assert fragment.render(["Hi"]) == "  Hi  "


def test_a_count_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError, match="1 translations for 2"):
        HtmlFragment.parse("<i>a</i><i>b</i>").render(["x"])
