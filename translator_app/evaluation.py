"""``translator_app eval --refs FILE.tsv``: BLEU and chrF of the configured model, with sacrebleu."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

__all__ = ("EvalResult", "read_references", "score")


@dataclass(frozen=True, slots=True)
class EvalResult:
    """Corpus-level scores (0-100) and the number of sentence pairs."""

    bleu: float
    chrf: float
    sentences: int


def read_references(path: Path) -> tuple[list[str], list[str]]:
    """Read ``source<TAB>reference`` lines (UTF-8; blank lines and ``#`` comments skipped).

    Raises:
        ValueError: for a line without exactly one tab, naming its line number.
    """
    sources, references = [], []
    with path.open(encoding="utf-8", newline="") as handle:
        for number, fields in enumerate(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE), start=1):
            if not fields or not "".join(fields).strip() or fields[0].startswith("#"):
                continue
            if len(fields) != 2:
                raise ValueError(f"{path}:{number}: expected 'source<TAB>reference', got {len(fields)} fields")
            sources.append(fields[0].strip())
            references.append(fields[1].strip())
    if not sources:
        raise ValueError(f"{path}: no sentence pairs")
    return sources, references


def score(hypotheses: list[str], references: list[str]) -> EvalResult:
    """Corpus BLEU and chrF (sacrebleu's defaults)."""
    import sacrebleu

    return EvalResult(
        bleu=float(sacrebleu.corpus_bleu(hypotheses, [references]).score),
        chrf=float(sacrebleu.corpus_chrf(hypotheses, [references]).score),
        sentences=len(hypotheses),
    )
