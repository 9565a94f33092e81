"""Helpers for the tests of rnnlab.generate: a small text's vocabularies, models with random
weights, a table-driven model whose probabilities are known, and log-probabilities computed one
token at a time."""

import torch
from torch import nn

from rnnlab.data import Vocab
from rnnlab.models import build_model

TEXT = "the time traveller for so it will be convenient to speak of him was expounding"
CHAR_VOCAB = Vocab(list(TEXT))
WORD_VOCAB = Vocab(TEXT.split())
PREFIX = "time tr"


def random_model(cell="gru", impl="torch", vocab=CHAR_VOCAB, seed=0, **options):
    """A model with weights N(0, 0.5²): untrained, but with clear-cut next-token preferences."""
    torch.manual_seed(seed)
    model = build_model(cell, impl, len(vocab), 16, **options)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for param in model.parameters():
            param.copy_(torch.randn(param.shape, generator=generator) * 0.5)
    return model


class TableModel(nn.Module):
    """A tiny language model with the rnnlab interface whose next-token logits are an arbitrary
    table indexed by the whole history: the state ``(1, batch, 1)`` holds the tokens fed so far
    as base-(V+1) digits (taken modulo the table's length, so a one-row table is constant)."""

    def __init__(self, table: torch.Tensor):
        super().__init__()
        self.vocab_size = table.shape[1]
        self.register_buffer("table", table)  # (codes, vocab)

    def begin_state(self, batch_size, device=None):
        return (torch.zeros(1, batch_size, 1, dtype=torch.float64, device=device),)

    def forward(self, X, state):
        code = state[0][0, :, 0].long()  # (batch,)
        logits = []
        for x in X.T:  # x (batch,)
            code = (code * (self.vocab_size + 1) + x + 1) % len(self.table)
            logits.append(self.table[code])  # (batch, vocab)
        return torch.cat(logits), (code.double()[None, :, None],)  # (steps*batch, vocab)


def table_code(ids, vocab_size):
    """The table row a history of token ids reads (as in TableModel.forward)."""
    code = 0
    for i in ids:
        code = code * (vocab_size + 1) + i + 1
    return code


def log_prob(model, prefix_ids, ids):
    """log P(ids | prefix) under the model, feeding one token at a time."""
    state, total = model.begin_state(1), 0.0
    to_feed = list(prefix_ids)  # the whole prefix first, then each chosen token
    with torch.no_grad():
        for i in ids:
            for x in to_feed:
                logits, state = model(torch.tensor([[x]]), state)
            total += float(torch.log_softmax(logits[0].double(), dim=0)[i])
            to_feed = [i]
    return total


def seeded(seed):
    """A CPU random generator seeded with ``seed``."""
    return torch.Generator().manual_seed(seed)
