"""Split article text into model-sized segments and put it back together exactly.

Each segment keeps the whitespace that followed it, so joining the translated
segments with those separators rebuilds paragraphs and spacing exactly; with the
copy model, ``join(translate(split(text))) == text``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ("Segment", "join_segments", "split_sentences", "split_text")

# Words that end in a full stop without ending a sentence (lower-cased, no dot).
# Single letters (initials) are handled separately; "mar" (sea) is left out on purpose.
_ABBREVIATIONS = frozenset(
    (
        "sr",
        "sra",
        "srta",
        "sres",
        "dr",
        "dra",
        "dña",
        "lic",
        "ing",
        "prof",
        "gral",
        "cap",
        "avda",
        "av",
        "etc",
        "núm",
        "num",
        "nº",
        "pág",
        "pag",
        "art",
        "aprox",
        "ej",
        "vol",
        "tel",
        "ud",
        "uds",
        "vd",
        "vds",
        "dept",
        "depto",
        "admón",
        "adm",
        "ee",
        "uu",
        "cía",
        "s.a",
        "sa",
        "ltda",
        "feb",
        "abr",
        "jun",
        "jul",
        "ago",
        "sep",
        "sept",
        "oct",
        "nov",
        "dic",
        "a.c",
        "d.c",
        "a.m",
        "p.m",
    )
)
# A sentence end: terminal punctuation, optional closing quotes/brackets, then
# whitespace, then something that can open a sentence.
_BOUNDARY = re.compile(r"[.!?…]+[\"”»’')\]]*(\s+)(?=[¿¡\"“«‘'(\[]*[A-ZÁÉÍÓÚÑÜ0-9])")
_LAST_WORD = re.compile(r"(\S+?)[.!?…]*[\"”»’')\]]*$")


@dataclass(frozen=True, slots=True)
class Segment:
    """One piece of text for the model and the separator that followed it."""

    text: str
    separator: str


def _is_abbreviation(before: str) -> bool:
    match = _LAST_WORD.search(before)
    if match is None:
        return False
    word = match.group(1).lower().rstrip(".")
    # Initials ("J. R. Martín") and listed abbreviations ("Sr.", "EE. UU.").
    return (len(word) == 1 and word.isalpha()) or word in _ABBREVIATIONS or word.split(".")[-1] in _ABBREVIATIONS


def split_sentences(paragraph: str) -> list[Segment]:
    """Split one paragraph into sentences, keeping each trailing separator."""
    segments: list[Segment] = []
    start = 0
    for match in _BOUNDARY.finditer(paragraph):
        end = match.start(1)
        if paragraph[end - 1] == "." and _is_abbreviation(paragraph[start:end]):
            continue
        segments.append(Segment(paragraph[start:end], match.group(1)))
        start = match.end(1)
    if start < len(paragraph):
        segments.append(Segment(paragraph[start:], ""))
    return segments


def split_text(text: str) -> list[Segment]:
    """Split ``text`` into sentences; paragraph breaks become separators."""
    segments: list[Segment] = []
    for paragraph in re.split(r"(\n+)", text):
        if not paragraph:
            continue
        if paragraph.startswith("\n"):
            if segments:
                last = segments[-1]
                segments[-1] = Segment(last.text, last.separator + paragraph)
            continue
        segments.extend(split_sentences(paragraph))
    return segments


def join_segments(segments: Sequence[Segment], translations: Sequence[str]) -> str:
    """Rebuild text from translated segments and the original separators.

    Raises:
        ValueError: if the counts differ, which would attach text to the wrong place.
    """
    if len(segments) != len(translations):
        raise ValueError(f"{len(translations)} translations for {len(segments)} segments")
    return "".join(t + s.separator for s, t in zip(segments, translations, strict=True)).strip()
