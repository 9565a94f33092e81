"""Tests of rnnlab.models' scratch models against torch.nn's: load_from_torch, then the same
logits, states and gradients."""

import pytest
import torch
from model_helpers import BATCH, HID, INPUTS, V, cell_options, random_tokens, run_with_loss

from rnnlab.models import CELLS, build_model

# Scratch gate block k is torch's block TORCH_GATE[cell][k] (lstm: i, f, o, c vs i, f, g, o).
TORCH_GATE = {"rnn": (0,), "gru": (0, 1, 2), "lstm": (0, 1, 3, 2)}
TOL = {torch.float64: 1e-10, torch.float32: 1e-5}


def _gates(t, cell, hidden=HID):
    return torch.cat([t[k * hidden:(k + 1) * hidden] for k in TORCH_GATE[cell]])


@pytest.mark.parametrize("inputs", list(INPUTS))
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("layers", [1, 2, 3])
@pytest.mark.parametrize("cell", CELLS)
def test_scratch_matches_torch(cell, layers, dtype, inputs):
    """After load_from_torch, scratch logits, states and all gradients (embedding included,
    tied or not) equal torch.nn's."""
    torch.manual_seed(0)
    ref = build_model(cell, "torch", V, HID, layers, **INPUTS[inputs]).to(dtype)
    mine = build_model(cell, "scratch", V, HID, layers, **cell_options(cell),
                       **INPUTS[inputs]).to(dtype)
    assert mine.load_from_torch(ref) is mine
    X = random_tokens()
    state0 = tuple(torch.randn(layers, BATCH, HID, dtype=dtype) for _ in ref.begin_state(1))
    out_ref, fin_ref, st_ref = run_with_loss(ref, X, state0)
    out, fin, st = run_with_loss(mine, X, state0)
    close = dict(atol=TOL[dtype], rtol=TOL[dtype])
    torch.testing.assert_close(out, out_ref, **close)
    for a, b in zip(fin, fin_ref, strict=True):
        torch.testing.assert_close(a, b, **close)
    for a, b in zip(st, st_ref, strict=True):
        torch.testing.assert_close(a.grad, b.grad, **close)
    h = HID
    for i, layer in enumerate(mine.rnn_layers):
        grad = {n: getattr(ref.rnn, f"{n}_l{i}").grad
                for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
        torch.testing.assert_close(layer.W_x.grad, _gates(grad["weight_ih"], cell).T, **close)
        torch.testing.assert_close(layer.W_h.grad, _gates(grad["weight_hh"], cell).T, **close)
        if cell == "gru":  # summed r, z biases get b_ih's (= b_hh's) grad; candidate kept apart
            torch.testing.assert_close(layer.b.grad, grad["bias_ih"], **close)
            torch.testing.assert_close(layer.b.grad[:2 * h], grad["bias_hh"][:2 * h], **close)
            torch.testing.assert_close(layer.b_hh.grad, grad["bias_hh"][2 * h:], **close)
        else:
            torch.testing.assert_close(layer.b.grad, _gates(grad["bias_ih"], cell), **close)
            torch.testing.assert_close(layer.b.grad, _gates(grad["bias_hh"], cell), **close)
    if inputs == "one-hot":
        assert not hasattr(mine, "W_e") and not hasattr(ref, "embedding")
    else:  # tied: the gradient sums the input and the output uses of the one table
        torch.testing.assert_close(mine.W_e.grad, ref.embedding.weight.grad, **close)
    if inputs == "tied":
        assert ref.linear.weight is ref.embedding.weight and not hasattr(mine, "W_hq")
        assert mine.output_weight().data_ptr() == mine.W_e.data_ptr()
    else:
        torch.testing.assert_close(mine.W_hq.grad, ref.linear.weight.grad.T, **close)
    torch.testing.assert_close(mine.b_q.grad, ref.linear.bias.grad, **close)


def test_load_from_torch_rejects_textbook_gru():
    """load_from_torch into a textbook GRU raises ValueError pointing to reset_after=True."""
    with pytest.raises(ValueError, match="reset_after=True"):
        build_model("gru", "scratch", V, HID).load_from_torch(build_model("gru", "torch", V, HID))


@pytest.mark.parametrize("source, match", [
    (dict(cell="rnn", impl="torch", vocab_size=V, hidden=HID, layers=2), "layers"),
    (dict(cell="rnn", impl="torch", vocab_size=V, hidden=HID + 1), "hidden"),
    (dict(cell="rnn", impl="torch", vocab_size=V + 1, hidden=HID), "vocab_size"),
    (dict(cell="lstm", impl="torch", vocab_size=V, hidden=HID), "cell"),
    (dict(cell="rnn", impl="scratch", vocab_size=V, hidden=HID), "torch-backed"),
    (dict(cell="rnn", impl="torch", vocab_size=V, hidden=HID, embedding=HID), "embedding"),
])
def test_load_from_torch_rejects_mismatch(source, match):
    """load_from_torch raises ValueError naming a mismatched cell/size/embedding or a non-torch
    source."""
    with pytest.raises(ValueError, match=match):
        build_model("rnn", "scratch", V, HID).load_from_torch(build_model(**source))

