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

``build`` checks the arguments and builds either impl; ``base`` holds what both share,
``scratch`` and ``torch_backed`` the two impls.
"""

from rnnlab.models.base import EMBEDDING_INIT
from rnnlab.models.build import CELLS, IMPLS, build_model, num_params
from rnnlab.models.scratch import TORCH_GATE, ScratchRNNModel
from rnnlab.models.torch_backed import TorchRNNModel

__all__ = ["CELLS", "EMBEDDING_INIT", "IMPLS", "TORCH_GATE", "ScratchRNNModel", "TorchRNNModel",
           "build_model", "num_params"]
