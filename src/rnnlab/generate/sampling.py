"""Greedy decoding (the textbook's ``predict_ch8``) and sampling: one token at a time, each
chosen from the logits and fed back."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from rnnlab.data import Vocab
from rnnlab.generate.decoding import inference, warm_up
from rnnlab.generate.options import check_int, check_real, join_text, model_device, prefix_tokens


def _decode(model: nn.Module, state, last: torch.Tensor, num_preds: int,
            choose: Callable[[torch.Tensor], int]) -> list[int]:
    """Predict ``num_preds`` tokens one at a time, feeding each prediction back.

    ``last`` is the token to feed first ``(1, 1)``; ``choose`` maps the logits ``(1, vocab)``
    to the next token id.
    """
    ids = []
    for _ in range(num_preds):
        logits, state = model(last, state)  # (1, vocab)
        ids.append(choose(logits))
        last = torch.full((1, 1), ids[-1], dtype=torch.long, device=last.device)
    return ids


def _run_decoder(model: nn.Module, vocab: Vocab, prefix: str, num_preds: int, device,
                 token: str, choose: Callable[[torch.Tensor], int]) -> str:
    """Warm up on ``prefix``, then generate ``num_preds`` tokens picked by ``choose``."""
    tokens = prefix_tokens(prefix, token)
    num_preds = check_int("num_preds", num_preds, 0)
    device = model_device(model, device)
    with inference(model):
        state, last = warm_up(model, vocab[tokens], device)
        ids = _decode(model, state, last, num_preds, choose)
    return join_text(prefix, vocab.to_tokens(ids), token)


def _argmax(logits: torch.Tensor) -> int:
    return int(logits[0].argmax())


def _sampler(temperature: float, top_k: int | None,
             generator: torch.Generator | None) -> Callable[[torch.Tensor], int]:
    """Draw from softmax(logits / temperature), restricted to the ``top_k`` largest logits."""

    def choose(logits: torch.Tensor) -> int:
        logits = logits[0].double()  # (vocab,)
        # Subtracting the max first keeps a tiny temperature from overflowing to inf.
        scaled = (logits - logits.max()) / temperature
        if top_k is not None and top_k < scaled.numel():
            best = scaled.topk(top_k)
            scaled = torch.full_like(scaled, -math.inf).scatter(0, best.indices, best.values)
        probs = torch.softmax(scaled, dim=0)  # (vocab,)
        if generator is not None:  # draw where the generator lives, so a seed means the same
            probs = probs.to(generator.device)
        return int(torch.multinomial(probs, 1, generator=generator))

    return choose


def greedy(model: nn.Module, vocab: Vocab, prefix: str, num_preds: int, device=None,
           token: str = "char") -> str:
    """The textbook's ``predict_ch8``: warm up on ``prefix``, then take the argmax
    ``num_preds`` times, feeding each prediction back.

    Returns the prefix as given followed by the generated tokens (words joined by spaces).
    Tokens outside the vocabulary map to ``<unk>``. ``device`` is where the inputs go (the
    model's by default); the model's training mode is restored afterwards.
    """
    return _run_decoder(model, vocab, prefix, num_preds, device, token, _argmax)


def sample(model: nn.Module, vocab: Vocab, prefix: str, num_preds: int,
           temperature: float = 1.0, top_k: int | None = None,
           generator: torch.Generator | None = None, device=None, token: str = "char") -> str:
    """Like :func:`greedy`, but each token is drawn from ``softmax(logits / temperature)``,
    only among the ``top_k`` most likely tokens when given. A seeded ``generator`` gives the
    same text every time; a temperature near 0 gives the greedy text."""
    temperature = check_real("temperature", temperature, positive=True)
    if top_k is not None:
        top_k = check_int("top_k", top_k, 1)
    choose = _sampler(temperature, top_k, generator)
    return _run_decoder(model, vocab, prefix, num_preds, device, token, choose)
