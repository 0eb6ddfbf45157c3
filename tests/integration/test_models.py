"""The local stand-ins for opus-mt-es-en are what the benchmarks and end-to-end tests assume."""

from __future__ import annotations

from pathlib import Path

import torch

from tests.support import ROOT
from translator_app.engine.backend import TransformersBackend
from translator_app.engine.loading import load_marian

HELDOUT = [line for line in (ROOT / "data" / "heldout_es.txt").read_text(encoding="utf-8").splitlines() if line]
CORPUS = set((ROOT / "data" / "corpus_es.txt").read_text(encoding="utf-8").splitlines())


def test_heldout_sentences_are_unseen_and_cover_hard_characters() -> None:
    assert len(HELDOUT) == 100 and not CORPUS & set(HELDOUT)
    for needle in ("ñ", "¿", "¡", "“", "€", "…"):
        assert any(needle in line for line in HELDOUT), needle
    assert any(ord(ch) > 0xFFFF for line in HELDOUT for ch in line), "no emoji"


def test_copy_model_reproduces_at_least_99_percent_of_heldout_sentences(copy_model: Path) -> None:
    backend = TransformersBackend(
        load_marian(str(copy_model), device="cpu"), num_beams=None, max_new_tokens=256, max_batch=16
    )
    outputs = backend.translate(HELDOUT)
    exact = sum(out == src for out, src in zip(outputs, HELDOUT, strict=True))
    assert exact / len(HELDOUT) >= 0.99, [(s, o) for s, o in zip(HELDOUT, outputs, strict=True) if s != o][:5]


def test_backend_returns_results_in_caller_order_despite_length_sorting(copy_model: Path) -> None:
    backend = TransformersBackend(
        load_marian(str(copy_model), device="cpu"), num_beams=None, max_new_tokens=256, max_batch=3
    )
    texts = [*sorted(HELDOUT[:10], key=len, reverse=True), "", "Sí."]
    assert backend.translate(texts) == texts


def test_random_clone_has_opus_mt_es_en_shape(random_model: Path) -> None:
    loaded = load_marian(str(random_model), device="cpu")
    config = loaded.model.config
    shape = (
        config.encoder_layers,
        config.decoder_layers,
        config.d_model,
        config.encoder_attention_heads,
        config.encoder_ffn_dim,
    )
    assert shape == (6, 6, 512, 8, 2048)
    assert (config.vocab_size, config.pad_token_id, config.decoder_start_token_id) == (65001, 65000, 65000)
    assert loaded.tokenizer.convert_tokens_to_ids("<pad>") == 65000 == len(loaded.tokenizer) - 1
    params = sum(p.numel() for p in loaded.model.parameters())
    assert 77e6 < params < 79e6
    assert loaded.model.dtype == torch.float32
