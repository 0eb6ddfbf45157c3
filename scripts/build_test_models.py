"""Build the two local stand-ins for Helsinki-NLP/opus-mt-es-en (no Hub access here).

* ``opus-mt-es-en-random``: the real architecture and size (6+6 layers, d_model
  512, 8 heads, FFN 2048, vocab 65001, pad id 65000) with random weights, for
  benchmarks: it costs what the real model costs.
* ``copy-es``: a tiny Marian model trained here to copy its input, so end-to-end
  tests can assert ``translation == source`` and catch mixed-up, escaped, lost or
  reordered text.

Both are deterministic (fixed seeds, fixed step counts) and are saved with
``save_pretrained`` so the worker loads them through the same
``from_pretrained(dir)`` path as the real model.

Usage: ``python scripts/build_test_models.py --out .cache/models [--only copy-es]``
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import sentencepiece as spm
import torch
from transformers import GenerationConfig, MarianConfig, MarianMTModel, MarianTokenizer

__all__ = ("build_copy_model", "build_random_clone", "main")

logger = logging.getLogger("build_test_models")
ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "data" / "corpus_es.txt"
FEED = ROOT / "data" / "sample_feed_es.xml"
HELDOUT = ROOT / "data" / "heldout_es.txt"
SEED = 20241213
# Bump when the recipe changes so cached models are rebuilt.
RECIPE_VERSION = 4


def corpus_lines() -> list[str]:
    """Return the project's own Spanish training text (never the held-out set)."""
    lines = [line.strip() for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    feed = FEED.read_text(encoding="utf-8")
    for field in re.findall(r"<(?:title|description)>(.*?)</(?:title|description)>", feed, flags=re.S):
        text = re.sub(r"<[^>]+>|<!\[CDATA\[|\]\]>", " ", field)
        lines.extend(part.strip() for part in re.split(r"(?<=[.!?])\s+", text) if part.strip())
    return lines


def train_sentencepiece(lines: list[str], workdir: Path, *, vocab_size: int) -> Path:
    """Train a SentencePiece model that keeps text byte-exact.

    ``identity`` normalisation keeps "…" and curly quotes as they are (NFKC would
    rewrite them) and byte fallback keeps emoji instead of mapping them to <unk>.
    """
    text_file = workdir / "spm_train.txt"
    text_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    prefix = workdir / "spm"
    spm.SentencePieceTrainer.train(
        input=str(text_file),
        model_prefix=str(prefix),
        vocab_size=vocab_size,
        model_type="unigram",
        character_coverage=1.0,
        normalization_rule_name="identity",
        byte_fallback=True,
        hard_vocab_limit=False,
        unk_id=1,
        bos_id=-1,
        eos_id=0,
        pad_id=-1,
        unk_piece="<unk>",
        eos_piece="</s>",
        num_threads=1,
        minloglevel=2,
    )
    return prefix.with_suffix(".model")


def write_tokenizer(spm_model: Path, out: Path, *, vocab_size: int) -> MarianTokenizer:
    """Write a MarianTokenizer whose vocab puts ``<pad>`` last, as opus-mt does.

    CTranslate2's converter requires that layout (pad id == vocab size - 1).
    """
    out.mkdir(parents=True, exist_ok=True)
    processor = spm.SentencePieceProcessor(model_file=str(spm_model))
    pieces = [processor.id_to_piece(i) for i in range(processor.get_piece_size())]
    vocab = {piece: i for i, piece in enumerate(pieces)}
    for filler in range(len(vocab), vocab_size - 1):
        vocab[f"<unused{filler}>"] = filler
    vocab["<pad>"] = vocab_size - 1
    if len(vocab) != vocab_size:
        raise RuntimeError(f"vocab has {len(vocab)} entries, expected {vocab_size}")
    (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    shutil.copy(spm_model, out / "source.spm")
    shutil.copy(spm_model, out / "target.spm")
    tokenizer = MarianTokenizer(
        source_spm=str(out / "source.spm"),
        target_spm=str(out / "target.spm"),
        vocab=str(out / "vocab.json"),
        source_lang="es",
        target_lang="en",
    )
    tokenizer.save_pretrained(out)
    config_file = out / "tokenizer_config.json"
    config = json.loads(config_file.read_text(encoding="utf-8"))
    # Otherwise <pad> is also registered as an added token with a second id.
    config.pop("added_tokens_decoder", None)
    config_file.write_text(json.dumps(config, ensure_ascii=False, indent=2), encoding="utf-8")
    return MarianTokenizer.from_pretrained(out)


def marian_config(*, vocab_size: int, d_model: int, layers: int, heads: int, ffn: int) -> MarianConfig:
    """Return an opus-mt style config (pad last, eos 0, sinusoidal positions)."""
    pad = vocab_size - 1
    return MarianConfig(
        vocab_size=vocab_size,
        d_model=d_model,
        encoder_layers=layers,
        decoder_layers=layers,
        encoder_attention_heads=heads,
        decoder_attention_heads=heads,
        encoder_ffn_dim=ffn,
        decoder_ffn_dim=ffn,
        max_position_embeddings=512,
        pad_token_id=pad,
        decoder_start_token_id=pad,
        eos_token_id=0,
        forced_eos_token_id=0,
        scale_embedding=True,
        share_encoder_decoder_embeddings=True,
        activation_function="swish",
        dropout=0.0,
        attention_dropout=0.0,
        activation_dropout=0.0,
    )


def build_random_clone(out: Path, lines: list[str]) -> None:
    """Save a random-weight model with opus-mt-es-en's exact shape and cost."""
    torch.manual_seed(SEED)
    with tempfile.TemporaryDirectory() as tmp:
        tokenizer = write_tokenizer(train_sentencepiece(lines, Path(tmp), vocab_size=4000), out, vocab_size=65001)
    config = marian_config(vocab_size=65001, d_model=512, layers=6, heads=8, ffn=2048)
    model = MarianMTModel(config)
    model.generation_config = GenerationConfig(
        decoder_start_token_id=65000,
        pad_token_id=65000,
        eos_token_id=0,
        forced_eos_token_id=0,
        bad_words_ids=[[65000]],
        num_beams=4,
    )
    model.save_pretrained(out)
    params = sum(p.numel() for p in model.parameters())
    logger.info("random clone: %.1fM parameters, tokenizer vocab %d -> %s", params / 1e6, len(tokenizer), out)


def _copy_batches(
    sentences: list[list[int]], vocab_ids: list[int], *, batch: int, steps: int, rng: random.Random
) -> Iterator[list[list[int]]]:
    """Yield copy-task examples on a length curriculum.

    Half are random id sequences: they force the model to learn copying itself
    rather than a Spanish language model, so unseen words and rare byte pieces
    copy as well. Lengths start short, where the position-to-position alignment
    is learnt in a few dozen steps, and grow to full sentences.
    """
    step = 0
    while True:
        cap = int(8 + 56 * min(1.0, step / (0.5 * steps)))
        examples: list[list[int]] = []
        for _ in range(batch):
            if rng.random() < 0.5:
                ids = list(rng.choice(sentences))
                if len(ids) > cap:
                    start = rng.randint(0, len(ids) - cap)
                    ids = ids[start : start + cap]
            else:
                ids = [rng.choice(vocab_ids) for _ in range(rng.randint(1, cap))]
            examples.append(ids)
        step += 1
        yield examples


def _collate(examples: list[list[int]], *, pad: int, eos: int) -> dict[str, torch.Tensor]:
    width = max(len(ids) for ids in examples) + 1
    inputs = torch.full((len(examples), width), pad)
    labels = torch.full((len(examples), width), -100)
    decoder_inputs = torch.full((len(examples), width), pad)
    for row, ids in enumerate(examples):
        seq = torch.tensor([*ids, eos])
        inputs[row, : len(seq)] = seq
        labels[row, : len(seq)] = seq
        decoder_inputs[row, 1 : len(seq)] = seq[:-1]
    return {
        "input_ids": inputs,
        "attention_mask": (inputs != pad).long(),
        "decoder_input_ids": decoder_inputs,
        "labels": labels,
    }


def copy_accuracy(model: MarianMTModel, tokenizer: MarianTokenizer, sentences: list[str]) -> float:
    """Return the fraction of ``sentences`` the model reproduces exactly."""
    model.eval()
    exact = 0
    with torch.inference_mode():
        for start in range(0, len(sentences), 32):
            chunk = sentences[start : start + 32]
            batch = tokenizer(chunk, return_tensors="pt", padding=True)
            generated = model.generate(**batch, num_beams=1, max_new_tokens=160)
            decoded = tokenizer.batch_decode(generated, skip_special_tokens=True)
            exact += sum(out == src for out, src in zip(decoded, chunk, strict=True))
    return exact / len(sentences)


def init_positional_copy(
    model: MarianMTModel, *, frequencies: int = 16, align: float = 20.0, gain: float = 10.0
) -> None:
    """Start the copy model from a hand-built copying circuit, so training takes minutes, not hours.

    From random weights a 2+2-layer Marian needs thousands of CPU steps before its
    cross-attention learns "decoder position t reads source position t". Here that
    alignment is written in directly:

    * token embeddings get equal norms and are zero on the sinusoidal position
      dimensions of the ``frequencies`` fastest frequencies, and on one reference
      dimension whose position value is ~0;
    * the first decoder layer's cross-attention queries and keys read exactly those
      position dimensions (minus the reference dimension, which cancels the
      LayerNorm mean shift), so every head attends to the same position;
    * its values and output pass the source embedding through, scaled by ``gain``;
    * every other sub-layer starts as the identity (its output projection is zero).

    Training then only polishes a model that already copies.
    """
    d = model.config.d_model
    heads = model.config.decoder_attention_heads
    head_dim = d // heads
    position_dims = [*range(frequencies), *range(d // 2, d // 2 + frequencies)]
    reference = d // 2 - 1  # sin of the slowest frequency: ~0 for the first thousand positions
    if 2 * frequencies > head_dim:
        raise ValueError("each head must hold the sin and cos of every frequency used")
    with torch.no_grad():
        embed = model.model.shared.weight
        embed.normal_(0.0, 1.0)
        embed[:, [*position_dims, reference]] = 0.0
        embed.mul_(0.2 * d**0.5 / embed.norm(dim=1, keepdim=True))
        blocks = [*model.model.encoder.layers, *model.model.decoder.layers]
        for layer in blocks:
            for proj in (layer.self_attn.out_proj, layer.fc2):
                proj.weight.zero_()
                proj.bias.zero_()
        for index, layer in enumerate(model.model.decoder.layers):
            cross = layer.encoder_attn
            if index:
                cross.out_proj.weight.zero_()
                cross.out_proj.bias.zero_()
                continue
            for proj in (cross.q_proj, cross.k_proj):
                proj.weight.zero_()
                proj.bias.zero_()
                for head in range(heads):
                    for slot, dim in enumerate(position_dims):
                        proj.weight[head * head_dim + slot, dim] = align
                        proj.weight[head * head_dim + slot, reference] = -align
            cross.v_proj.weight.copy_(torch.eye(d))
            cross.v_proj.bias.zero_()
            cross.out_proj.weight.copy_(torch.eye(d) * gain)
            cross.out_proj.bias.zero_()
        model.final_logits_bias.zero_()


def build_copy_model(out: Path, lines: list[str], *, steps: int) -> float:
    """Train a 2+2-layer Marian to copy Spanish text; return held-out exact-copy rate.

    Raises:
        RuntimeError: if the model copies less than 99% of the held-out sentences.
    """
    random.seed(SEED)
    torch.manual_seed(SEED)
    rng = random.Random(SEED)
    with tempfile.TemporaryDirectory() as tmp:
        spm_path = train_sentencepiece(lines, Path(tmp), vocab_size=1000)
        pieces = spm.SentencePieceProcessor(model_file=str(spm_path)).get_piece_size()
        tokenizer = write_tokenizer(spm_path, out, vocab_size=pieces + 1)
    vocab_size = pieces + 1
    pad, eos = vocab_size - 1, 0
    config = marian_config(vocab_size=vocab_size, d_model=128, layers=2, heads=4, ffn=512)
    model = MarianMTModel(config)
    init_positional_copy(model)
    sentences = [tokenizer(line)["input_ids"][:-1] for line in lines]
    vocab_ids = [i for i in range(2, pad)]
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.98), weight_decay=0.0)
    warmup = max(1, steps // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, (step + 1) / warmup) * max(0.05, 1 - step / steps)
    )
    model.train()
    started = time.monotonic()
    batches = _copy_batches(sentences, vocab_ids, batch=64, steps=steps, rng=rng)
    for step in range(steps):
        loss = model(**_collate(next(batches), pad=pad, eos=eos)).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        if step % 100 == 0 or step == steps - 1:
            logger.info(
                "copy-es step %d/%d loss %.4f (%.0fs)", step + 1, steps, loss.item(), time.monotonic() - started
            )
    model.generation_config = GenerationConfig(
        decoder_start_token_id=pad,
        pad_token_id=pad,
        eos_token_id=eos,
        forced_eos_token_id=eos,
        bad_words_ids=[[pad]],
        num_beams=1,
    )
    heldout = [line for line in HELDOUT.read_text(encoding="utf-8").splitlines() if line.strip()]
    accuracy = copy_accuracy(model, tokenizer, heldout)
    if accuracy < 0.99:
        raise RuntimeError(f"copy-es copies only {accuracy:.1%} of held-out sentences exactly (need 99%)")
    model.save_pretrained(out)
    logger.info(
        "copy-es: %d steps in %.0fs, held-out exact copy %.1f%% -> %s",
        steps,
        time.monotonic() - started,
        accuracy * 100,
        out,
    )
    return accuracy


def main(argv: list[str] | None = None) -> int:
    """Build whichever test models are missing or stale under ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / ".cache" / "models")
    parser.add_argument("--only", choices=("opus-mt-es-en-random", "copy-es"))
    parser.add_argument("--copy-steps", type=int, default=150)
    parser.add_argument("--force", action="store_true", help="rebuild even if a current build exists")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(max(1, torch.get_num_threads()))
    lines = corpus_lines()
    stamp = {"recipe": RECIPE_VERSION, "copy_steps": args.copy_steps, "torch": torch.__version__}
    for name in ("opus-mt-es-en-random", "copy-es"):
        if args.only and args.only != name:
            continue
        target = args.out / name
        stamp_file = target / "BUILD.json"
        if not args.force and stamp_file.exists() and json.loads(stamp_file.read_text())["stamp"] == stamp:
            logger.info("%s is up to date in %s", name, target)
            continue
        shutil.rmtree(target, ignore_errors=True)
        if name == "copy-es":
            accuracy = build_copy_model(target, lines, steps=args.copy_steps)
            extra = {"heldout_exact_copy": accuracy}
        else:
            build_random_clone(target, lines)
            extra = {}
        stamp_file.write_text(json.dumps({"stamp": stamp, **extra}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
