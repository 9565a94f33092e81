"""Tests of rnnlab.generate's greedy decoding and sampling."""

import pytest
import torch
from generate_helpers import CHAR_VOCAB, PREFIX, TableModel, random_model, seeded

from rnnlab.data import Vocab
from rnnlab.generate import greedy, sample
from rnnlab.models import CELLS, IMPLS


def _step_by_step_greedy(model, vocab, prefix, num_preds):
    """The textbook's predict_ch8, literally: one token per forward call."""
    state = model.begin_state(1, "cpu")
    outputs = [vocab[prefix[0]]]
    with torch.no_grad():
        for y in prefix[1:]:
            _, state = model(torch.tensor([[outputs[-1]]]), state)
            outputs.append(vocab[y])
        for _ in range(num_preds):
            logits, state = model(torch.tensor([[outputs[-1]]]), state)
            outputs.append(int(logits.argmax(dim=1)))
    return prefix + "".join(vocab.to_tokens(outputs[len(prefix):]))


# ---------------------------------------------------------------------------------------------
# greedy


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("cell", CELLS)
def test_greedy_equals_step_by_step_argmax(cell, impl):
    """greedy (batched warm-up) gives exactly the textbook's one-token-at-a-time argmax text."""
    model = random_model(cell, impl).eval()
    expected = _step_by_step_greedy(model, CHAR_VOCAB, PREFIX, 30)
    assert greedy(model, CHAR_VOCAB, PREFIX, 30) == expected
    assert len(set(expected[len(PREFIX):])) > 1  # not a degenerate repeat of one character


def test_greedy_restores_training_mode_and_ignores_dropout():
    """greedy runs in eval mode without autograd and leaves the model's mode as it found it."""
    model = random_model("lstm", "torch", layers=2, dropout=0.5)
    reference = greedy(model.eval(), CHAR_VOCAB, PREFIX, 20)
    model.train()
    assert greedy(model, CHAR_VOCAB, PREFIX, 20) == reference
    assert model.training
    assert all(param.grad is None for param in model.parameters())
    model.eval()
    greedy(model, CHAR_VOCAB, PREFIX, 5)
    assert not model.training


def test_greedy_maps_unknown_characters_to_unk():
    """Characters outside the vocabulary become <unk>: no crash, the prefix comes back as given."""
    model = random_model()
    text = greedy(model, CHAR_VOCAB, "QX!", 10)
    assert text.startswith("QX!") and len(text) > 3
    assert text[3:] == greedy(model, CHAR_VOCAB, "Z?#", 10)[3:]  # both are <unk> <unk> <unk>


def test_greedy_with_zero_predictions_returns_the_prefix():
    """num_preds=0 returns the prefix unchanged."""
    assert greedy(random_model(), CHAR_VOCAB, PREFIX, 0) == PREFIX


# ---------------------------------------------------------------------------------------------
# sampling


def test_seeded_sampling_is_reproducible():
    """The same seed gives the same text; different seeds give different texts."""
    model = random_model()
    first = sample(model, CHAR_VOCAB, PREFIX, 40, generator=seeded(0))
    assert first == sample(model, CHAR_VOCAB, PREFIX, 40, generator=seeded(0))
    assert first != sample(model, CHAR_VOCAB, PREFIX, 40, generator=seeded(1))
    assert first.startswith(PREFIX) and len(first) > len(PREFIX) + 30


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("options", [{"temperature": 1e-4}, {"temperature": 1e-30},
                                     {"temperature": 5.0, "top_k": 1}])
def test_cold_or_top_1_sampling_is_greedy(cell, options):
    """A temperature near 0 (no overflow even at 1e-30) or top_k=1 gives the greedy text."""
    model = random_model(cell)
    text = sample(model, CHAR_VOCAB, PREFIX, 30, generator=seeded(0), **options)
    assert text == greedy(model, CHAR_VOCAB, PREFIX, 30)


def test_top_k_draws_only_the_k_most_likely_tokens():
    """With top_k=2 only the two most likely tokens are ever drawn, and both are."""
    vocab = Vocab.from_dict({"idx_to_token": ["<unk>", "a", "b", "c", "d"]})
    model = TableModel(torch.tensor([[0.0, 1.0, 2.0, 3.0, 3.5]]))  # the same at every step
    text = sample(model, vocab, "a", 200, temperature=100.0, top_k=2, generator=seeded(0))
    assert set(text[1:]) == {"c", "d"}
