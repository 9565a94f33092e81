"""Text generation from a trained language model (Dive into Deep Learning, sections 8.5 and 9.8).

All strategies warm the state up on the prefix the same way, then:

- ``greedy`` takes the argmax at every step: the textbook's ``predict_ch8``;
- ``sample`` draws from ``softmax(logits / temperature)``, optionally only among the top k;
- ``beam_search`` keeps the ``beam_size`` most likely sequences and ranks the final candidates
  by the length-normalised score ``log P / L**alpha`` of section 9.8.

``generate`` runs one of them on a checkpoint written by ``rnnlab train``.
"""

from __future__ import annotations

import contextlib
import math
import operator
from collections.abc import Callable, Iterator
from pathlib import Path

import torch
from torch import nn

from rnnlab.checkpoint import load_checkpoint, model_from_checkpoint
from rnnlab.data import TOKEN_KINDS, Vocab
from rnnlab.errors import CheckpointError, GenerationError

STRATEGIES = ("greedy", "sample", "beam")
DEVICES = ("cpu", "cuda")
EOS = "<eos>"
SEED_MAX = 2**63 - 1  # as training.seed in the config schema; torch refuses seeds >= 2**64
# Bounds of generate()'s options: beyond them a run takes hours or a score overflows.
NUM_PREDS_MAX = 100_000
BEAM_SIZE_MAX = 1000
ALPHA_MAX = 10.0  # L**alpha overflows a float past about L**300; the textbook uses 0.75


# ---------------------------------------------------------------------------------------------
# argument checks


def _check_int(name: str, value, minimum: int, maximum: int | None = None) -> int:
    """``value`` as an int >= ``minimum`` (and <= ``maximum``); anything else is a
    GenerationError naming it."""
    try:
        if isinstance(value, bool):
            raise TypeError
        value = operator.index(value)
    except TypeError:
        raise GenerationError(f"{name} must be an integer >= {minimum}, got {value!r}") from None
    if value < minimum:
        raise GenerationError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        digits = str(value)
        shown = digits if len(digits) <= 20 else f"a number of {len(digits)} digits"
        raise GenerationError(f"{name} must be at most {maximum}, got {shown}")
    return value


def _check_real(name: str, value, positive: bool = False) -> float:
    """``value`` as a float that is finite (or, with ``positive``, > 0; inf allowed)."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if ok:
        ok = value > 0 if positive else math.isfinite(value)
    if not ok:
        need = "a number > 0" if positive else "a finite number"
        raise GenerationError(f"{name} must be {need}, got {value!r}")
    return float(value)


def _prefix_tokens(prefix: str, token: str) -> list[str]:
    """The prefix as tokens: characters, or whitespace-separated words; at least one."""
    if token not in TOKEN_KINDS:
        raise GenerationError(f"unknown token kind {token!r} (expected one of "
                              f"{', '.join(TOKEN_KINDS)})")
    if not isinstance(prefix, str):
        raise GenerationError(f"the prefix must be a string, got {prefix!r}")
    tokens = list(prefix) if token == "char" else prefix.split()
    if not tokens:
        raise GenerationError(f"the prefix must hold at least one {token}, got {prefix!r}")
    return tokens


def _join(prefix: str, tokens: list[str], token: str) -> str:
    """The prefix as given, then the generated tokens (words: all joined by single spaces)."""
    if token == "char":
        return prefix + "".join(tokens)
    return " ".join([*prefix.split(), *tokens])


def _resolve_device(device: str | torch.device) -> torch.device:
    """``auto`` (cuda when there is one), ``cpu``, ``cuda`` or ``cuda:N``; else GenerationError."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        resolved = None
    if resolved is None or resolved.type not in DEVICES:
        raise GenerationError(f"unknown device {device!r} (expected auto, cpu, cuda or cuda:N)")
    if resolved.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0 or (resolved.index or 0) >= count:
            raise GenerationError(f"device {device!r} is not available "
                                  f"({count} CUDA device(s) found)")
    return resolved


def _model_device(model: nn.Module, device) -> torch.device:
    """``device`` if given, else where the model's parameters live (CPU without parameters)."""
    if device is not None:
        return _resolve_device(device)
    param = next(model.parameters(), None)
    return param.device if param is not None else torch.device("cpu")


# ---------------------------------------------------------------------------------------------
# decoding: inference mode, warm-up on the prefix, the token-by-token loop


@contextlib.contextmanager
def _inference(model: nn.Module) -> Iterator[None]:
    """Eval mode and no autograd for the duration; the model's previous mode comes back after
    (the training job calls ``greedy`` mid-run).

    oneDNN (mkldnn) is off meanwhile: on the CPU its nn.LSTM costs milliseconds per call, far
    more than the one-token steps of decoding compute; the native kernels are ~10-100x faster.
    """
    was_training, mkldnn = model.training, torch.backends.mkldnn.enabled
    model.eval()
    torch.backends.mkldnn.enabled = False
    try:
        with torch.no_grad():
            yield
    finally:
        torch.backends.mkldnn.enabled = mkldnn
        model.train(was_training)


def _warm_up(model: nn.Module, ids: list[int], device: torch.device):
    """Run the prefix through the model with batch 1, from the zero state.

    All tokens but the last go through one forward call, which is the same recurrence as
    feeding them one by one. Returns the state and the last prefix token ``(1, 1)``: the first
    prediction step feeds it.
    """
    X = torch.tensor([ids], dtype=torch.long, device=device)  # (1, len(prefix))
    state = model.begin_state(1, device)
    if X.shape[1] > 1:
        _, state = model(X[:, :-1], state)
    return state, X[:, -1:]


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
    tokens = _prefix_tokens(prefix, token)
    num_preds = _check_int("num_preds", num_preds, 0)
    device = _model_device(model, device)
    with _inference(model):
        state, last = _warm_up(model, vocab[tokens], device)
        ids = _decode(model, state, last, num_preds, choose)
    return _join(prefix, vocab.to_tokens(ids), token)


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


# ---------------------------------------------------------------------------------------------
# public strategies


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
    temperature = _check_real("temperature", temperature, positive=True)
    if top_k is not None:
        top_k = _check_int("top_k", top_k, 1)
    choose = _sampler(temperature, top_k, generator)
    return _run_decoder(model, vocab, prefix, num_preds, device, token, choose)


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
    tokens = _prefix_tokens(prefix, token)
    num_preds = _check_int("num_preds", num_preds, 0)
    beam_size = _check_int("beam_size", beam_size, 1)
    alpha = _check_real("alpha", alpha)
    device = _model_device(model, device)
    eos = vocab.token_to_idx.get(EOS)
    with _inference(model):
        state, last = _warm_up(model, vocab[tokens], device)
        candidates = _beam_decode(model, state, last, num_preds, beam_size, eos)
    results = []
    for ids, log_p in candidates:
        words = vocab.to_tokens(ids[:-1] if ids and ids[-1] == eos else ids)
        results.append((_join(prefix, words, token), _score(log_p, len(ids), alpha)))
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


# ---------------------------------------------------------------------------------------------
# from a checkpoint


def _rebuild(payload: dict, device: torch.device, path) -> tuple[nn.Module, Vocab, str]:
    """The model (on ``device``), vocabulary and token kind of a loaded checkpoint."""
    try:
        model, vocab = model_from_checkpoint(payload, device)
    except (KeyError, TypeError, ValueError, RuntimeError) as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CheckpointError(f"{str(path)!r}: cannot rebuild its model: {reason}") from None
    token = payload.get("token", "char")
    if token not in TOKEN_KINDS:
        raise CheckpointError(f"{str(path)!r} has an unknown token kind {token!r}")
    if getattr(model, "vocab_size", len(vocab)) != len(vocab):
        raise CheckpointError(f"{str(path)!r}: the model has {model.vocab_size} outputs but the "
                              f"vocabulary {len(vocab)} tokens")
    return model, vocab, token


def generate(checkpoint: str | Path, prefix: str, num_preds: int = 50, strategy: str = "greedy",
             temperature: float = 1.0, top_k: int | None = None, beam_size: int = 4,
             alpha: float = 0.75, num_best: int = 1, seed: int | None = None,
             device: str = "cpu") -> list[tuple[str, float | None]]:
    """Continue ``prefix`` with the model of a checkpoint written by ``rnnlab train``.

    The checkpoint loads on the CPU and the model is rebuilt on ``device`` (``auto``: CUDA when
    there is one). ``greedy`` and ``sample`` (``seed`` makes it reproducible) give one
    ``(text, None)``; ``beam`` gives the ``num_best`` best ``(text, score)``. Every option is
    checked before the checkpoint is read, whatever the strategy.
    """
    if strategy not in STRATEGIES:
        raise GenerationError(f"unknown strategy {strategy!r} (expected one of "
                              f"{', '.join(STRATEGIES)})")
    num_preds = _check_int("num_preds", num_preds, 0, NUM_PREDS_MAX)
    temperature = _check_real("temperature", temperature, positive=True)
    if top_k is not None:
        top_k = _check_int("top_k", top_k, 1)
    beam_size = _check_int("beam_size", beam_size, 1, BEAM_SIZE_MAX)
    alpha = _check_real("alpha", alpha)
    if not 0 <= alpha <= ALPHA_MAX:
        raise GenerationError(f"alpha must be between 0 and {ALPHA_MAX:g}, got {alpha:g}")
    num_best = _check_int("num_best", num_best, 1)
    if seed is not None:
        seed = _check_int("seed", seed, 0)
        if seed > SEED_MAX:
            raise GenerationError(f"seed must be at most {SEED_MAX} (2**63 - 1), got {seed}")
    _prefix_tokens(prefix, "char")  # an empty prefix is empty for every token kind
    device = _resolve_device(device)

    payload = load_checkpoint(checkpoint, map_location="cpu")
    model, vocab, token = _rebuild(payload, device, checkpoint)
    if strategy == "greedy":
        return [(greedy(model, vocab, prefix, num_preds, device, token), None)]
    if strategy == "sample":
        generator = None if seed is None else torch.Generator().manual_seed(seed)
        text = sample(model, vocab, prefix, num_preds, temperature, top_k, generator, device,
                      token)
        return [(text, None)]
    results = beam_search(model, vocab, prefix, num_preds, beam_size, alpha, device, token)
    return results[:num_best]
