"""Tests of rnnlab.generate's argument checks and tokens: the prefix as words, bad arguments."""

import pytest
import torch
from generate_helpers import CHAR_VOCAB, WORD_VOCAB, random_model

from rnnlab.errors import GenerationError
from rnnlab.generate import beam_search, greedy, sample


@pytest.mark.parametrize("strategy", ["greedy", "sample", "beam"])
def test_word_tokens_are_joined_with_spaces(strategy):
    """With word tokens the prefix is split on whitespace and every word joined by one space."""
    model = random_model(vocab=WORD_VOCAB)
    prefix = "  the time\ttraveller  "
    if strategy == "greedy":
        text = greedy(model, WORD_VOCAB, prefix, 6, token="word")
    elif strategy == "sample":
        text = sample(model, WORD_VOCAB, prefix, 6, generator=torch.Generator().manual_seed(0),
                      token="word")
    else:
        text = beam_search(model, WORD_VOCAB, prefix, 6, beam_size=3, token="word")[0][0]
    words = text.split(" ")
    assert words[:3] == ["the", "time", "traveller"] and len(words) == 9
    assert all(word in WORD_VOCAB.token_to_idx for word in words[3:])


@pytest.mark.parametrize(("call", "needle"), [
    (lambda m: sample(m, CHAR_VOCAB, "a", 5, temperature=0), "temperature must be"),
    (lambda m: sample(m, CHAR_VOCAB, "a", 5, temperature=-1.5), "-1.5"),
    (lambda m: sample(m, CHAR_VOCAB, "a", 5, temperature=float("nan")), "nan"),
    (lambda m: sample(m, CHAR_VOCAB, "a", 5, top_k=0), "top_k must be >= 1, got 0"),
    (lambda m: beam_search(m, CHAR_VOCAB, "a", 5, beam_size=0), "beam_size must be >= 1, got 0"),
    (lambda m: beam_search(m, CHAR_VOCAB, "a", 5, 2, alpha=float("inf")), "alpha"),
    (lambda m: greedy(m, CHAR_VOCAB, "a", -1), "num_preds must be >= 0, got -1"),
    (lambda m: greedy(m, CHAR_VOCAB, "a", 2.5), "num_preds must be an integer"),
    (lambda m: greedy(m, CHAR_VOCAB, "", 5), "prefix must hold at least one char, got ''"),
    (lambda m: greedy(m, WORD_VOCAB, " \t ", 5, token="word"), "at least one word"),
    (lambda m: greedy(m, CHAR_VOCAB, "a", 5, token="byte"), "unknown token kind 'byte'"),
])
def test_bad_arguments_raise_generation_error(call, needle):
    """Bad strategy arguments raise GenerationError naming the bad value."""
    with pytest.raises(GenerationError) as info:
        call(random_model())
    assert needle in str(info.value)
