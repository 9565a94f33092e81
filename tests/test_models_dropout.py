"""Tests of rnnlab.models' dropout: active in training only, the same masks in scratch and
torch.nn models, locked masks, and no random draws without it."""

import pytest
import torch
from model_helpers import BATCH, HID, INPUTS, V, cell_options, random_tokens, run_with_loss

from rnnlab.dropout import DROPOUT_KINDS, drop
from rnnlab.models import CELLS, IMPLS, build_model


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("cell", CELLS)
def test_dropout_train_only(cell, impl):
    """Dropout between layers changes outputs in train mode and is inactive in eval mode."""
    torch.manual_seed(0)
    model = build_model(cell, impl, V, 32, 2, dropout=0.5, **cell_options(cell, impl))
    plain = build_model(cell, impl, V, 32, 2, **cell_options(cell, impl))
    plain.load_state_dict(model.state_dict())
    X, state = random_tokens(), model.begin_state(BATCH)
    model.train()
    assert not torch.equal(model(X, state)[0], model(X, state)[0])
    model.eval()
    torch.testing.assert_close(model(X, state)[0], model(X, state)[0], atol=0, rtol=0)
    torch.testing.assert_close(model(X, state)[0], plain.eval()(X, state)[0])


@pytest.mark.parametrize("kind", DROPOUT_KINDS)
@pytest.mark.parametrize("inputs", ["one-hot", "tied"])
@pytest.mark.parametrize("layers", [1, 2, 3])
@pytest.mark.parametrize("cell", CELLS)
def test_dropout_parity(cell, layers, inputs, kind):
    """With dropout at its three sites (embedding output, between layers, top output) and the
    global RNG seeded alike, scratch and torch.nn draw the same masks: same logits, states and
    gradients in training mode, where dropout changes the logits even with one layer."""
    torch.manual_seed(0)
    options = dict(dropout=0.5, dropout_kind=kind, **INPUTS[inputs])
    ref = build_model(cell, "torch", V, HID, layers, **options).double()
    mine = build_model(cell, "scratch", V, HID, layers, **cell_options(cell), **options).double()
    mine.load_from_torch(ref)
    X, state0 = random_tokens(), tuple(s.normal_() for s in ref.begin_state(BATCH))
    torch.manual_seed(1)
    out_ref, fin_ref, st_ref = run_with_loss(ref, X, state0)
    torch.manual_seed(1)
    out, fin, st = run_with_loss(mine, X, state0)
    close = dict(atol=1e-10, rtol=1e-10)
    for a, b in zip((out, *fin, *(s.grad for s in st)),
                    (out_ref, *fin_ref, *(s.grad for s in st_ref)), strict=True):
        torch.testing.assert_close(a, b, **close)
    torch.testing.assert_close(mine.b_q.grad, ref.linear.bias.grad, **close)
    assert not torch.allclose(out, mine.eval()(X, state0)[0])


def test_locked_dropout_mask_is_shared_over_steps():
    """Locked dropout drops the same units at every step; standard dropout does not."""
    torch.manual_seed(0)
    ones = torch.ones(20, 4, 8)  # (steps, batch, n)
    locked, standard = drop(ones, 0.5, "locked", True), drop(ones, 0.5, "standard", True)
    assert torch.equal(locked, locked[:1].expand_as(locked))
    assert set(locked.unique().tolist()) == {0.0, 2.0}
    assert not torch.equal(standard, standard[:1].expand_as(standard))
    assert drop(ones, 0.5, "locked", False) is ones and drop(ones, 0.0, "locked", True) is ones


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("cell", CELLS)
def test_no_dropout_draws_nothing(cell, impl):
    """Without dropout (the lab's models) a training-mode forward draws no random numbers
    and the model's arguments carry no dropout_kind."""
    model = build_model(cell, impl, V, HID, 2, **cell_options(cell, impl)).train()
    assert "dropout_kind" not in model.model_args()
    X = random_tokens()
    before = torch.get_rng_state()
    model(X)
    assert torch.equal(torch.get_rng_state(), before)


def test_bad_dropout_kind():
    """An unknown dropout_kind is refused, naming it."""
    with pytest.raises(ValueError, match="'gaussian'"):
        build_model("lstm", "torch", V, HID, dropout=0.5, dropout_kind="gaussian")

