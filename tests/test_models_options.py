"""Tests of rnnlab.models' options and errors: embeddings and tying, initial weights, bad
arguments, model_args and the parameter count."""

import json
import re

import pytest
import torch
from model_helpers import HID, INPUTS, V, cell_options

from rnnlab.models import CELLS, IMPLS, build_model, num_params


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("options, match", [
    ({"tied": True}, "tied=True needs embedding == hidden, got embedding=0 and hidden=5"),
    ({"embedding": 4, "tied": True}, "embedding=4 and hidden=5"),
    ({"embedding": -2}, "-2"),
    ({"embedding": 2.5}, "2.5"),
    ({"embedding": HID, "tied": "yes"}, "'yes'"),
])
def test_bad_embedding_options(impl, options, match):
    """A bad embedding size, or tied without embedding == hidden, raises ValueError naming it."""
    with pytest.raises(ValueError, match=re.escape(match)):
        build_model("lstm", impl, V, HID, **options)


@pytest.mark.parametrize("impl", IMPLS)
def test_one_hot_model_args_unchanged(impl):
    """embedding=0 (the default) builds the textbook's one-hot model with the same arguments
    and parameter names as before embeddings existed."""
    model = build_model("rnn", impl, V, HID, embedding=0, tied=False)
    assert model.model_args() == build_model("rnn", impl, V, HID).model_args()
    assert "embedding" not in model.model_args()
    assert not any("embedding" in n or n == "W_e" for n, _ in model.named_parameters())


def test_embedding_init():
    """Embeddings of both impls start as U(-0.1, 0.1), as in PyTorch's word_language_model."""
    torch.manual_seed(0)
    for table in (build_model("gru", "torch", 500, HID, embedding=32).embedding.weight,
                  build_model("gru", "scratch", 500, HID, embedding=32).W_e):
        assert table.abs().max() <= 0.1 and table.std() > 0.05


def test_output_bias_starts_at_zero_for_word_models_only():
    """A learned-embedding torch model zeroes its output bias (as word_language_model); the
    lab's one-hot torch model keeps nn.Linear's initial bias, so its numbers do not change."""
    torch.manual_seed(0)
    assert build_model("lstm", "torch", V, HID, embedding=4).linear.bias.abs().sum() == 0
    assert build_model("lstm", "torch", V, HID).linear.bias.abs().sum() > 0


def test_scratch_init():
    """Scratch weights are drawn from N(0, 0.01²) and biases start at zero."""
    torch.manual_seed(0)
    model = build_model("gru", "scratch", 50, 64, 2, reset_after=True)
    for name, p in model.named_parameters():
        if name.split(".")[-1].startswith("b"):
            assert not p.any(), name
        else:
            assert abs(p.std().item() - 0.01) < 0.001 and abs(p.mean().item()) < 0.001, name


@pytest.mark.parametrize("kwargs, value", [
    (dict(cell="foo"), "'foo'"),
    (dict(impl="keras"), "'keras'"),
    (dict(layers=0), "0"),
    (dict(hidden=-3), "-3"),
    (dict(vocab_size=0), "0"),
    (dict(layers=1.5), "1.5"),
    (dict(dropuot=0.1), "'dropuot'"),
    (dict(dropout=1.5), "1.5"),
    (dict(cell="lstm", reset_after=True), "'lstm'"),
    (dict(impl="torch", reset_after=False), "'torch'"),
])
def test_bad_arguments(kwargs, value):
    """Bad cell/impl/sizes/options raise ValueError whose message contains the bad value."""
    args = dict(cell="gru", impl="scratch", vocab_size=V, hidden=HID, layers=1) | kwargs
    with pytest.raises(ValueError, match=re.escape(value)):
        build_model(**args)


@pytest.mark.parametrize("inputs", list(INPUTS))
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("cell", CELLS)
def test_model_args_round_trip(cell, impl, inputs):
    """model_args is JSON-plain and build_model(**model_args()) rebuilds the architecture,
    embedding and tying included."""
    model = build_model(cell, impl, V, HID, 2, dropout=0.25, **cell_options(cell, impl),
                        **INPUTS[inputs])
    args = model.model_args()
    assert json.loads(json.dumps(args)) == args
    assert (model.cell, model.impl, model.vocab_size, model.hidden, model.layers) == \
        (cell, impl, V, HID, 2)
    assert args["dropout"] == 0.25
    assert {k: args[k] for k in INPUTS[inputs]} == INPUTS[inputs]
    clone = build_model(**args)
    assert type(clone) is type(model) and clone.model_args() == args
    clone.load_state_dict(model.state_dict())  # same names and shapes (strict)


@pytest.mark.parametrize("inputs", list(INPUTS))
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell", CELLS)
def test_num_params(cell, layers, inputs):
    """num_params sums numel (a tied table once); torch-backed models carry one extra bias
    per gate and layer."""
    scratch = build_model(cell, "scratch", V, HID, layers, **cell_options(cell), **INPUTS[inputs])
    torch_model = build_model(cell, "torch", V, HID, layers, **INPUTS[inputs])
    for model in (scratch, torch_model):
        assert num_params(model) == sum(p.numel() for p in model.parameters())
    extra_gates = {"rnn": 1, "gru": 2, "lstm": 4}[cell]  # gru reset_after keeps b_hn apart
    assert num_params(torch_model) - num_params(scratch) == layers * extra_gates * HID

