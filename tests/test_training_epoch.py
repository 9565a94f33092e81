"""Tests of rnnlab.training.epoch: one pass over the training tokens and the held-out perplexity."""

import math

import pytest
import torch
from training_helpers import (
    settings_for,
)

from rnnlab.config import load_config, resolve_variant
from rnnlab.data import (
    Vocab,
    build_corpus,
    load_data,
    read_lines,
    tokenize,
)
from rnnlab.download import bundled_corpus
from rnnlab.models import build_model
from rnnlab.training.epoch import DIVERGENCE_FACTOR, evaluate, train_epoch
from rnnlab.training.step import SGD, EagerStep


class RecordingStep(EagerStep):
    """The real eager step, remembering the state each batch starts from and ends with."""

    def __init__(self, *args):
        super().__init__(*args)
        self.seen = []

    def __call__(self, X, Y, state):
        loss, new_state = super().__call__(X, Y, state)
        self.seen.append((state, new_state))
        return loss, new_state


@pytest.mark.parametrize("sampling", ["sequential", "random", "fixed"])
def test_state_handling_per_sampling(sampling, tiny_data):
    """Sequential and fixed sampling carry the detached state; random starts each batch from
    zero."""
    settings = settings_for("gru", sampling=sampling)
    corpus, vocab, _ = load_data(tiny_data)
    model = build_model("gru", "torch", len(vocab), 16)
    step = RecordingStep(model, SGD(model.parameters(), lr=1), 1.0)
    train_epoch(step, model, corpus, settings, torch.Generator().manual_seed(0))
    assert len(step.seen) > 2
    assert all(not s.requires_grad for _, out in step.seen for s in out)
    for (_, previous_out), (state_in, _) in zip(step.seen, step.seen[1:], strict=False):
        if sampling != "random":
            assert state_in[0] is previous_out[0]
        else:
            assert not state_in[0].any()
    assert not step.seen[0][0][0].any()  # every epoch begins from the zero state


def test_fixed_sampling_trains_on_every_column(tiny_data):
    """An epoch of fixed sampling trains on batch x (len // batch - 1) tokens, the last shorter
    window included, where sequential sampling drops it."""
    corpus, vocab, _ = load_data(tiny_data)
    model = build_model("lstm", "torch", len(vocab), 8)
    step = EagerStep(model, SGD(model.parameters(), lr=1), 1.0)
    settings = settings_for("lstm", sampling="fixed")
    _, _, tokens = train_epoch(step, model, corpus, settings, torch.Generator().manual_seed(0))
    assert tokens == settings.batch_size * (len(corpus) // settings.batch_size - 1)


def test_lab_variants_start_far_below_the_divergence_limit(project_root):
    """Each lab variant's untrained model, where a healthy run's loss is highest, is near the
    uniform model's log 28 on the lab's text, far below the divergence limit."""
    config = load_config(project_root / "config.yaml")
    tokens = tokenize(read_lines(bundled_corpus()), "char")
    vocab = Vocab(tokens)
    ids = torch.tensor(build_corpus(tokens, vocab)[:3000])
    assert len(vocab) == 28
    torch.manual_seed(0)
    for name in config["variants"]:
        settings = resolve_variant(config, name)
        model = build_model(settings["cell"], settings["impl"], len(vocab), settings["hidden"],
                            settings["layers"])
        loss = math.log(evaluate(model, ids, settings["batch_size"], settings["num_steps"]))
        assert abs(loss - math.log(28)) < 0.1, name
        assert loss < DIVERGENCE_FACTOR * math.log(28), name
