"""Translate whole articles: split into sentences, batch them, reassemble per article.

This is where the original prototype attached one article's translation to
another. Here each article keeps its own list of segments and gets back exactly
the results for those segments, by position in its own lists, never by arrival
order of results in a shared one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .batcher import MicroBatcher, SegmentResult
from .segmentation import Segment, join_segments, split_text

__all__ = ("ArticleText", "ArticleTranslation", "segment_text", "split_long_segment", "translate_articles")

CountTokens = Callable[[Sequence[str]], list[int]]


@dataclass(frozen=True, slots=True)
class ArticleText:
    """The translatable fields of one article."""

    title: str
    summary: str


@dataclass(frozen=True, slots=True)
class ArticleTranslation:
    """One article's translation and what it cost.

    ``model_seconds`` is the longest model call any of its segments waited on
    (0 when the cache answered every segment).
    """

    article: ArticleText
    model_seconds: float
    segments: int
    cached_segments: int


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


def segment_text(text: str, *, count_tokens: CountTokens, limit: int) -> list[Segment]:
    """Split ``text`` into sentences, and any sentence over ``limit`` tokens further."""
    out: list[Segment] = []
    for segment in split_text(text):
        pieces = split_long_segment(segment.text, count_tokens=count_tokens, limit=limit)
        pieces[-1] = Segment(pieces[-1].text, pieces[-1].separator + segment.separator)
        out.extend(pieces)
    return out


async def translate_articles(
    articles: Sequence[ArticleText], *, batcher: MicroBatcher, origin: str = "direct"
) -> list[ArticleTranslation | BaseException]:
    """Translate a batch of articles through ``batcher``, in one submission.

    Returns:
        One entry per article, in order: its translation, or the error of the
        first segment that failed (the other articles are unaffected).
    """
    backend = batcher.backend
    layout: list[tuple[list[Segment], list[Segment]]] = []
    sources: list[str] = []
    for article in articles:
        fields = tuple(
            segment_text(text, count_tokens=backend.count_tokens, limit=backend.max_segment_tokens)
            for text in (article.title, article.summary)
        )
        layout.append((fields[0], fields[1]))
        sources.extend(s.text for s in (*fields[0], *fields[1]))
    results = await batcher.translate_detailed(sources, origin=origin)
    outcomes: list[ArticleTranslation | BaseException] = []
    cursor = 0
    for title, summary in layout:
        own = results[cursor : cursor + len(title) + len(summary)]
        cursor += len(own)
        failure = next((r for r in own if isinstance(r, BaseException)), None)
        if failure is not None:
            outcomes.append(failure)
            continue
        done = [r for r in own if isinstance(r, SegmentResult)]
        english = ArticleText(
            title=join_segments(title, [r.text for r in done[: len(title)]]),
            summary=join_segments(summary, [r.text for r in done[len(title) :]]),
        )
        outcomes.append(
            ArticleTranslation(
                article=english,
                model_seconds=max((r.model_seconds for r in done), default=0.0),
                segments=len(done),
                cached_segments=sum(r.cached for r in done),
            )
        )
    return outcomes
