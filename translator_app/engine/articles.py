"""Translate whole articles: flatten to segments, one model pass, reassemble per article.

This is where the original prototype attached one article's translation to
another. Here every segment carries the index of its article and field, and the
result is rebuilt from those indices, never from positions in a shared list.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .segmentation import Segment, join_segments, split_text

__all__ = ("ArticleText", "BatchResult", "Translate", "split_long_segment", "translate_articles")

Translate = Callable[[Sequence[str]], list[str]]
CountTokens = Callable[[Sequence[str]], list[int]]


@dataclass(frozen=True, slots=True)
class ArticleText:
    """The translatable fields of one article."""

    title: str
    summary: str


@dataclass(frozen=True, slots=True)
class BatchResult:
    """Translations in the callers' order, and the model time they cost."""

    articles: list[ArticleText]
    model_seconds: float
    segments: int


def split_long_segment(text: str, *, count_tokens: CountTokens, limit: int) -> list[Segment]:
    """Split a sentence that exceeds the model limit at the safest points available.

    Tries clause punctuation first, then spaces, and finally cuts a single huge
    "word" into pieces; nothing is ever dropped.
    """
    if count_tokens([text])[0] <= limit:
        return [Segment(text, "")]
    for separator in ("; ", ": ", ", ", " "):
        parts = text.split(separator)
        if len(parts) > 1:
            half = len(parts) // 2
            left, right = separator.join(parts[:half]), separator.join(parts[half:])
            # The separator's trailing space stays between the halves.
            head = split_long_segment(left + separator.rstrip(), count_tokens=count_tokens, limit=limit)
            tail = split_long_segment(right, count_tokens=count_tokens, limit=limit)
            head[-1] = Segment(head[-1].text, " ")
            return head + tail
    middle = len(text) // 2
    head = split_long_segment(text[:middle], count_tokens=count_tokens, limit=limit)
    tail = split_long_segment(text[middle:], count_tokens=count_tokens, limit=limit)
    return head + tail


def _segments(text: str, *, count_tokens: CountTokens, limit: int) -> list[Segment]:
    out: list[Segment] = []
    for segment in split_text(text):
        pieces = split_long_segment(segment.text, count_tokens=count_tokens, limit=limit)
        pieces[-1] = Segment(pieces[-1].text, pieces[-1].separator + segment.separator)
        out.extend(pieces)
    return out


def translate_articles(
    articles: Sequence[ArticleText], *, translate: Translate, count_tokens: CountTokens, limit: int
) -> BatchResult:
    """Translate a batch of articles with one call to ``translate``.

    Identical segments within the batch are translated once.

    Args:
        articles: Cleaned source texts.
        translate: A backend's ``translate``: segments in, same-length list out.
        count_tokens: The backend's token counter, to respect ``limit``.
        limit: The model's maximum source length in tokens.

    Raises:
        ValueError: if ``translate`` returns a different number of results.
    """
    layout: list[tuple[list[Segment], list[Segment]]] = []
    unique: dict[str, int] = {}
    for article in articles:
        fields = (
            _segments(article.title, count_tokens=count_tokens, limit=limit),
            _segments(article.summary, count_tokens=count_tokens, limit=limit),
        )
        for segment in (*fields[0], *fields[1]):
            unique.setdefault(segment.text, len(unique))
        layout.append(fields)
    sources = list(unique)
    started = time.perf_counter()
    outputs = translate(sources) if sources else []
    elapsed = time.perf_counter() - started
    if len(outputs) != len(sources):
        raise ValueError(f"backend returned {len(outputs)} translations for {len(sources)} segments")
    translated = dict(zip(sources, outputs, strict=True))
    results = [
        ArticleText(
            title=join_segments(title, [translated[s.text] for s in title]),
            summary=join_segments(summary, [translated[s.text] for s in summary]),
        )
        for title, summary in layout
    ]
    return BatchResult(articles=results, model_seconds=elapsed, segments=len(sources))
