"""Tests of rnnlab.data's minibatch iterators: random, sequential and fixed sampling."""

import pytest
import torch

from rnnlab.data import batches
from rnnlab.errors import DataError


@pytest.mark.parametrize("sampling", ["random", "sequential", "fixed"])
def test_targets_are_inputs_shifted_by_one(sampling):
    """Y is X shifted by one token in every sampling; windows are 4x7 (fixed: but the last)."""
    corpus = torch.arange(500)
    gen = torch.Generator().manual_seed(0)
    pairs = list(batches(corpus, 4, 7, sampling, gen))
    assert pairs
    for X, Y in pairs:
        assert X.shape == Y.shape
        assert torch.equal(Y, X + 1)
    full = pairs[:-1] if sampling == "fixed" else pairs
    assert all(X.shape == (4, 7) for X, _ in full)


def test_sequential_rows_continue_across_batches():
    """Row i of batch k+1 starts where row i of batch k ended."""
    corpus = torch.arange(1000)
    gen = torch.Generator().manual_seed(3)
    pairs = list(batches(corpus, 5, 6, "sequential", gen))
    for (X0, _), (X1, _) in zip(pairs, pairs[1:], strict=False):
        assert torch.equal(X1[:, 0], X0[:, -1] + 1)


@pytest.mark.parametrize("length,batch,steps", [(1000, 5, 6), (1003, 4, 7), (29, 4, 3)])
def test_fixed_windows_are_word_language_models(length, batch, steps):
    """Fixed sampling is word_language_model's batchify + get_batch: the first len // batch
    tokens of each row, windows of ``steps`` from column 0, the last one shorter, and together
    every (input, next token) pair of the rows once; every epoch the same."""
    corpus = torch.arange(length)
    columns = length // batch
    rows = corpus[:columns * batch].view(batch, columns)
    epochs = [list(batches(corpus, batch, steps, "fixed", torch.Generator().manual_seed(seed)))
              for seed in (0, 1)]
    assert all(torch.equal(a[0], b[0]) for a, b in zip(*epochs, strict=True))
    pairs = epochs[0]
    assert len(pairs) == -(-(columns - 1) // steps)
    assert all(X.shape == (batch, steps) for X, _ in pairs[:-1])
    assert pairs[-1][0].shape == (batch, (columns - 1 - 1) % steps + 1)
    assert torch.equal(torch.cat([X for X, _ in pairs], dim=1), rows[:, :-1])
    assert torch.equal(torch.cat([Y for _, Y in pairs], dim=1), rows[:, 1:])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_uses_each_subsequence_at_most_once(seed):
    """Random sampling never repeats a subsequence start within an epoch, and they align."""
    corpus = torch.arange(1000)
    gen = torch.Generator().manual_seed(seed)
    starts = [int(x) for X, _ in batches(corpus, 4, 10, "random", gen) for x in X[:, 0]]
    assert len(starts) == len(set(starts))
    assert len({s % 10 for s in starts}) == 1  # one random offset for the epoch


@pytest.mark.parametrize("sampling,expected", [("random", (9, 10)), ("sequential", (9, 10))])
def test_batch_counts(sampling, expected):
    """1000 tokens in 4x25 batches give 9-10 batches depending on the random offset."""
    corpus = torch.arange(1000)
    for seed in range(10):
        gen = torch.Generator().manual_seed(seed)
        assert len(list(batches(corpus, 4, 25, sampling, gen))) in expected


def test_textbook_batch_count_on_lab_corpus():
    """The lab's 10000 training characters give 8 batches of 32x35 per epoch, as the peer."""
    gen = torch.Generator().manual_seed(0)
    assert len(list(batches(torch.arange(10000), 32, 35, "sequential", gen))) == 8


def test_batches_refuse_a_corpus_shorter_than_one_batch():
    """A corpus shorter than one batch says how many tokens it needs and has."""
    with pytest.raises(DataError, match="needs at least 141 tokens and has 50"):
        list(batches(torch.arange(50), 4, 28, "sequential", torch.Generator()))


def test_batches_refuse_unknown_sampling():
    """An unknown sampling is named."""
    with pytest.raises(DataError, match="'shuffle'"):
        batches(torch.arange(500), 4, 7, "shuffle", torch.Generator())


@pytest.mark.parametrize("sampling", ["random", "sequential", "fixed"])
def test_batches_follow_the_corpus_device(sampling):
    """Batches come on the corpus's device (CUDA too, where there is one)."""
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for device in devices:
        corpus = torch.arange(500, device=device)
        X, Y = next(batches(corpus, 4, 7, sampling, torch.Generator().manual_seed(0)))
        assert X.device.type == Y.device.type == device
