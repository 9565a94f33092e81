"""The two minibatch iterators of section 8.3, random and sequential sampling, and
word_language_model's batching (``fixed``); deterministic given a ``torch.Generator``."""

from __future__ import annotations

from collections.abc import Iterator

import torch

from rnnlab.errors import DataError

SAMPLINGS = ("random", "sequential", "fixed")


def check_batchable(corpus: torch.Tensor, batch_size: int, num_steps: int) -> None:
    """Refuse a corpus too short to give one batch whatever the random offset."""
    needed = batch_size * num_steps + num_steps + 1
    if len(corpus) < needed:
        raise DataError(f"the corpus is too short for one batch of {batch_size}x{num_steps}: "
                        f"it needs at least {needed} tokens and has {len(corpus)}")


def random_batches(corpus: torch.Tensor, batch_size: int, num_steps: int,
                   generator: torch.Generator) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Random sampling: a random offset, then subsequences in shuffled order, each used once.

    Yields ``(X, Y)`` of shape ``(batch, steps)`` on the corpus's device; Y is X shifted by one.
    """
    check_batchable(corpus, batch_size, num_steps)
    offset = int(torch.randint(0, num_steps, (1,), generator=generator))
    num_subseqs = (len(corpus) - offset - 1) // num_steps
    starts = offset + num_steps * torch.randperm(num_subseqs, generator=generator)
    num_batches = num_subseqs // batch_size
    index = starts[:num_batches * batch_size, None] + torch.arange(num_steps)
    # One transfer an epoch: (batches, batch, steps) on the corpus's device.
    index = index.reshape(num_batches, batch_size, num_steps).to(corpus.device)
    for batch_index in index:
        yield corpus[batch_index], corpus[batch_index + 1]  # (batch, steps) each


def sequential_batches(corpus: torch.Tensor, batch_size: int, num_steps: int,
                       generator: torch.Generator) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Sequential sampling: a random offset, the corpus reshaped into ``batch_size`` rows, and
    windows of ``num_steps`` handed out in order, so row i of batch k+1 continues row i of
    batch k. Yields ``(X, Y)`` of shape ``(batch, steps)``."""
    check_batchable(corpus, batch_size, num_steps)
    offset = int(torch.randint(0, num_steps + 1, (1,), generator=generator))
    num_tokens = ((len(corpus) - offset - 1) // batch_size) * batch_size
    rows_x = corpus[offset:offset + num_tokens].reshape(batch_size, -1)
    rows_y = corpus[offset + 1:offset + 1 + num_tokens].reshape(batch_size, -1)
    for start in range(0, (rows_x.shape[1] // num_steps) * num_steps, num_steps):
        yield rows_x[:, start:start + num_steps], rows_y[:, start:start + num_steps]


def fixed_batches(corpus: torch.Tensor, batch_size: int, num_steps: int,
                  generator: torch.Generator) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Sequential windows without the random offset, as PyTorch's word_language_model batches
    (``batchify``, ``get_batch``): every epoch starts at token 0, so the windows are the same
    each epoch, and the last, shorter window (fewer than ``num_steps`` columns) is trained on
    too. Yields ``(X, Y)`` of shape ``(batch, steps)``; ``generator`` is not used."""
    check_batchable(corpus, batch_size, num_steps)
    columns = len(corpus) // batch_size  # the peer's batchify: the tail of < batch_size dropped
    rows = corpus[:columns * batch_size].reshape(batch_size, columns)
    for start in range(0, columns - 1, num_steps):
        width = min(num_steps, columns - 1 - start)
        yield rows[:, start:start + width], rows[:, start + 1:start + 1 + width]


def batches(corpus: torch.Tensor, batch_size: int, num_steps: int, sampling: str,
            generator: torch.Generator) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """The minibatches of one epoch with the given sampling (``random``, ``sequential`` or
    ``fixed``)."""
    if sampling == "random":
        return random_batches(corpus, batch_size, num_steps, generator)
    if sampling == "sequential":
        return sequential_batches(corpus, batch_size, num_steps, generator)
    if sampling == "fixed":
        return fixed_batches(corpus, batch_size, num_steps, generator)
    raise DataError(f"unknown sampling {sampling!r} (expected one of {', '.join(SAMPLINGS)})")
