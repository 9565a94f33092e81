"""Tests of rnnlab.models: scratch vs torch.nn parity, shapes, options, errors."""

import json
import re

import pytest
import torch
import torch.nn.functional as F

from rnnlab.cells import GRUResetAfterScan, GRUScan, LSTMScan, RNNScan, plain_scan
from rnnlab.dropout import DROPOUT_KINDS, drop
from rnnlab.models import CELLS, IMPLS, build_model, num_params

V, HID, BATCH, STEPS = 7, 5, 3, 4
# Scratch gate block k is torch's block TORCH_GATE[cell][k] (lstm: i, f, o, c vs i, f, g, o).
TORCH_GATE = {"rnn": (0,), "gru": (0, 1, 2), "lstm": (0, 1, 3, 2)}
TOL = {torch.float64: 1e-10, torch.float32: 1e-5}
NO_CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA is not available")
CUDA = pytest.param("cuda", marks=[pytest.mark.cuda, NO_CUDA])
# The first layer's input: one-hot (the textbook's), a learned embedding, or one tied to the
# output layer (which needs embedding == hidden).
INPUTS = {"one-hot": {}, "embedding": {"embedding": 6}, "tied": {"embedding": HID, "tied": True}}


def _options(cell, impl="scratch"):
    return {"reset_after": True} if cell == "gru" and impl == "scratch" else {}


def _inputs(batch=BATCH, steps=STEPS, vocab=V, device="cpu"):
    return torch.randint(0, vocab, (batch, steps), device=device)


def _gates(t, cell, hidden=HID):
    return torch.cat([t[k * hidden:(k + 1) * hidden] for k in TORCH_GATE[cell]])


def _run(model, X, state0):
    """Forward plus backward of a loss touching logits and final state; returns leaf state."""
    state = tuple(s.clone().requires_grad_() for s in state0)
    logits, final = model(X, state)
    g = torch.Generator().manual_seed(1)
    loss = (logits * torch.randn(logits.shape, generator=g, dtype=logits.dtype)).sum()
    for s in final:
        loss = loss + (s * torch.randn(s.shape, generator=g, dtype=s.dtype)).sum()
    loss.backward()
    return logits, final, state


@pytest.mark.parametrize("inputs", list(INPUTS))
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("layers", [1, 2, 3])
@pytest.mark.parametrize("cell", CELLS)
def test_scratch_matches_torch(cell, layers, dtype, inputs):
    """After load_from_torch, scratch logits, states and all gradients (embedding included,
    tied or not) equal torch.nn's."""
    torch.manual_seed(0)
    ref = build_model(cell, "torch", V, HID, layers, **INPUTS[inputs]).to(dtype)
    mine = build_model(cell, "scratch", V, HID, layers, **_options(cell),
                       **INPUTS[inputs]).to(dtype)
    assert mine.load_from_torch(ref) is mine
    X = _inputs()
    state0 = tuple(torch.randn(layers, BATCH, HID, dtype=dtype) for _ in ref.begin_state(1))
    out_ref, fin_ref, st_ref = _run(ref, X, state0)
    out, fin, st = _run(mine, X, state0)
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


@pytest.mark.parametrize("name", ["rnn", "gru", "gru_reset_after", "lstm"])
def test_plain_scan_matches_functions(name):
    """plain_scan (the path export traces) gives the outputs and state of the cell's Function."""
    scan, gates = SCANS[name]
    cell, reset_after = name.removesuffix("_reset_after"), name.endswith("reset_after")
    g = torch.Generator().manual_seed(0)

    def rand(*shape):
        return torch.randn(*shape, generator=g, dtype=torch.float64)

    XW, W_h = rand(STEPS, BATCH, gates * HID), rand(HID, gates * HID) * 0.5
    state = tuple(rand(BATCH, HID) for _ in range(1 + (cell == "lstm")))
    extra = (rand(HID),) if reset_after else ()
    Y, *final = scan.apply(XW, *state, W_h, *extra)
    Y_plain, final_plain = plain_scan(cell, reset_after, XW, state, W_h, *extra)
    torch.testing.assert_close(Y_plain, Y, atol=1e-12, rtol=1e-12)
    for a, b in zip(final_plain, final, strict=True):
        torch.testing.assert_close(a, b, atol=1e-12, rtol=1e-12)


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


def _textbook_gru(model, X, H):
    """Reference textbook GRU: separate gate matrices, one-hot matmul, step by step."""
    h, states, inputs = model.hidden, [], F.one_hot(X.T, model.vocab_size).to(H.dtype)
    for i, layer in enumerate(model.rnn_layers):
        W_xr, W_xz, W_xh = layer.W_x.split(h, dim=1)
        W_hr, W_hz, W_hh = layer.W_h.split(h, dim=1)
        b_r, b_z, b_h = layer.b.split(h)
        Hi, outputs = H[i], []
        for x in inputs:
            R = torch.sigmoid(x @ W_xr + Hi @ W_hr + b_r)
            Z = torch.sigmoid(x @ W_xz + Hi @ W_hz + b_z)
            H_tilde = torch.tanh(x @ W_xh + (R * Hi) @ W_hh + b_h)
            Hi = Z * Hi + (1 - Z) * H_tilde
            outputs.append(Hi)
        inputs = torch.stack(outputs)
        states.append(Hi)
    return inputs.reshape(-1, h) @ model.W_hq + model.b_q, torch.stack(states)


def _random_textbook_gru(layers):
    """A float64 textbook GRU with weights large enough to matter, inputs and a random state."""
    torch.manual_seed(0)
    model = build_model("gru", "scratch", V, HID, layers).double()
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.5)
    return model, _inputs(), torch.randn(layers, BATCH, HID, dtype=torch.float64)


@pytest.mark.parametrize("layers", [1, 2])
def test_textbook_gru_follows_equations(layers):
    """The default scratch GRU computes the textbook equations (reset before the product)."""
    model, X, H = _random_textbook_gru(layers)
    logits, (H_out,) = model(X, (H,))
    ref_logits, ref_H = _textbook_gru(model, X, H)
    torch.testing.assert_close(logits, ref_logits, atol=1e-10, rtol=1e-10)
    torch.testing.assert_close(H_out, ref_H, atol=1e-10, rtol=1e-10)


@pytest.mark.parametrize("layers", [1, 2])
def test_textbook_gru_gradients_follow_equations(layers):
    """The hand-written backward of the textbook GRU equals autograd through its equations:
    gradients w.r.t. the initial state and every parameter."""
    model, X, H = _random_textbook_gru(layers)

    def gradients(forward):  # forward(H0) -> (logits, final H)
        model.zero_grad()
        H0 = H.clone().requires_grad_()
        logits, H_out = forward(H0)
        g = torch.Generator().manual_seed(1)
        loss = sum((t * torch.randn(t.shape, generator=g, dtype=t.dtype)).sum()
                   for t in (logits, H_out))
        loss.backward()
        return [H0.grad] + [p.grad.clone() for p in model.parameters()]

    def scratch(H0):
        logits, (H_out,) = model(X, (H0,))
        return logits, H_out

    reference = gradients(lambda H0: _textbook_gru(model, X, H0))
    for a, b in zip(gradients(scratch), reference, strict=True):
        torch.testing.assert_close(a, b, atol=1e-10, rtol=1e-10)


SCANS = {"rnn": (RNNScan, 1), "gru": (GRUScan, 3), "gru_reset_after": (GRUResetAfterScan, 3),
         "lstm": (LSTMScan, 4)}


@pytest.mark.parametrize("name", list(SCANS))
def test_scan_gradcheck(name):
    """Each cell's hand-written backpropagation through time passes gradcheck (float64) for
    the inputs, initial state(s), recurrent weights (and reset_after's b_hh)."""
    scan, gates = SCANS[name]
    g = torch.Generator().manual_seed(0)

    def rand(*shape, scale=1.0):
        t = torch.randn(*shape, generator=g, dtype=torch.float64) * scale
        return t.requires_grad_()

    args = [rand(STEPS, BATCH, gates * HID), rand(BATCH, HID)]
    args += [rand(BATCH, HID)] if name == "lstm" else []
    args += [rand(HID, gates * HID, scale=0.5)]
    args += [rand(HID)] if name == "gru_reset_after" else []
    assert torch.autograd.gradcheck(scan.apply, args)


@pytest.mark.parametrize("steps, batch", [(1, 1), (STEPS, BATCH)])
@pytest.mark.parametrize("name", list(SCANS))
def test_scan_leaves_inputs_alone(name, steps, batch):
    """The scans work in their own buffers: inputs (even ones that are already contiguous
    slices, as with one step of one sequence) come out unchanged, forward and backward."""
    scan, gates = SCANS[name]
    torch.manual_seed(0)
    args = [torch.randn(steps, batch, gates * HID, requires_grad=True)]
    args += [torch.randn(batch, HID, requires_grad=True) for _ in range(1 + (name == "lstm"))]
    args += [torch.randn(HID, gates * HID, requires_grad=True)]
    args += [torch.randn(HID, requires_grad=True)] if name == "gru_reset_after" else []
    before = [a.detach().clone() for a in args]
    out = scan.apply(*args)
    sum(o.sum() for o in out).backward()
    for a, b in zip(args, before, strict=True):
        assert torch.equal(a.detach(), b)


@pytest.mark.parametrize("name", list(SCANS))
def test_scan_state_only_loss(name):
    """A loss on the final state alone (no gradient for the outputs) backpropagates."""
    scan, gates = SCANS[name]
    torch.manual_seed(0)
    XW = torch.randn(STEPS, BATCH, gates * HID, dtype=torch.float64, requires_grad=True)
    state = [torch.randn(BATCH, HID, dtype=torch.float64) for _ in range(1 + (name == "lstm"))]
    extra = [torch.randn(HID, dtype=torch.float64)] if name == "gru_reset_after" else []
    W_h = torch.randn(HID, gates * HID, dtype=torch.float64, requires_grad=True)
    out = scan.apply(XW, *state, W_h, *extra)
    out[1].sum().backward()
    assert XW.grad is not None and W_h.grad is not None
    assert XW.grad[-1].abs().sum() > 0


def test_gru_forms_differ():
    """reset_after=True and False give different outputs for the same random weights."""
    torch.manual_seed(0)
    after = build_model("gru", "scratch", V, HID, reset_after=True).double()
    with torch.no_grad():
        for p in after.parameters():
            p.normal_(0, 0.5)
        after.rnn_layers[0].b_hh.zero_()  # so that only where the reset acts differs
    before = build_model("gru", "scratch", V, HID, reset_after=False).double()
    before.load_state_dict({k: v for k, v in after.state_dict().items() if "b_hh" not in k})
    X, state = _inputs(), (torch.randn(1, BATCH, HID, dtype=torch.float64),)
    assert not torch.allclose(after(X, state)[0], before(X, state)[0], atol=1e-3)


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


@pytest.mark.parametrize("layers", [1, 3])
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("cell", CELLS)
def test_shapes_and_dtypes(cell, impl, layers):
    """Logits are (steps*batch, vocab), states (layers, batch, hidden), all float32."""
    model = build_model(cell, impl, V, HID, layers, **_options(cell, impl))
    state = model.begin_state(BATCH, "cpu")
    assert isinstance(state, tuple) and len(state) == (2 if cell == "lstm" else 1)
    logits, new_state = model(_inputs(), state)
    assert logits.shape == (STEPS * BATCH, V) and logits.dtype == torch.float32
    assert isinstance(new_state, tuple) and len(new_state) == len(state)
    for s in new_state:
        assert s.shape == (layers, BATCH, HID) and s.dtype == torch.float32


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("cell", CELLS)
def test_logits_are_time_major(cell, impl):
    """Logit row t*batch + b depends only on tokens X[b, :t+1]."""
    torch.manual_seed(0)
    model = build_model(cell, impl, V, HID, 2, **_options(cell, impl))
    X = _inputs()
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
    model = build_model(cell, impl, V, HID, 2, **_options(cell, impl)).double()
    X, state = _inputs(steps=6), model.begin_state(BATCH)
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
    model = build_model(cell, impl, V, HID, 2, **_options(cell, impl)).to(torch.float64)
    for s in model.begin_state(4, torch.device("cpu")):
        assert s.shape == (2, 4, HID) and s.dtype == torch.float64 and not s.any()


@pytest.mark.parametrize("target", ["cpu-float64", "meta", CUDA])
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("cell", CELLS)
def test_move_model(cell, impl, target):
    """A model moved to another device/dtype runs there with state in that device/dtype."""
    model = build_model(cell, impl, V, HID, 2, **_options(cell, impl))
    device, dtype = ("cpu", torch.float64) if target == "cpu-float64" else (target, None)
    model = model.to(device=device, dtype=dtype)
    dtype = dtype or torch.float32
    state = model.begin_state(BATCH)
    assert all(s.device.type == device and s.dtype == dtype for s in state)
    logits, state = model(_inputs(device=device), state)
    assert logits.device.type == device and logits.dtype == dtype
    assert logits.shape == (STEPS * BATCH, V)
    assert all(s.device.type == device and s.shape == (2, BATCH, HID) for s in state)


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
    model = build_model(cell, impl, V, HID, 2, dropout=0.25, **_options(cell, impl),
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
    scratch = build_model(cell, "scratch", V, HID, layers, **_options(cell), **INPUTS[inputs])
    torch_model = build_model(cell, "torch", V, HID, layers, **INPUTS[inputs])
    for model in (scratch, torch_model):
        assert num_params(model) == sum(p.numel() for p in model.parameters())
    extra_gates = {"rnn": 1, "gru": 2, "lstm": 4}[cell]  # gru reset_after keeps b_hn apart
    assert num_params(torch_model) - num_params(scratch) == layers * extra_gates * HID


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("cell", CELLS)
def test_dropout_train_only(cell, impl):
    """Dropout between layers changes outputs in train mode and is inactive in eval mode."""
    torch.manual_seed(0)
    model = build_model(cell, impl, V, 32, 2, dropout=0.5, **_options(cell, impl))
    plain = build_model(cell, impl, V, 32, 2, **_options(cell, impl))
    plain.load_state_dict(model.state_dict())
    X, state = _inputs(), model.begin_state(BATCH)
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
    mine = build_model(cell, "scratch", V, HID, layers, **_options(cell), **options).double()
    mine.load_from_torch(ref)
    X, state0 = _inputs(), tuple(s.normal_() for s in ref.begin_state(BATCH))
    torch.manual_seed(1)
    out_ref, fin_ref, st_ref = _run(ref, X, state0)
    torch.manual_seed(1)
    out, fin, st = _run(mine, X, state0)
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
    model = build_model(cell, impl, V, HID, 2, **_options(cell, impl)).train()
    assert "dropout_kind" not in model.model_args()
    X = _inputs()
    before = torch.get_rng_state()
    model(X)
    assert torch.equal(torch.get_rng_state(), before)


def test_output_bias_starts_at_zero_for_word_models_only():
    """A learned-embedding torch model zeroes its output bias (as word_language_model); the
    lab's one-hot torch model keeps nn.Linear's initial bias, so its numbers do not change."""
    torch.manual_seed(0)
    assert build_model("lstm", "torch", V, HID, embedding=4).linear.bias.abs().sum() == 0
    assert build_model("lstm", "torch", V, HID).linear.bias.abs().sum() > 0


def test_bad_dropout_kind():
    """An unknown dropout_kind is refused, naming it."""
    with pytest.raises(ValueError, match="'gaussian'"):
        build_model("lstm", "torch", V, HID, dropout=0.5, dropout_kind="gaussian")


@pytest.mark.cuda
@NO_CUDA
@pytest.mark.parametrize("cell", CELLS)
def test_scratch_training_step_in_cuda_graph(cell):
    """A scratch forward+backward captured in a CUDA graph replays like the eager step."""
    torch.manual_seed(0)
    model = build_model(cell, "scratch", V, HID, 2, **_options(cell)).cuda()
    X, Y = _inputs(device="cuda"), _inputs(device="cuda")
    state = tuple(s.normal_() for s in model.begin_state(BATCH))

    def step():
        logits, _ = model(X, state)
        loss = F.cross_entropy(logits, Y.T.reshape(-1))
        loss.backward()
        return loss.detach()  # keep no autograd graph alive across streams

    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(2):
            model.zero_grad(set_to_none=False)
            step()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    model.zero_grad(set_to_none=False)
    with torch.cuda.graph(graph):
        loss = step()
    X.copy_(_inputs(device="cuda"))
    graph.replay()
    grads = [p.grad.clone() for p in model.parameters()]
    model.zero_grad(set_to_none=False)
    torch.testing.assert_close(loss, step())
    for g, p in zip(grads, model.parameters(), strict=True):
        torch.testing.assert_close(g, p.grad)
