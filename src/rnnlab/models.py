"""Recurrent language models of Dive into Deep Learning, chapters 8-9.

``build_model(cell, impl, vocab_size, hidden, layers)`` returns an RNN, GRU or LSTM either
written from the equations (``impl="scratch"``) or backed by ``torch.nn`` (``impl="torch"``).
Both take token ids ``X`` of shape ``(batch, steps)`` and a state tuple, and return
``(logits, state)`` with time-major logits ``(steps * batch, vocab)``; the state is ``(H,)``
for rnn/gru and ``(H, C)`` for lstm, each ``(layers, batch, hidden)``, so the two impls swap
freely.

With ``embedding=N`` (N > 0) a learned embedding of size N replaces the one-hot input, and
``tied=True`` makes the output layer share the embedding's weights (needs N == hidden).
``dropout`` acts at the three sites of rnnlab.dropout (the embedding's output, between layers,
the top layer's output); with one-hot input there is no embedding, so no input dropout: dropping
an element of a one-hot vector would drop a whole token, another regulariser.
"""

from __future__ import annotations

import operator

import torch
import torch.nn.functional as F
from torch import nn

from rnnlab.cells import scan
from rnnlab.dropout import check_dropout, drop

CELLS = ("rnn", "gru", "lstm")
IMPLS = ("scratch", "torch")
_GATES = {"rnn": 1, "gru": 3, "lstm": 4}
# Scratch gate block k holds torch's gate block TORCH_GATE[cell][k]. Scratch LSTM uses the
# textbook order (input, forget, output, candidate); torch uses (i, f, g=candidate, o).
TORCH_GATE = {"rnn": (0,), "gru": (0, 1, 2), "lstm": (0, 1, 3, 2)}
_TORCH_CLASS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}
# A learned embedding starts as U(-0.1, 0.1) in both impls, as in PyTorch's word_language_model
# (N(0, 0.01²) embeddings times N(0, 0.01²) input weights would leave almost no input signal).
EMBEDDING_INIT = 0.1


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


class _RNNModelBase(nn.Module):
    """Shared attributes, ``begin_state`` and ``model_args`` of both impls."""

    impl = ""

    def __init__(self, cell: str, vocab_size: int, hidden: int, layers: int, **options):
        super().__init__()
        self.cell, self.vocab_size, self.hidden, self.layers = cell, vocab_size, hidden, layers
        self.options = dict(options)
        self.dropout = options["dropout"]
        self.dropout_kind = options.get("dropout_kind", "standard")
        self.embedding_size = options.get("embedding", 0)  # 0: one-hot input
        self.tied = options.get("tied", False)
        self.input_size = self.embedding_size or vocab_size  # of the first recurrent layer

    def model_args(self) -> dict:
        """Plain-python kwargs such that ``build_model(**model_args())`` rebuilds the model."""
        return {"cell": self.cell, "impl": self.impl, "vocab_size": self.vocab_size,
                "hidden": self.hidden, "layers": self.layers, **self.options}

    def begin_state(self, batch_size: int, device=None) -> tuple[torch.Tensor, ...]:
        """Zero state: ``(H,)`` or, for lstm, ``(H, C)``; each ``(layers, batch, hidden)``."""
        p = next(self.parameters())
        device = p.device if device is None else device
        n = 2 if self.cell == "lstm" else 1
        return tuple(torch.zeros(self.layers, batch_size, self.hidden, dtype=p.dtype,
                                 device=device) for _ in range(n))

    def drop(self, x: torch.Tensor) -> torch.Tensor:
        """This model's dropout on ``x`` (steps, batch, n) (itself when inactive)."""
        return drop(x, self.dropout, self.dropout_kind, self.training)

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.model_args().items() if k != "impl")

    # Forward returns time-major logits (steps * batch, vocab), row t * batch + b for step t of
    # sequence b: that is the order the recurrence produces outputs in (no transpose copy),
    # and it matches the textbook's loss on ``Y.T.reshape(-1)``.


class TorchRNNModel(_RNNModelBase):
    """The textbook's ``RNNModel``: nn.RNN/GRU/LSTM on one-hot input (or an nn.Embedding)
    plus a linear head."""

    impl = "torch"

    def __init__(self, cell, vocab_size, hidden, layers, **options):
        super().__init__(cell, vocab_size, hidden, layers, **options)
        if self.embedding_size:
            self.embedding = nn.Embedding(vocab_size, self.embedding_size)  # (vocab, emb)
            nn.init.uniform_(self.embedding.weight, -EMBEDDING_INIT, EMBEDDING_INIT)
        if self.dropout_kind == "locked" and layers > 1:  # own masks between layers
            self.rnn = nn.ModuleList(_TORCH_CLASS[cell](hidden if i else self.input_size, hidden)
                                     for i in range(layers))
        else:  # torch.nn draws standard dropout between its layers itself
            self.rnn = _TORCH_CLASS[cell](self.input_size, hidden, layers,
                                          dropout=self.dropout if layers > 1 else 0.0)
        self.linear = nn.Linear(hidden, vocab_size)
        if self.embedding_size:  # as word_language_model; the lab's keep nn.Linear's init
            nn.init.zeros_(self.linear.bias)
        if self.tied:  # one Parameter: (vocab, hidden) is both tables
            self.linear.weight = self.embedding.weight

    def forward(self, X: torch.Tensor, state=None):
        if state is None:
            state = self.begin_state(X.shape[0], X.device)
        if self.embedding_size:
            inputs = self.drop(self.embedding(X.T))                            # (steps, B, E)
        else:
            inputs = F.one_hot(X.T, self.vocab_size).to(self.linear.weight.dtype)  # (steps, B, V)
        if isinstance(self.rnn, nn.ModuleList):
            Y, state = self._layer_by_layer(inputs, state)
        else:
            Y, state = self._run(self.rnn, inputs, state)
        Y = self.drop(Y)                                                       # (steps, B, h)
        return self.linear(Y.reshape(-1, self.hidden)), state  # (steps * batch, vocab)

    def _run(self, rnn: nn.Module, inputs: torch.Tensor, state: tuple):
        """One torch.nn RNN module from ``state`` (a tuple): (outputs, new state tuple)."""
        Y, hx = rnn(inputs, tuple(state) if self.cell == "lstm" else state[0])
        return Y, (tuple(hx) if self.cell == "lstm" else (hx,))

    def _layer_by_layer(self, inputs: torch.Tensor, state: tuple):
        """The single-layer modules of locked dropout, with its masks between them."""
        Y, new_state = inputs, []
        for i, rnn in enumerate(self.rnn):
            Y, layer_state = self._run(rnn, self.drop(Y) if i else Y,
                                       tuple(s[i:i + 1] for s in state))
            new_state.append(layer_state)
        return Y, tuple(torch.cat(s) for s in zip(*new_state, strict=True))  # (layers, B, h)

    def layer_params(self, i: int) -> tuple[torch.Tensor, ...]:
        """Layer ``i``'s (weight_ih, weight_hh, bias_ih, bias_hh) in torch.nn's layout."""
        rnn, k = (self.rnn[i], 0) if isinstance(self.rnn, nn.ModuleList) else (self.rnn, i)
        return tuple(getattr(rnn, f"{name}_l{k}")
                     for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))


class _ScratchLayer(nn.Module):
    """One recurrent layer; ``gates * hidden`` columns of fused gate weights. Its recurrence
    over all steps is ``rnnlab.cells.scan``: the cell's equations step by step, with the
    backpropagation through time written by hand (one weight-gradient product for all steps)."""

    def __init__(self, cell: str, inputs: int, hidden: int, reset_after: bool):
        super().__init__()
        g = _GATES[cell]
        self.cell, self.hidden, self.reset_after = cell, hidden, reset_after
        self.W_x = nn.Parameter(torch.randn(inputs, g * hidden) * 0.01)  # (in, g*hidden)
        self.W_h = nn.Parameter(torch.randn(hidden, g * hidden) * 0.01)  # (hidden, g*hidden)
        self.b = nn.Parameter(torch.zeros(g * hidden))                   # (g*hidden,)
        if reset_after:  # hidden-side candidate bias b_hh of torch.nn.GRU
            self.b_hh = nn.Parameter(torch.zeros(hidden))                # (hidden,)

    def forward(self, XW: torch.Tensor, state: tuple[torch.Tensor, ...]):
        """XW: input projection incl. bias ``(steps, batch, g*hidden)``; state per layer, each
        ``(batch, hidden)``. Returns outputs ``(steps, batch, hidden)`` and the new state."""
        return scan(self.cell, self.reset_after, XW, state, self.W_h,
                    self.b_hh if self.reset_after else None)


class ScratchRNNModel(_RNNModelBase):
    """RNN/GRU/LSTM from the equations, any number of layers, textbook init N(0, 0.01²)."""

    impl = "scratch"

    def __init__(self, cell, vocab_size, hidden, layers, **options):
        super().__init__(cell, vocab_size, hidden, layers, **options)
        reset_after = options.get("reset_after", False)
        if self.embedding_size:
            self.W_e = nn.Parameter(  # (vocab, emb)
                torch.empty(vocab_size, self.embedding_size).uniform_(-EMBEDDING_INIT,
                                                                      EMBEDDING_INIT))
        self.rnn_layers = nn.ModuleList(
            _ScratchLayer(cell, self.input_size if i == 0 else hidden, hidden, reset_after)
            for i in range(layers))
        if not self.tied:  # tied: the output weights are W_e.T
            self.W_hq = nn.Parameter(torch.randn(hidden, vocab_size) * 0.01)  # (hidden, vocab)
        self.b_q = nn.Parameter(torch.zeros(vocab_size))                       # (vocab,)

    def output_weight(self) -> torch.Tensor:
        """The output layer's weights, (hidden, vocab): W_hq, or W_e.T when tied."""
        return self.W_e.T if self.tied else self.W_hq

    def forward(self, X: torch.Tensor, state=None):
        batch, steps = X.shape
        if state is None:
            state = self.begin_state(batch, X.device)
        Y = X.T.reshape(-1)  # layer 0 input: token ids, time-major (steps*batch,)
        new_state = []
        for i, layer in enumerate(self.rnn_layers):
            if i == 0 and self.embedding_size:  # embed all steps, then one product
                E = self.drop(torch.index_select(self.W_e, 0, Y).view(steps, batch, -1))
                XW = torch.addmm(layer.b, E.reshape(steps * batch, -1), layer.W_x)
            elif i == 0:  # one_hot(X) @ W_x + b is a row gather of (W_x + b); all steps at once
                XW = torch.index_select(layer.W_x + layer.b, 0, Y)      # (steps*batch, g*h)
            else:
                Y = self.drop(Y)                                        # (steps, batch, h)
                XW = torch.addmm(layer.b, Y.reshape(steps * batch, self.hidden), layer.W_x)
            Y, layer_state = layer(XW.view(steps, batch, -1),            # (steps, batch, g*h)
                                   tuple(s[i] for s in state))           # Y (steps, batch, h)
            new_state.append(layer_state)
        state = tuple(torch.stack(s) for s in zip(*new_state, strict=True))  # (layers, B, h)
        logits = torch.addmm(self.b_q, self.drop(Y).reshape(steps * batch, self.hidden),
                             self.output_weight())
        return logits, state  # (steps * batch, vocab)

    @torch.no_grad()
    def load_from_torch(self, torch_model: nn.Module) -> ScratchRNNModel:
        """Copy a torch-backed model's weights so this model computes the same function.

        Weight matrices are transposed (gate blocks reordered for lstm); where torch has
        b_ih + b_hh the scratch bias is their sum; the embedding is copied as it is. A textbook
        GRU (reset_after=False) is not torch.nn.GRU, so it raises ValueError.
        """
        if getattr(torch_model, "impl", None) != "torch":
            raise ValueError(f"expected a torch-backed model (impl 'torch'), "
                             f"got {type(torch_model).__name__}")
        for name in ("cell", "layers", "hidden", "vocab_size", "embedding_size", "tied"):
            mine, theirs = getattr(self, name), getattr(torch_model, name)
            if mine != theirs:
                raise ValueError(f"{name} mismatch: scratch model has {mine!r}, "
                                 f"torch model has {theirs!r}")
        if self.cell == "gru" and not self.options["reset_after"]:
            raise ValueError("cannot load torch.nn.GRU weights into a textbook GRU: only "
                             "reset_after=True matches torch.nn.GRU")
        h, order = self.hidden, TORCH_GATE[self.cell]

        def gates(t):  # reorder torch's gate blocks (rows) into the scratch order
            return torch.cat([t[k * h:(k + 1) * h] for k in order])

        for i, layer in enumerate(self.rnn_layers):
            W_ih, W_hh, b_ih, b_hh = torch_model.layer_params(i)
            layer.W_x.copy_(gates(W_ih).T)
            layer.W_h.copy_(gates(W_hh).T)
            if self.cell == "gru":  # r, z: summed biases; candidate: b_ih here, b_hh apart
                layer.b.copy_(torch.cat([b_ih[:2 * h] + b_hh[:2 * h], b_ih[2 * h:]]))
                layer.b_hh.copy_(b_hh[2 * h:])
            else:
                layer.b.copy_(gates(b_ih + b_hh))
        if self.embedding_size:
            self.W_e.copy_(torch_model.embedding.weight)
        if not self.tied:
            self.W_hq.copy_(torch_model.linear.weight.T)
        self.b_q.copy_(torch_model.linear.bias)
        return self
