"""Helpers for the tests of rnnlab.models and rnnlab.cells: the small sizes, the ways a first
layer takes its input, random tokens, and a forward and backward pass through a model."""

import pytest
import torch

V, HID, BATCH, STEPS = 7, 5, 3, 4
NO_CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA is not available")
CUDA = pytest.param("cuda", marks=[pytest.mark.cuda, NO_CUDA])
# The first layer's input: one-hot (the textbook's), a learned embedding, or one tied to the
# output layer (which needs embedding == hidden).
INPUTS = {"one-hot": {}, "embedding": {"embedding": 6}, "tied": {"embedding": HID, "tied": True}}


def cell_options(cell, impl="scratch"):
    """The options that make a scratch cell torch.nn's (the GRU's reset after the product)."""
    return {"reset_after": True} if cell == "gru" and impl == "scratch" else {}


def random_tokens(batch=BATCH, steps=STEPS, vocab=V, device="cpu"):
    """Random token ids ``(batch, steps)``."""
    return torch.randint(0, vocab, (batch, steps), device=device)


def run_with_loss(model, X, state0):
    """Forward plus backward of a loss touching logits and final state; returns leaf state."""
    state = tuple(s.clone().requires_grad_() for s in state0)
    logits, final = model(X, state)
    g = torch.Generator().manual_seed(1)
    loss = (logits * torch.randn(logits.shape, generator=g, dtype=logits.dtype)).sum()
    for s in final:
        loss = loss + (s * torch.randn(s.shape, generator=g, dtype=s.dtype)).sum()
    loss.backward()
    return logits, final, state

