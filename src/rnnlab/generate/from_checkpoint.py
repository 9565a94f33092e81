"""``generate``: one strategy run on the model of a checkpoint written by ``rnnlab train``."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from rnnlab.checkpoint import load_checkpoint, model_from_checkpoint
from rnnlab.data import TOKEN_KINDS, Vocab
from rnnlab.errors import CheckpointError, GenerationError
from rnnlab.generate.beam import beam_search
from rnnlab.generate.options import (
    ALPHA_MAX,
    BEAM_SIZE_MAX,
    NUM_PREDS_MAX,
    SEED_MAX,
    STRATEGIES,
    check_int,
    check_real,
    prefix_tokens,
    resolve_device,
)
from rnnlab.generate.sampling import greedy, sample


def _rebuild(payload: dict, device: torch.device, path) -> tuple[nn.Module, Vocab, str]:
    """The model (on ``device``), vocabulary and token kind of a loaded checkpoint."""
    try:
        model, vocab = model_from_checkpoint(payload, device)
    except (KeyError, TypeError, ValueError, RuntimeError) as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CheckpointError(f"{str(path)!r}: cannot rebuild its model: {reason}") from None
    token = payload.get("token", "char")
    if token not in TOKEN_KINDS:
        raise CheckpointError(f"{str(path)!r} has an unknown token kind {token!r}")
    if getattr(model, "vocab_size", len(vocab)) != len(vocab):
        raise CheckpointError(f"{str(path)!r}: the model has {model.vocab_size} outputs but the "
                              f"vocabulary {len(vocab)} tokens")
    return model, vocab, token


def generate(checkpoint: str | Path, prefix: str, num_preds: int = 50, strategy: str = "greedy",
             temperature: float = 1.0, top_k: int | None = None, beam_size: int = 4,
             alpha: float = 0.75, num_best: int = 1, seed: int | None = None,
             device: str = "cpu") -> list[tuple[str, float | None]]:
    """Continue ``prefix`` with the model of a checkpoint written by ``rnnlab train``.

    The checkpoint loads on the CPU and the model is rebuilt on ``device`` (``auto``: CUDA when
    there is one). ``greedy`` and ``sample`` (``seed`` makes it reproducible) give one
    ``(text, None)``; ``beam`` gives the ``num_best`` best ``(text, score)``. Every option is
    checked before the checkpoint is read, whatever the strategy.
    """
    if strategy not in STRATEGIES:
        raise GenerationError(f"unknown strategy {strategy!r} (expected one of "
                              f"{', '.join(STRATEGIES)})")
    num_preds = check_int("num_preds", num_preds, 0, NUM_PREDS_MAX)
    temperature = check_real("temperature", temperature, positive=True)
    if top_k is not None:
        top_k = check_int("top_k", top_k, 1)
    beam_size = check_int("beam_size", beam_size, 1, BEAM_SIZE_MAX)
    alpha = check_real("alpha", alpha)
    if not 0 <= alpha <= ALPHA_MAX:
        raise GenerationError(f"alpha must be between 0 and {ALPHA_MAX:g}, got {alpha:g}")
    num_best = check_int("num_best", num_best, 1)
    if seed is not None:
        seed = check_int("seed", seed, 0)
        if seed > SEED_MAX:
            raise GenerationError(f"seed must be at most {SEED_MAX} (2**63 - 1), got {seed}")
    prefix_tokens(prefix, "char")  # an empty prefix is empty for every token kind
    device = resolve_device(device)

    payload = load_checkpoint(checkpoint, map_location="cpu")
    model, vocab, token = _rebuild(payload, device, checkpoint)
    if strategy == "greedy":
        return [(greedy(model, vocab, prefix, num_preds, device, token), None)]
    if strategy == "sample":
        generator = None if seed is None else torch.Generator().manual_seed(seed)
        text = sample(model, vocab, prefix, num_preds, temperature, top_k, generator, device,
                      token)
        return [(text, None)]
    results = beam_search(model, vocab, prefix, num_preds, beam_size, alpha, device, token)
    return results[:num_best]
