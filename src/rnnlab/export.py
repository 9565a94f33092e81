"""``rnnlab export``: one step of a trained model as ONNX, for serving it outside PyTorch.

The graph takes ``tokens`` (batch,) int64 and the state ``H`` (and ``C`` for lstm), each
(layers, batch, hidden), and returns ``logits`` (batch, vocab) and the next state ``H_out``
(and ``C_out``); the batch size is dynamic. Feeding ``H_out`` back as ``H`` runs a sequence.
Scratch models export themselves: while exporting, their cells take ``cells.plain_scan``, the
same equations in plain tensor ops, instead of the hand-written backward's Functions.
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

EXAMPLE_BATCH = 2  # torch.export specialises a size-1 dimension; any other size stays dynamic


class OneStep(nn.Module):
    """``model`` on one token per sequence: (tokens, H[, C]) -> (logits, H_out[, C_out])."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, tokens: torch.Tensor, H: torch.Tensor, C: torch.Tensor | None = None):
        state = (H,) if C is None else (H, C)
        logits, state = self.model(tokens[:, None], state)  # (batch, vocab): one step
        return (logits, *state)


def state_names(cell: str) -> list[str]:
    return ["H", "C"] if cell == "lstm" else ["H"]


def export_onnx(model: nn.Module, out: str | Path) -> Path:
    """Write ``model``'s one-step ONNX graph to ``out`` atomically; returns the path."""
    try:
        import onnx  # noqa: F401  (torch.onnx needs onnx and onnxscript; say so in one line)
        import onnxscript  # noqa: F401
    except ImportError as err:
        raise ExportError(f"exporting to ONNX needs the {err.name!r} package: "
                          "pip install 'rnnlab[export]'") from None
    model = model.cpu().eval()
    names = state_names(model.cell)
    tokens = torch.zeros(EXAMPLE_BATCH, dtype=torch.long)
    state = model.begin_state(EXAMPLE_BATCH, "cpu")
    batch = torch.export.Dim("batch")
    dynamic = ({0: batch}, *({1: batch} for _ in state))  # tokens (batch,), states (l, batch, h)
    # The exporter logs and warns about things that do not concern this model (torchvision's
    # operators, its own deprecations); the user sees the result or one line of error.
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    try:
        logger.setLevel(logging.ERROR)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            program = torch.onnx.export(
                OneStep(model).eval(), (tokens, *state), dynamo=True, dynamic_shapes=dynamic,
                input_names=["tokens", *names],
                output_names=["logits", *(n + "_out" for n in names)], verbose=False)
    except Exception as err:  # the exporter raises many kinds; keep the first line
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ExportError(f"ONNX export of the {model.cell} model failed: {reason}") from None
    finally:
        logger.setLevel(level)
    return atomic_write(out, lambda tmp: program.save(tmp, external_data=False))


def export_checkpoint(checkpoint: str | Path, out: str | Path) -> Path:
    """Rebuild the model of ``checkpoint`` (checkpoint.pt or best.pt) and export it."""
    model, _ = model_from_checkpoint(load_checkpoint(checkpoint))
    return export_onnx(model, out)
