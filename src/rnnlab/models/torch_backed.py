"""The torch-backed models (``impl="torch"``): the textbook's ``RNNModel``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from rnnlab.models.base import EMBEDDING_INIT, RNNModelBase

_TORCH_CLASS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


class TorchRNNModel(RNNModelBase):
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
