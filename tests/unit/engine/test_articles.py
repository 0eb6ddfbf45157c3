"""Whole articles: sentences batched together, every translation back on its own article."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest

from translator_app.engine.articles import ArticleText, ArticleTranslation, split_long_segment, translate_articles
from translator_app.engine.batcher import MicroBatcher

from .fakes import TaggingBackend


def count_words(texts: Sequence[str]) -> list[int]:
    return [len(t.split()) for t in texts]


@pytest.fixture
async def backend_and_batcher() -> AsyncIterator[tuple[TaggingBackend, MicroBatcher]]:
    executor = ThreadPoolExecutor(max_workers=1)
    backend = TaggingBackend()
    batcher = MicroBatcher(
        backend, executor=executor, max_batch=64, max_wait_s=0.01, max_tokens=10_000, max_pending=1000
    )
    yield backend, batcher
    await batcher.aclose()
    executor.shutdown()


def done(outcome: ArticleTranslation | BaseException) -> ArticleTranslation:
    assert isinstance(outcome, ArticleTranslation), outcome
    return outcome


async def test_each_article_gets_its_own_translation(backend_and_batcher: tuple[TaggingBackend, MicroBatcher]) -> None:
    backend, batcher = backend_and_batcher
    articles = [ArticleText(title=f"Título {i}.", summary=f"Frase {i}a. Frase {i}b.") for i in range(20)]
    outcomes = await translate_articles(articles, batcher=batcher)
    assert len(backend.calls) == 1  # one model call for the whole batch
    for i, outcome in enumerate(outcomes):
        assert done(outcome).article == ArticleText(f"<Título {i}.>", f"<Frase {i}a.> <Frase {i}b.>")
        assert done(outcome).segments == 3


async def test_a_failing_article_does_not_take_the_batch_down() -> None:
    executor = ThreadPoolExecutor(max_workers=1)
    batcher = MicroBatcher(
        TaggingBackend(fail_on="veneno"),
        executor=executor,
        max_batch=64,
        max_wait_s=0.01,
        max_tokens=10_000,
        max_pending=1000,
    )
    try:
        outcomes = await translate_articles(
            [ArticleText("Uno.", "Bien."), ArticleText("Dos.", "Hay veneno."), ArticleText("Tres.", "")],
            batcher=batcher,
        )
    finally:
        await batcher.aclose()
        executor.shutdown()
    assert done(outcomes[0]).article == ArticleText("<Uno.>", "<Bien.>")
    assert isinstance(outcomes[1], RuntimeError)
    assert done(outcomes[2]).article == ArticleText("<Tres.>", "")


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


async def test_long_summary_round_trips_with_paragraphs(
    backend_and_batcher: tuple[TaggingBackend, MicroBatcher],
) -> None:
    backend, batcher = backend_and_batcher
    backend.max_segment_tokens = 12
    summary = "Primera frase corta. " + ", ".join(f"parte {i}" for i in range(60)) + ". Fin.\n\nOtro párrafo."
    outcome = done((await translate_articles([ArticleText("T", summary)], batcher=batcher))[0])
    sent = [t for call in backend.calls for t in call]
    assert all(len(t.split()) <= 12 for t in sent)
    # Strip the tags: what remains must be the source, every character, every break.
    assert outcome.article.summary.replace("<", "").replace(">", "") == summary
