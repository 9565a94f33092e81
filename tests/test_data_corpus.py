"""Tests of rnnlab.data's corpus splits: a training head, a held-out tail and a test tail."""

import pytest
import torch

from rnnlab.data import split_corpus, split_test
from rnnlab.errors import DataError


def test_split_corpus_is_disjoint_head_and_tail():
    """train_tokens takes the head, val_tokens the tail, and they never overlap."""
    corpus = torch.arange(100)
    train, val = split_corpus(corpus, 30, 20)
    assert train.tolist() == list(range(30)) and val.tolist() == list(range(80, 100))
    train, val = split_corpus(corpus, 90, 20)
    assert train.tolist() == list(range(80))
    train, val = split_corpus(corpus, 0, 0)
    assert len(train) == 100 and len(val) == 0


def test_split_corpus_refuses_no_training_tokens():
    """val_tokens that leave nothing to train on are refused."""
    with pytest.raises(DataError, match="val_tokens=100"):
        split_corpus(torch.arange(100), 10, 100)


@pytest.mark.parametrize("train_tokens, val_tokens, test_tokens", [
    (30, 20, 10), (0, 20, 10), (0, 0, 10), (90, 20, 15), (0, 30, 0)])
def test_test_split_is_the_very_end_and_disjoint(train_tokens, val_tokens, test_tokens):
    """split_test takes the last test_tokens; validation is the tail just before it; the three
    splits have the asked-for sizes and share no position."""
    corpus = torch.arange(100)
    rest, test = split_test(corpus, test_tokens)
    train, val = split_corpus(rest, train_tokens, val_tokens)
    assert test.tolist() == list(range(100 - test_tokens, 100))
    assert val.tolist() == list(range(100 - test_tokens - val_tokens, 100 - test_tokens))
    available = 100 - test_tokens - val_tokens
    assert train.tolist() == list(range(min(train_tokens or available, available)))
    positions = [set(t.tolist()) for t in (train, val, test)]
    assert sum(map(len, positions)) == len(set().union(*positions))


@pytest.mark.parametrize("test_tokens, message", [
    (-1, "test_tokens must be >= 0, got -1"), (99, "test_tokens=99 leaves nothing to train on")])
def test_split_test_refuses_bad_sizes(test_tokens, message):
    """A negative test split, or one that leaves nothing to train on, is refused."""
    with pytest.raises(DataError, match=message):
        split_test(torch.arange(100), test_tokens)
