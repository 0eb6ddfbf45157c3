"""One model pass for a whole batch, and every translation back on its own article."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from translator_app.engine.articles import ArticleText, split_long_segment, translate_articles


def count_words(texts: Sequence[str]) -> list[int]:
    return [len(t.split()) for t in texts]


class Recorder:
    """A stand-in model: tags each segment so its origin is visible."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, texts: Sequence[str]) -> list[str]:
        self.calls.append(list(texts))
        return [f"<{t}>" for t in texts]


def test_each_article_gets_its_own_translation() -> None:
    articles = [ArticleText(title=f"Título {i}.", summary=f"Frase {i}a. Frase {i}b.") for i in range(20)]
    model = Recorder()
    result = translate_articles(articles, translate=model, count_tokens=count_words, limit=50)
    assert len(model.calls) == 1
    for i, out in enumerate(result.articles):
        assert out.title == f"<Título {i}.>"
        assert out.summary == f"<Frase {i}a.> <Frase {i}b.>"


def test_identical_segments_are_translated_once() -> None:
    model = Recorder()
    result = translate_articles(
        [ArticleText("Hola.", "Hola. Adiós."), ArticleText("Adiós.", "")],
        translate=model,
        count_tokens=count_words,
        limit=50,
    )
    assert sorted(model.calls[0]) == ["Adiós.", "Hola."]
    assert result.segments == 2
    assert [a.title for a in result.articles] == ["<Hola.>", "<Adiós.>"]
    assert result.articles[1].summary == ""


def test_a_backend_that_drops_a_result_is_an_error_not_a_mix_up() -> None:
    def lossy(texts: Sequence[str]) -> list[str]:
        return list(texts)[:-1]

    with pytest.raises(ValueError, match="translations for"):
        translate_articles([ArticleText("Uno.", "Dos.")], translate=lossy, count_tokens=count_words, limit=50)


def test_over_long_sentence_is_split_never_cut() -> None:
    sentence = ", ".join(f"cláusula número {i}" for i in range(40)) + "."
    pieces = split_long_segment(sentence, count_tokens=count_words, limit=10)
    assert all(count_words([p.text])[0] <= 10 for p in pieces)
    assert "".join(p.text + p.separator for p in pieces) == sentence


def test_single_huge_word_is_split_into_pieces() -> None:
    word = "a" * 5000

    def count_chars(texts: Sequence[str]) -> list[int]:
        return [len(t) // 100 for t in texts]

    pieces = split_long_segment(word, count_tokens=count_chars, limit=10)
    assert "".join(p.text + p.separator for p in pieces) == word
    assert all(len(p.text) // 100 <= 10 for p in pieces)


def test_long_summary_round_trips_through_an_identity_model() -> None:
    summary = "Primera frase corta. " + ", ".join(f"parte {i}" for i in range(60)) + ". Fin.\nOtro párrafo."
    result = translate_articles(
        [ArticleText("T", summary)], translate=lambda t: list(t), count_tokens=count_words, limit=12
    )
    assert result.articles[0].summary == summary
