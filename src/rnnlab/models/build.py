"""``build_model``: a model of either impl from checked arguments; ``num_params``."""

from __future__ import annotations

import operator

from torch import nn

from rnnlab.dropout import check_dropout
from rnnlab.models.scratch import ScratchRNNModel
from rnnlab.models.torch_backed import TorchRNNModel

CELLS = ("rnn", "gru", "lstm")
IMPLS = ("scratch", "torch")


def _positive_int(name: str, value) -> int:
    try:
        value = operator.index(value)
    except TypeError:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}") from None
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value!r}")
    return value


def build_model(cell: str, impl: str, vocab_size: int, hidden: int, layers: int = 1,
                **options) -> nn.Module:
    """Build a ``cell`` (rnn|gru|lstm) language model with ``impl`` (scratch|torch).

    Options: ``dropout`` (float in [0, 1], training mode only: on the embedding's output,
    between stacked layers and on the top layer's output), ``dropout_kind`` (standard|locked,
    see rnnlab.dropout),
    ``reset_after`` (gru only: False = textbook GRU, True = torch.nn.GRU's form; torch-backed
    GRUs are always reset_after=True), ``embedding`` (0 = one-hot input, the textbook's; N > 0 =
    a learned embedding of size N before the first layer) and ``tied`` (the output layer uses
    the embedding's weights; needs embedding == hidden). Bad arguments raise ValueError naming
    the value.
    """
    if cell not in CELLS:
        raise ValueError(f"unknown cell {cell!r} (expected one of {', '.join(CELLS)})")
    if impl not in IMPLS:
        raise ValueError(f"unknown impl {impl!r} (expected one of {', '.join(IMPLS)})")
    vocab_size = _positive_int("vocab_size", vocab_size)
    hidden = _positive_int("hidden", hidden)
    layers = _positive_int("layers", layers)
    unknown = sorted(set(options) - {"dropout", "dropout_kind", "reset_after", "embedding",
                                     "tied"})
    if unknown:
        raise ValueError(f"unknown option(s) {', '.join(map(repr, unknown))} "
                         "(expected dropout, dropout_kind, reset_after, embedding, tied)")
    dropout, kind = check_dropout(options.get("dropout", 0.0),
                                  options.get("dropout_kind", "standard"))
    opts = {"dropout": dropout}
    if kind != "standard":  # the lab's models keep their arguments as they were
        opts["dropout_kind"] = kind
    reset_after = options.get("reset_after")
    if reset_after is not None and not isinstance(reset_after, bool):
        raise ValueError(f"reset_after must be a bool, got {reset_after!r}")
    if cell == "gru":
        if impl == "torch" and reset_after is False:
            raise ValueError("reset_after=False (textbook GRU) is not available with "
                             "impl 'torch': torch.nn.GRU always resets after the product")
        opts["reset_after"] = (impl == "torch") if reset_after is None else reset_after
    elif reset_after:
        raise ValueError(f"reset_after=True only applies to cell 'gru', not {cell!r}")
    embedding = options.get("embedding", 0)
    if embedding != 0:
        embedding = _positive_int("embedding", embedding)
    tied = options.get("tied", False)
    if not isinstance(tied, bool):
        raise ValueError(f"tied must be a bool, got {tied!r}")
    if tied and embedding != hidden:
        raise ValueError(f"tied=True needs embedding == hidden, got embedding={embedding} "
                         f"and hidden={hidden}")
    if embedding:  # the lab's models (one-hot input) keep their arguments as they were
        opts.update(embedding=embedding, tied=tied)
    cls = ScratchRNNModel if impl == "scratch" else TorchRNNModel
    return cls(cell, vocab_size, hidden, layers, **opts)


def num_params(model: nn.Module) -> int:
    """Number of scalar parameters, counted as they are stored.

    torch.nn's RNNs keep two biases per gate (b_ih and b_hh) where the scratch models keep one
    (their sum), so a torch-backed model reports ``layers * gates * hidden`` more parameters
    than its scratch twin (a scratch reset_after GRU has the candidate's b_hh too).
    """
    return sum(p.numel() for p in model.parameters())
