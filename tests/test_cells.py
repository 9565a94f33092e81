"""Tests of rnnlab.cells: the scratch recurrences' hand-written backpropagation through time,
the textbook GRU's equations, and the plain scan export traces."""

import pytest
import torch
import torch.nn.functional as F
from model_helpers import BATCH, HID, NO_CUDA, STEPS, V, cell_options, random_tokens

from rnnlab.cells import GRUResetAfterScan, GRUScan, LSTMScan, RNNScan, plain_scan
from rnnlab.models import CELLS, build_model

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
    return model, random_tokens(), torch.randn(layers, BATCH, HID, dtype=torch.float64)


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
    X, state = random_tokens(), (torch.randn(1, BATCH, HID, dtype=torch.float64),)
    assert not torch.allclose(after(X, state)[0], before(X, state)[0], atol=1e-3)


@pytest.mark.cuda
@NO_CUDA
@pytest.mark.parametrize("cell", CELLS)
def test_scratch_training_step_in_cuda_graph(cell):
    """A scratch forward+backward captured in a CUDA graph replays like the eager step."""
    torch.manual_seed(0)
    model = build_model(cell, "scratch", V, HID, 2, **cell_options(cell)).cuda()
    X, Y = random_tokens(device="cuda"), random_tokens(device="cuda")
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
    X.copy_(random_tokens(device="cuda"))
    graph.replay()
    grads = [p.grad.clone() for p in model.parameters()]
    model.zero_grad(set_to_none=False)
    torch.testing.assert_close(loss, step())
    for g, p in zip(grads, model.parameters(), strict=True):
        torch.testing.assert_close(g, p.grad)

