"""The models written from the equations (``impl="scratch"``), and the copy of a torch-backed
model's weights into one."""

from __future__ import annotations

import torch
from torch import nn

from rnnlab.cells import scan
from rnnlab.models.base import EMBEDDING_INIT, RNNModelBase

_GATES = {"rnn": 1, "gru": 3, "lstm": 4}
# Scratch gate block k holds torch's gate block TORCH_GATE[cell][k]. Scratch LSTM uses the
# textbook order (input, forget, output, candidate); torch uses (i, f, g=candidate, o).
TORCH_GATE = {"rnn": (0,), "gru": (0, 1, 2), "lstm": (0, 1, 3, 2)}


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


class ScratchRNNModel(RNNModelBase):
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
