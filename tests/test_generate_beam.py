"""Tests of rnnlab.generate's beam search."""

import itertools
import math

import pytest
import torch
from generate_helpers import CHAR_VOCAB, PREFIX, TableModel, log_prob, random_model, table_code

from rnnlab.data import Vocab
from rnnlab.generate import beam_search, greedy
from rnnlab.models import CELLS, IMPLS


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("cell", CELLS)
def test_beam_size_one_equals_greedy(cell, impl):
    """Beam search with one beam is greedy decoding."""
    model = random_model(cell, impl)
    [(text, score)] = beam_search(model, CHAR_VOCAB, PREFIX, 20, beam_size=1)
    assert text == greedy(model, CHAR_VOCAB, PREFIX, 20)
    assert score < 0


def _exhaustive(model, vocab, prefix, num_preds, alpha, eos=None):
    """Every possible continuation scored by log P / L**alpha, best first; a continuation ends
    at its first <eos>, whose text leaves the <eos> out."""
    prefix_ids = vocab[list(prefix)]
    seen, results = set(), []
    for ids in itertools.product(range(len(vocab)), repeat=num_preds):
        if eos in ids:
            ids = ids[:ids.index(eos) + 1]
        if ids in seen:
            continue
        seen.add(ids)
        text = prefix + "".join(vocab.to_tokens([i for i in ids if i != eos]))
        results.append((text, log_prob(model, prefix_ids, ids) / len(ids)**alpha))
    return sorted(results, key=lambda result: result[1], reverse=True)


@pytest.mark.parametrize("alpha", [0.0, 0.75])
@pytest.mark.parametrize("tokens", [["a", "b", "c"], ["<eos>", "a", "b"]])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_wide_beam_matches_exhaustive_search(seed, tokens, alpha):
    """With a beam as wide as all sequences, beam search returns exhaustive search's ranking
    (with <eos>: finished candidates of every length, scored log P / L**alpha)."""
    vocab = Vocab.from_dict({"idx_to_token": ["<unk>", *tokens]})
    V, num_preds = len(vocab), 3
    table = torch.randn((V + 1)**(num_preds + 2), V, dtype=torch.float64,
                        generator=torch.Generator().manual_seed(seed)) * 2
    model = TableModel(table)
    expected = _exhaustive(model, vocab, "a", num_preds, alpha, vocab.token_to_idx.get("<eos>"))
    found = beam_search(model, vocab, "a", num_preds, beam_size=V**num_preds, alpha=alpha)
    assert found[0][0] == expected[0][0]
    assert [text for text, _ in found] == [text for text, _ in expected]
    torch.testing.assert_close([s for _, s in found], [s for _, s in expected])


def test_beam_search_escapes_the_greedy_trap():
    """A likely first token with a flat follow-up loses to a less likely one with a sure
    follow-up: greedy picks the first, beam search (2 beams) the better sequence."""
    vocab = Vocab.from_dict({"idx_to_token": ["<unk>", "a", "b", "c"]})
    V = len(vocab)
    table = torch.zeros((V + 1)**3, V, dtype=torch.float64)  # flat unless set below
    log = math.log
    table[table_code([1], V)] = torch.tensor([-50.0, log(0.1), log(0.5), log(0.4)])  # after "a"
    table[table_code([1, 3], V)] = torch.tensor([-50.0, 5.0, -50.0, -50.0])  # "c" -> surely "a"
    model = TableModel(table)
    assert greedy(model, vocab, "a", 2).startswith("ab")
    best, score = beam_search(model, vocab, "a", 2, beam_size=2, alpha=0.0)[0]
    assert best == "aca"
    assert score == pytest.approx(log_prob(model, [1], [3, 1]))


def test_beam_search_returns_candidates_best_first():
    """All final candidates come back, sorted by score, as many as the beam."""
    results = beam_search(random_model(), CHAR_VOCAB, PREFIX, 8, beam_size=5)
    assert len(results) == 5
    scores = [score for _, score in results]
    assert scores == sorted(scores, reverse=True)
    assert len({text for text, _ in results}) == 5
