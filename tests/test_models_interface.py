"""Tests of rnnlab.models' shared interface: logits and states' shapes and dtypes, time-major
logits, state carried across calls, and models moved to another device or dtype."""

import pytest
import torch
from model_helpers import BATCH, CUDA, HID, STEPS, V, cell_options, random_tokens

from rnnlab.models import CELLS, IMPLS, build_model


@pytest.mark.parametrize("layers", [1, 3])
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("cell", CELLS)
def test_shapes_and_dtypes(cell, impl, layers):
    """Logits are (steps*batch, vocab), states (layers, batch, hidden), all float32."""
    model = build_model(cell, impl, V, HID, layers, **cell_options(cell, impl))
    state = model.begin_state(BATCH, "cpu")
    assert isinstance(state, tuple) and len(state) == (2 if cell == "lstm" else 1)
    logits, new_state = model(random_tokens(), state)
    assert logits.shape == (STEPS * BATCH, V) and logits.dtype == torch.float32
    assert isinstance(new_state, tuple) and len(new_state) == len(state)
    for s in new_state:
        assert s.shape == (layers, BATCH, HID) and s.dtype == torch.float32


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("cell", CELLS)
def test_logits_are_time_major(cell, impl):
    """Logit row t*batch + b depends only on tokens X[b, :t+1]."""
    torch.manual_seed(0)
    model = build_model(cell, impl, V, HID, 2, **cell_options(cell, impl))
    X = random_tokens()
    Y = X.clone()
    Y[1, 2] = (X[1, 2] + 1) % V
    state = model.begin_state(BATCH)
    changed = (model(X, state)[0] != model(Y, state)[0]).any(dim=1).view(STEPS, BATCH)
    expected = torch.zeros(STEPS, BATCH, dtype=torch.bool)
    expected[2:, 1] = True
    assert torch.equal(changed, expected)


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("cell", CELLS)
def test_state_carries_over(cell, impl):
    """Running two halves with the returned state equals one run over the whole sequence."""
    torch.manual_seed(0)
    model = build_model(cell, impl, V, HID, 2, **cell_options(cell, impl)).double()
    X, state = random_tokens(steps=6), model.begin_state(BATCH)
    whole, s_whole = model(X, state)
    first, s = model(X[:, :3], state)
    second, s = model(X[:, 3:], s)
    torch.testing.assert_close(torch.cat([first, second]), whole)
    for a, b in zip(s, s_whole, strict=True):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("cell", CELLS)
def test_begin_state_zeros(cell, impl):
    """begin_state gives zeros of (layers, batch, hidden) in the parameters' dtype."""
    model = build_model(cell, impl, V, HID, 2, **cell_options(cell, impl)).to(torch.float64)
    for s in model.begin_state(4, torch.device("cpu")):
        assert s.shape == (2, 4, HID) and s.dtype == torch.float64 and not s.any()


@pytest.mark.parametrize("target", ["cpu-float64", "meta", CUDA])
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("cell", CELLS)
def test_move_model(cell, impl, target):
    """A model moved to another device/dtype runs there with state in that device/dtype."""
    model = build_model(cell, impl, V, HID, 2, **cell_options(cell, impl))
    device, dtype = ("cpu", torch.float64) if target == "cpu-float64" else (target, None)
    model = model.to(device=device, dtype=dtype)
    dtype = dtype or torch.float32
    state = model.begin_state(BATCH)
    assert all(s.device.type == device and s.dtype == dtype for s in state)
    logits, state = model(random_tokens(device=device), state)
    assert logits.device.type == device and logits.dtype == dtype
    assert logits.shape == (STEPS * BATCH, V)
    assert all(s.device.type == device and s.shape == (2, BATCH, HID) for s in state)

