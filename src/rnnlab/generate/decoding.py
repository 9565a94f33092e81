"""What every strategy shares: inference mode, and the warm-up on the prefix."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import nn


@contextlib.contextmanager
def inference(model: nn.Module) -> Iterator[None]:
    """Eval mode and no autograd for the duration; the model's previous mode comes back after
    (the training job calls ``greedy`` mid-run).

    oneDNN (mkldnn) is off meanwhile: on the CPU its nn.LSTM costs milliseconds per call, far
    more than the one-token steps of decoding compute; the native kernels are ~10-100x faster.
    """
    was_training, mkldnn = model.training, torch.backends.mkldnn.enabled
    model.eval()
    torch.backends.mkldnn.enabled = False
    try:
        with torch.no_grad():
            yield
    finally:
        torch.backends.mkldnn.enabled = mkldnn
        model.train(was_training)


def warm_up(model: nn.Module, ids: list[int], device: torch.device):
    """Run the prefix through the model with batch 1, from the zero state.

    All tokens but the last go through one forward call, which is the same recurrence as
    feeding them one by one. Returns the state and the last prefix token ``(1, 1)``: the first
    prediction step feeds it.
    """
    X = torch.tensor([ids], dtype=torch.long, device=device)  # (1, len(prefix))
    state = model.begin_state(1, device)
    if X.shape[1] > 1:
        _, state = model(X[:, :-1], state)
    return state, X[:, -1:]
