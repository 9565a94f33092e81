"""Beam search (section 9.8): the ``beam_size`` most likely continuations, ranked by the
length-normalised score ``log P / L**alpha``."""

from __future__ import annotations

import torch
from torch import nn

from rnnlab.data import Vocab
from rnnlab.generate.decoding import inference, warm_up
from rnnlab.generate.options import (
    EOS,
    check_int,
    check_real,
    join_text,
    model_device,
    prefix_tokens,
)


def _score(log_p: float, length: int, alpha: float) -> float:
    """Section 9.8's ranking score ``log P / L**alpha`` (0 for an empty continuation)."""
    return log_p / length**alpha if length else log_p


def beam_search(model: nn.Module, vocab: Vocab, prefix: str, num_preds: int, beam_size: int,
                alpha: float = 0.75, device=None,
                token: str = "char") -> list[tuple[str, float]]:
    """Beam search: at each step keep the ``beam_size`` continuations with the highest total
    log-probability (the beam is the batch dimension of one forward call).

    A continuation that emits ``<eos>`` (when the vocabulary has it) is finished: it stays a
    candidate with its own length and is not extended; ``<eos>`` counts in its length but is
    left out of its text. Returns every final candidate as ``(text, log P / L**alpha)`` with
    L the number of generated tokens, best first.
    """
    tokens = prefix_tokens(prefix, token)
    num_preds = check_int("num_preds", num_preds, 0)
    beam_size = check_int("beam_size", beam_size, 1)
    alpha = check_real("alpha", alpha)
    device = model_device(model, device)
    eos = vocab.token_to_idx.get(EOS)
    with inference(model):
        state, last = warm_up(model, vocab[tokens], device)
        candidates = _beam_decode(model, state, last, num_preds, beam_size, eos)
    results = []
    for ids, log_p in candidates:
        words = vocab.to_tokens(ids[:-1] if ids and ids[-1] == eos else ids)
        results.append((join_text(prefix, words, token), _score(log_p, len(ids), alpha)))
    return sorted(results, key=lambda result: result[1], reverse=True)


def _beam_decode(model: nn.Module, state, last: torch.Tensor, num_preds: int, beam_size: int,
                 eos: int | None) -> list[tuple[list[int], float]]:
    """The beam search loop; returns ``(generated ids, total log P)`` of every candidate:
    the finished ones in the order they finished, then the live ones best first.

    Each step keeps only back-pointers (the token each kept sequence ends with and where its
    parent sits in the step before), so a step costs the same however long the sequences
    are; the sequences are rebuilt once at the end.
    """
    tokens: list[list[int]] = []   # tokens[t][i]: the token of row i of step t
    parents: list[list[int]] = []  # parents[t][i]: the row of step t-1 that row i extends
    rows = [0]  # rows[j]: the row of the last step that live sequence j ends in
    log_p = torch.zeros(1, dtype=torch.float64, device=last.device)  # (beam,)
    ends: list[tuple[int, int, float]] = []  # (step, row, log P) of each finished sequence
    for step in range(num_preds):
        logits, state = model(last, state)  # (beam, vocab)
        vocab_size = logits.shape[1]
        total = log_p[:, None] + torch.log_softmax(logits.double(), dim=1)  # (beam, vocab)
        log_p, flat = total.flatten().topk(min(beam_size, total.numel()))  # (k,), (k,)
        beam, ids = flat // vocab_size, flat % vocab_size  # (k,) each
        tokens.append(ids.tolist())
        parents.append([rows[b] for b in beam.tolist()])
        rows = list(range(len(tokens[-1])))
        if eos is not None:
            done = [token == eos for token in tokens[-1]]
            ends += [(step, row, lp) for row, lp, d in zip(rows, log_p.tolist(), done,
                                                           strict=True) if d]
            live = [row for row, d in zip(rows, done, strict=True) if not d]
            if len(live) < len(done):
                keep = torch.tensor(live, dtype=torch.long, device=flat.device)
                rows = live
                log_p, beam, ids = log_p[keep], beam[keep], ids[keep]
            if not rows:
                break
        state = tuple(s.index_select(1, beam) for s in state)  # (layers, beam, hidden)
        last = ids[:, None]  # (beam, 1)

    def sequence(step: int, row: int) -> list[int]:
        ids = []
        for t in range(step, -1, -1):
            ids.append(tokens[t][row])
            row = parents[t][row]
        return ids[::-1]

    last_step = len(tokens) - 1
    return [(sequence(step, row), lp) for step, row, lp in ends] + \
        [(sequence(last_step, row), lp) for row, lp in zip(rows, log_p.tolist(), strict=True)]
