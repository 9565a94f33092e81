"""``rnnlab export``: one step of a trained model as ONNX, for serving it outside PyTorch.

The graph takes ``tokens`` (batch,) int64 and the state ``H`` (and ``C`` for lstm), each
(layers, batch, hidden), and returns ``logits`` (batch, vocab) and the next state ``H_out``
(and ``C_out``); the batch size is dynamic. Feeding ``H_out`` back as ``H`` runs a sequence.
Scratch models export themselves: while exporting, their cells take ``cells.plain_scan``, the
same equations in plain tensor ops, instead of the hand-written backward's Functions.

With ``sequence=True`` the graph takes a whole sequence: ``tokens`` (batch, steps) int64, both
axes dynamic, and returns ``logits`` (batch, steps, vocab) and the final state, so a sentence is
scored in one call. torch.nn's LSTM and GRU export as ONNX's recurrent operators, whose step
count is dynamic; a scratch model's Python loop over steps would be unrolled for one length,
so a scratch model is exported through its torch.nn twin, the same function. rnn cells (the
exporter unrolls torch.nn.RNN too) and the textbook GRU (torch.nn has no twin) have no
sequence export: their one-step graph runs a sequence with the state fed back.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import torch
from torch import nn

from rnnlab.checkpoint import load_checkpoint, model_from_checkpoint
from rnnlab.errors import ExportError
from rnnlab.fileio import atomic_write
from rnnlab.models import TORCH_GATE, build_model

EXAMPLE_BATCH = 2  # torch.export specialises a size-1 dimension; any other size stays dynamic
EXAMPLE_STEPS = 3


class OneStep(nn.Module):
    """``model`` on one token per sequence: (tokens, H[, C]) -> (logits, H_out[, C_out])."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, tokens: torch.Tensor, H: torch.Tensor, C: torch.Tensor | None = None):
        state = (H,) if C is None else (H, C)
        logits, state = self.model(tokens[:, None], state)  # (batch, vocab): one step
        return (logits, *state)


class Sequence(nn.Module):
    """``model`` on a whole sequence: (tokens, H[, C]) -> (logits, H_out[, C_out])."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, tokens: torch.Tensor, H: torch.Tensor, C: torch.Tensor | None = None):
        state = (H,) if C is None else (H, C)
        logits, state = self.model(tokens, state)               # (steps * batch, vocab)
        batch, steps = tokens.shape
        return (logits.view(steps, batch, -1).transpose(0, 1), *state)  # (batch, steps, V)


def torch_twin(model: nn.Module) -> nn.Module:
    """A torch-backed model computing what ``model`` computes (itself if torch-backed)."""
    if model.cell == "rnn":
        raise ExportError("rnn cells have no sequence export (the ONNX exporter unrolls "
                          "torch.nn.RNN for one length); export one step instead")
    if model.impl == "torch":
        return model if isinstance(model.rnn, nn.RNNBase) else _stacked_twin(model)
    if model.cell == "gru" and not model.options["reset_after"]:
        raise ExportError("the textbook GRU (reset_after false) has no sequence export: "
                          "torch.nn.GRU computes another function; export one step instead")
    twin = build_model(**{**model.model_args(), "impl": "torch",
                          "reset_after": None}).eval()
    h, order = model.hidden, TORCH_GATE[model.cell]   # the lstm order is its own inverse

    def gates(t):  # scratch gate blocks (columns) -> torch's (rows)
        return torch.cat([t[:, k * h:(k + 1) * h] for k in order], dim=1).T

    with torch.no_grad():
        for i, layer in enumerate(model.rnn_layers):
            W_ih, W_hh, b_ih, b_hh = twin.layer_params(i)
            W_ih.copy_(gates(layer.W_x))
            W_hh.copy_(gates(layer.W_h))
            b_ih.copy_(gates(layer.b[None]).flatten())
            b_hh.zero_()
            if model.cell == "gru":
                b_hh[2 * h:].copy_(layer.b_hh)
        if model.embedding_size:
            twin.embedding.weight.copy_(model.W_e)
        if not model.tied:
            twin.linear.weight.copy_(model.W_hq.T)
        twin.linear.bias.copy_(model.b_q)
    return twin


def _stacked_twin(model: nn.Module) -> nn.Module:
    """A torch-backed model of locked dropout (one module per layer) as one stacked module:
    the same function outside training, in the form ONNX's recurrent operators take."""
    args = {k: v for k, v in model.model_args().items() if k != "dropout_kind"}
    twin = build_model(**args).eval()
    with torch.no_grad():
        for i in range(model.layers):
            for mine, theirs in zip(twin.layer_params(i), model.layer_params(i), strict=True):
                mine.copy_(theirs)
        for name in ("embedding", "linear")[0 if model.embedding_size else 1:]:
            for mine, theirs in zip(getattr(twin, name).parameters(),
                                    getattr(model, name).parameters(), strict=True):
                mine.copy_(theirs)
    return twin


def state_names(cell: str) -> list[str]:
    return ["H", "C"] if cell == "lstm" else ["H"]


def export_onnx(model: nn.Module, out: str | Path, sequence: bool = False) -> Path:
    """Write ``model``'s one-step (or, with ``sequence``, whole-sequence) ONNX graph to ``out``
    atomically; returns the path."""
    try:
        import onnx  # noqa: F401  (torch.onnx needs onnx and onnxscript; say so in one line)
        import onnxscript  # noqa: F401
    except ImportError as err:
        raise ExportError(f"exporting to ONNX needs the {err.name!r} package: "
                          "pip install 'rnnlab[export]'") from None
    model = model.cpu().eval()
    names = state_names(model.cell)
    state = model.begin_state(EXAMPLE_BATCH, "cpu")
    batch = torch.export.Dim("batch")
    if sequence:
        model = torch_twin(model)
        wrapper, tokens = Sequence(model), torch.zeros(EXAMPLE_BATCH, EXAMPLE_STEPS,
                                                       dtype=torch.long)
        token_axes = {0: batch, 1: torch.export.Dim("steps")}       # tokens (batch, steps)
    else:
        wrapper, tokens = OneStep(model), torch.zeros(EXAMPLE_BATCH, dtype=torch.long)
        token_axes = {0: batch}                                      # tokens (batch,)
    dynamic = (token_axes, *({1: batch} for _ in state))           # states (l, batch, h)
    # The exporter logs and warns about things that do not concern this model (torchvision's
    # operators, its own deprecations); the user sees the result or one line of error.
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    try:
        logger.setLevel(logging.ERROR)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            program = torch.onnx.export(
                wrapper.eval(), (tokens, *state), dynamo=True, dynamic_shapes=dynamic,
                input_names=["tokens", *names],
                output_names=["logits", *(n + "_out" for n in names)], verbose=False)
    except Exception as err:  # the exporter raises many kinds; keep the first line
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ExportError(f"ONNX export of the {model.cell} model failed: {reason}") from None
    finally:
        logger.setLevel(level)
    return atomic_write(out, lambda tmp: program.save(tmp, external_data=False))


def export_checkpoint(checkpoint: str | Path, out: str | Path, sequence: bool = False) -> Path:
    """Rebuild the model of ``checkpoint`` (checkpoint.pt or best.pt) and export it."""
    model, _ = model_from_checkpoint(load_checkpoint(checkpoint))
    return export_onnx(model, out, sequence)
