"""Dropout as word-level language models apply it, at three sites: on the embedding's output,
between stacked layers and on the top layer's output (PyTorch's word_language_model; Zaremba et
al. 2014).

Two kinds:

- ``standard``: a fresh mask for every element of every step (``torch.nn.functional.dropout``).
  Between layers of a torch-backed model, torch.nn's RNN draws it itself, with the same call
  and on the same (steps, batch, hidden) tensor, so a scratch model seeded alike draws the same
  masks.
- ``locked`` (variational dropout, Gal & Ghahramani 2016, as AWD-LSTM's ``LockedDropout``):
  one mask per sequence and unit, the same at every step, so a unit the mask drops is dropped
  for the whole window. Of what AWD-LSTM adds (weight drop on the recurrent weights, embedding
  dropout of whole words, locked dropout) it is the one that acts on activations only, so it
  works alike for both impls and every cell, and needs no change to the weights.

Inputs are time-major ``(steps, batch, features)``; dropout is active in training mode only, and
with ``p = 0`` nothing is drawn (the lab's models draw no random numbers for it).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

DROPOUT_KINDS = ("standard", "locked")


def check_dropout(dropout, kind) -> tuple[float, str]:
    """Validated ``(dropout, kind)``; a bad value raises ValueError naming it."""
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) \
            or not 0.0 <= dropout <= 1.0:
        raise ValueError(f"dropout must be a float in [0, 1], got {dropout!r}")
    if kind not in DROPOUT_KINDS:
        raise ValueError(f"unknown dropout_kind {kind!r} (expected one of "
                         f"{', '.join(DROPOUT_KINDS)})")
    return float(dropout), kind


def drop(x: torch.Tensor, p: float, kind: str, training: bool) -> torch.Tensor:
    """``x`` (steps, batch, n) with dropout ``p`` of ``kind``; ``x`` itself when inactive."""
    if p == 0 or not training:
        return x
    if kind == "standard":
        return F.dropout(x, p, training=True)
    keep = 1.0 - p
    mask = x.new_empty((1, *x.shape[1:])).bernoulli_(keep)      # (1, batch, n): every step
    return x * (mask / keep if keep > 0 else mask)
