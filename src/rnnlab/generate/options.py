"""The checks of generation's arguments, each a GenerationError naming the bad value; the
prefix as tokens and the text generated from it; the device generation runs on."""

from __future__ import annotations

import math
import operator

import torch
from torch import nn

from rnnlab.data import TOKEN_KINDS
from rnnlab.errors import GenerationError

STRATEGIES = ("greedy", "sample", "beam")
DEVICES = ("cpu", "cuda")
EOS = "<eos>"
SEED_MAX = 2**63 - 1  # as training.seed in the config schema; torch refuses seeds >= 2**64
# Bounds of generate()'s options: beyond them a run takes hours or a score overflows.
NUM_PREDS_MAX = 100_000
BEAM_SIZE_MAX = 1000
ALPHA_MAX = 10.0  # L**alpha overflows a float past about L**300; the textbook uses 0.75


def check_int(name: str, value, minimum: int, maximum: int | None = None) -> int:
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


def check_real(name: str, value, positive: bool = False) -> float:
    """``value`` as a float that is finite (or, with ``positive``, > 0; inf allowed)."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if ok:
        ok = value > 0 if positive else math.isfinite(value)
    if not ok:
        need = "a number > 0" if positive else "a finite number"
        raise GenerationError(f"{name} must be {need}, got {value!r}")
    return float(value)


def prefix_tokens(prefix: str, token: str) -> list[str]:
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


def join_text(prefix: str, tokens: list[str], token: str) -> str:
    """The prefix as given, then the generated tokens (words: all joined by single spaces)."""
    if token == "char":
        return prefix + "".join(tokens)
    return " ".join([*prefix.split(), *tokens])


def resolve_device(device: str | torch.device) -> torch.device:
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


def model_device(model: nn.Module, device) -> torch.device:
    """``device`` if given, else where the model's parameters live (CPU without parameters)."""
    if device is not None:
        return resolve_device(device)
    param = next(model.parameters(), None)
    return param.device if param is not None else torch.device("cpu")
