"""Tests of rnnlab.data's vocabulary."""

import json

from rnnlab.data import Vocab


def test_vocab_orders_by_frequency_with_first_seen_ties():
    """<unk> is 0, then tokens by descending count; equal counts keep first-seen order."""
    vocab = Vocab([["c", "a", "b", "a", "b", "d"]])
    assert vocab.idx_to_token == ["<unk>", "a", "b", "c", "d"]
    assert vocab["a"] == 1 and vocab["d"] == 4
    assert vocab.token_freqs[:2] == [("a", 2), ("b", 2)]


def test_vocab_unknown_tokens_map_to_unk():
    """A token outside the vocabulary looks up as id 0 and to_tokens inverts lookups."""
    vocab = Vocab(list("hello"))
    assert vocab["z"] == 0 and vocab[["h", "z"]] == [vocab["h"], 0]
    assert vocab.to_tokens(vocab[list("hel")]) == list("hel")
    assert vocab.to_tokens(0) == "<unk>"


def test_vocab_min_freq_and_reserved_tokens():
    """Reserved tokens follow <unk>; tokens rarer than min_freq are dropped."""
    vocab = Vocab(list("aaabbc"), min_freq=2, reserved_tokens=["<pad>", "<bos>"])
    assert vocab.idx_to_token == ["<unk>", "<pad>", "<bos>", "a", "b"]
    assert vocab["c"] == 0


def test_vocab_round_trips_through_dict():
    """to_dict/from_dict keeps ids and frequencies."""
    vocab = Vocab(list("the time machine"))
    again = Vocab.from_dict(json.loads(json.dumps(vocab.to_dict())))
    assert again.idx_to_token == vocab.idx_to_token
    assert again.token_freqs == vocab.token_freqs
