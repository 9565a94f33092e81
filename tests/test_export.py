"""Tests of rnnlab.export: the one-step ONNX graph, run by onnxruntime, equals PyTorch."""

import numpy as np
import onnxruntime
import pytest
import torch
from helpers import rnnlab

from rnnlab.checkpoint import save_checkpoint
from rnnlab.data import Vocab
from rnnlab.export import export_checkpoint, state_names
from rnnlab.models import CELLS, IMPLS, build_model

VOCAB = Vocab(list("the time traveller for so it will be convenient"))
HID, LAYERS = 8, 2


def _checkpoint(path, cell, impl, **options):
    """A real checkpoint of a model with weights large enough that every gate matters."""
    torch.manual_seed(0)
    model = build_model(cell, impl, len(VOCAB), HID, LAYERS, **options)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.5)
    save_checkpoint(path, model_state=model.state_dict(), model_args=model.model_args(),
                    vocab=VOCAB.to_dict(), token="char", epoch=1)
    return model.eval()


def _run_both(model, onnx_path, batch=3, steps=4):
    """Feed ``steps`` tokens one at a time to onnxruntime and to the model, carrying each one's
    state; return the outputs of both, step by step."""
    session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    names = state_names(model.cell)
    assert [i.name for i in session.get_inputs()] == ["tokens", *names]
    assert [o.name for o in session.get_outputs()] == ["logits", *(n + "_out" for n in names)]
    g = torch.Generator().manual_seed(1)
    tokens = torch.randint(0, len(VOCAB), (batch, steps), generator=g)
    state = tuple(torch.randn(LAYERS, batch, HID, generator=g) for _ in names)
    ort_state, ours, theirs = [s.numpy() for s in state], [], []
    for t in range(steps):
        with torch.no_grad():
            logits, state = model(tokens[:, t:t + 1], state)
        out = session.run(None, {"tokens": tokens[:, t].numpy(),
                                 **dict(zip(names, ort_state, strict=True))})
        ort_state = out[1:]
        ours.append([logits.numpy(), *(s.numpy() for s in state)])
        theirs.append(out)
    return ours, theirs


CASES = [(cell, impl, {}) for cell in CELLS for impl in IMPLS] + [
    ("gru", "scratch", {"reset_after": True}),
    ("lstm", "scratch", {"embedding": HID, "tied": True}),
    ("gru", "torch", {"embedding": 5}),
]


@pytest.mark.parametrize("cell, impl, options", CASES)
def test_onnx_step_equals_pytorch(tmp_path, cell, impl, options):
    """onnxruntime on the exported graph (inputs tokens, H[, C]; outputs logits, H_out[, C_out])
    gives the model's logits and states, step after step with the state fed back, at a batch
    size other than the one it was traced with."""
    model = _checkpoint(tmp_path / "best.pt", cell, impl, **options)
    path = export_checkpoint(tmp_path / "best.pt", tmp_path / "model.onnx")
    assert path == tmp_path / "model.onnx"
    assert not list(tmp_path.glob(".*.tmp"))  # written under a temporary name, then renamed
    ours, theirs = _run_both(model, path)
    for step_ours, step_theirs in zip(ours, theirs, strict=True):
        assert len(step_ours) == len(step_theirs) == 1 + len(state_names(cell))
        for a, b in zip(step_ours, step_theirs, strict=True):
            assert a.shape == b.shape
            np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-5)


def test_cli_export_writes_onnx(tmp_path):
    """`rnnlab export` writes the .onnx file of a checkpoint and says where."""
    model = _checkpoint(tmp_path / "checkpoint.pt", "gru", "scratch")
    out = tmp_path / "out" / "step.onnx"
    result = rnnlab("export", "--checkpoint", tmp_path / "checkpoint.pt", "--out", out)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == f"wrote {out}"  # nothing else: the exporter's chatter is off
    ours, theirs = _run_both(model, out, batch=1, steps=2)
    np.testing.assert_allclose(theirs[-1][0], ours[-1][0], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("content, needle", [
    (None, "no checkpoint at"),
    (b"not a checkpoint", "corrupt or not a checkpoint"),
])
def test_cli_export_bad_checkpoint_is_one_line(tmp_path, content, needle):
    """A missing or damaged checkpoint is a one-line error, and no .onnx file is left."""
    checkpoint = tmp_path / "best.pt"
    if content is not None:
        checkpoint.write_bytes(content)
    result = rnnlab("export", "--checkpoint", checkpoint, "--out", tmp_path / "m.onnx")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and needle in result.stderr
    assert result.stderr.startswith("rnnlab export: error:")
    assert not (tmp_path / "m.onnx").exists()


# Scratch models export through the torch.nn model built from their weights, so the scratch
# cases also cover the torch.nn graphs; each case costs a whole exporter run.
@pytest.mark.parametrize("cell, impl, options", [
    ("lstm", "scratch", {"embedding": HID, "tied": True}),
    ("gru", "scratch", {"reset_after": True}),
    ("lstm", "torch", {"embedding": 5, "dropout": 0.5, "dropout_kind": "locked"}),
])
def test_onnx_sequence_equals_pytorch(tmp_path, cell, impl, options):
    """The --sequence graph scores whole sequences of any length and batch in one call:
    onnxruntime's logits (batch, steps, vocab) and final state equal the model's."""
    model = _checkpoint(tmp_path / "best.pt", cell, impl, **options)
    result = rnnlab("export", "--checkpoint", tmp_path / "best.pt", "--out",
                    tmp_path / "seq.onnx", "--sequence")
    assert result.returncode == 0, result.stderr
    session = onnxruntime.InferenceSession(str(tmp_path / "seq.onnx"),
                                           providers=["CPUExecutionProvider"])
    names = state_names(cell)
    g = torch.Generator().manual_seed(1)
    for batch, steps in [(3, 7), (1, 1), (4, 2)]:
        tokens = torch.randint(0, len(VOCAB), (batch, steps), generator=g)
        state = tuple(torch.randn(LAYERS, batch, HID, generator=g) for _ in names)
        out = session.run(None, {"tokens": tokens.numpy(),
                                 **{n: s.numpy() for n, s in zip(names, state, strict=True)}})
        with torch.no_grad():
            logits, final = model(tokens, state)
        expected = [logits.view(steps, batch, -1).transpose(0, 1), *final]
        for a, b in zip(expected, out, strict=True):
            np.testing.assert_allclose(b, a.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("cell, options, needle", [
    ("gru", {}, "textbook GRU"), ("rnn", {}, "rnn cells have no sequence export")])
def test_no_sequence_export_without_dynamic_steps(tmp_path, cell, options, needle):
    """A textbook GRU (no torch.nn twin) and rnn cells (unrolled by the exporter) are refused
    in one line, and no file is left."""
    _checkpoint(tmp_path / "best.pt", cell, "scratch", **options)
    result = rnnlab("export", "--checkpoint", tmp_path / "best.pt", "--out",
                    tmp_path / "seq.onnx", "--sequence")
    assert result.returncode == 1 and needle in result.stderr
    assert result.stderr.count("\n") == 1 and not (tmp_path / "seq.onnx").exists()
