"""What the scratch and torch-backed models share: their sizes and options, ``model_args``,
``begin_state``, dropout, and the initial range of a learned embedding."""

from __future__ import annotations

import torch
from torch import nn

from rnnlab.dropout import drop

# A learned embedding starts as U(-0.1, 0.1) in both impls, as in PyTorch's word_language_model
# (N(0, 0.01²) embeddings times N(0, 0.01²) input weights would leave almost no input signal).
EMBEDDING_INIT = 0.1


class RNNModelBase(nn.Module):
    """Shared attributes, ``begin_state`` and ``model_args`` of both impls."""

    impl = ""

    def __init__(self, cell: str, vocab_size: int, hidden: int, layers: int, **options):
        super().__init__()
        self.cell, self.vocab_size, self.hidden, self.layers = cell, vocab_size, hidden, layers
        self.options = dict(options)
        self.dropout = options["dropout"]
        self.dropout_kind = options.get("dropout_kind", "standard")
        self.embedding_size = options.get("embedding", 0)  # 0: one-hot input
        self.tied = options.get("tied", False)
        self.input_size = self.embedding_size or vocab_size  # of the first recurrent layer

    def model_args(self) -> dict:
        """Plain-python kwargs such that ``build_model(**model_args())`` rebuilds the model."""
        return {"cell": self.cell, "impl": self.impl, "vocab_size": self.vocab_size,
                "hidden": self.hidden, "layers": self.layers, **self.options}

    def begin_state(self, batch_size: int, device=None) -> tuple[torch.Tensor, ...]:
        """Zero state: ``(H,)`` or, for lstm, ``(H, C)``; each ``(layers, batch, hidden)``."""
        p = next(self.parameters())
        device = p.device if device is None else device
        n = 2 if self.cell == "lstm" else 1
        return tuple(torch.zeros(self.layers, batch_size, self.hidden, dtype=p.dtype,
                                 device=device) for _ in range(n))

    def drop(self, x: torch.Tensor) -> torch.Tensor:
        """This model's dropout on ``x`` (steps, batch, n) (itself when inactive)."""
        return drop(x, self.dropout, self.dropout_kind, self.training)

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.model_args().items() if k != "impl")

    # Forward returns time-major logits (steps * batch, vocab), row t * batch + b for step t of
    # sequence b: that is the order the recurrence produces outputs in (no transpose copy),
    # and it matches the textbook's loss on ``Y.T.reshape(-1)``.
