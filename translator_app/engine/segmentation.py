"""Split article text into model-sized sentences and put it back together exactly.

Sentence boundaries come from ``sentencex`` (Wikimedia's maintained,
dependency-free splitter with Spanish abbreviation lists). Two corrections sit
on top, for cases where a wrong split changes a translation: an ellipsis never
ends a sentence ("Y entonces… nada"), and neither do a few abbreviations that
sentencex's Spanish list lacks ("a.m.", "EE.").

Each segment keeps the whitespace that followed it, so joining the translated
segments with those separators rebuilds paragraphs and spacing exactly; with the
copy model, ``join(translate(split(text))) == text``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import sentencex

__all__ = ("Segment", "join_segments", "split_sentences", "split_text")

# Abbreviations that sentencex splits after but a Spanish reader would not
# (lower-case, trailing dot removed).
_EXTRA_ABBREVIATIONS = frozenset(("a.m", "p.m", "ee", "uu", "ee. uu", "núm", "nº", "avda", "aprox", "admón", "cía"))
_ELLIPSIS = re.compile(r"(\.\.\.|…)[\"”»’')\]]*$")
_LAST_WORD = re.compile(r"(?:^|\s)(\S+?)\.[\"”»’')\]]*$")


@dataclass(frozen=True, slots=True)
class Segment:
    """One piece of text for the model and the separator that followed it."""

    text: str
    separator: str


def _continues(previous: str, following: str) -> bool:
    """True when the boundary after ``previous`` is not a real sentence end."""
    if _ELLIPSIS.search(previous):
        return True
    match = _LAST_WORD.search(previous)
    if match is not None and match.group(1).lower() in _EXTRA_ABBREVIATIONS:
        return True
    # A sentence never starts with a lower-case letter in edited news text.
    return following[:1].islower()


def split_sentences(paragraph: str) -> list[Segment]:
    """Split one paragraph (no newlines) into sentences, keeping each trailing separator."""
    pieces: list[str] = []
    cursor = 0
    for sentence in sentencex.segment("es", paragraph):
        stripped = sentence.strip()
        if not stripped:
            continue
        # Locate each sentence in the original, so no character is ever lost
        # or invented whatever the library does with whitespace.
        start = paragraph.find(stripped, cursor)
        if start < 0:  # the library changed the text; fall back to no split
            return [Segment(paragraph.strip(), "")] if paragraph.strip() else []
        if pieces and start > cursor:
            pieces[-1] += paragraph[cursor:start]
        cursor = start + len(stripped)
        pieces.append(stripped)
    if not pieces:
        return []
    pieces[-1] += paragraph[cursor:]
    segments: list[Segment] = []
    for piece in pieces:
        text = piece.rstrip()
        separator = piece[len(text) :]
        if segments and _continues(segments[-1].text, text):
            last = segments[-1]
            segments[-1] = Segment(last.text + last.separator + text, separator)
        else:
            segments.append(Segment(text, separator))
    return segments


def split_text(text: str) -> list[Segment]:
    """Split ``text`` into sentences; paragraph breaks become separators."""
    segments: list[Segment] = []
    for paragraph in re.split(r"(\n+)", text):
        body = paragraph.lstrip()
        # Newlines, and whitespace before a paragraph's first sentence, belong
        # to the separator of the sentence before (text is stripped at the ends).
        gap = paragraph[: len(paragraph) - len(body)]
        if gap and segments:
            last = segments[-1]
            segments[-1] = Segment(last.text, last.separator + gap)
        if body:
            segments.extend(split_sentences(body))
    return segments


def join_segments(segments: Sequence[Segment], translations: Sequence[str]) -> str:
    """Rebuild text from translated segments and the original separators.

    Raises:
        ValueError: if the counts differ, which would attach text to the wrong place.
    """
    if len(segments) != len(translations):
        raise ValueError(f"{len(translations)} translations for {len(segments)} segments")
    return "".join(t + s.separator for s, t in zip(segments, translations, strict=True)).strip()
