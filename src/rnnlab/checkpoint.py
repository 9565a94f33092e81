"""Checkpoints: plain dicts of tensors and Python values that ``torch.load(...,
weights_only=True)`` reads. A whole module is never pickled; the model is rebuilt from its
arguments and then loads its state."""

from __future__ import annotations

import io
from pathlib import Path

import torch

from rnnlab.errors import CheckpointError
from rnnlab.fileio import atomic_write_bytes

FORMAT = "rnnlab-checkpoint"
VERSION = 1


def rng_states(generator: torch.Generator) -> dict:
    """Every random state training needs to continue: torch's CPU and CUDA generators and the
    minibatch generator."""
    states = {"torch": torch.get_rng_state(), "data": generator.get_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def restore_rng_states(states: dict, generator: torch.Generator) -> None:
    torch.set_rng_state(states["torch"])
    generator.set_state(states["data"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


def save_checkpoint(path: str | Path, **payload) -> Path:
    """Write a checkpoint atomically (temporary name, then rename).

    Expected keys: ``model_state``, ``optimizer_state``, ``model_args``, ``vocab`` (the
    vocabulary's dict), ``token``, ``epoch``, ``rng_state``, ``best_val_perplexity``,
    ``settings`` (the resolved variant settings) and ``history``.
    """
    payload = {"format": FORMAT, "version": VERSION, **payload}
    # Serialised in memory first: torch.save writing to a full disk fails with a cryptic
    # RuntimeError ("unexpected pos"), a plain write with OSError "No space left on device".
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return atomic_write_bytes(path, buffer.getvalue())


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu",
                    resume: bool = False) -> dict:
    """Read a checkpoint safely; tensors land on ``map_location`` (CPU by default, so a
    checkpoint trained on a GPU loads anywhere).

    Its structure is checked (CheckpointError naming the file and the key): the model's keys
    always, and with ``resume`` also the training state that resuming restores. Every key
    present must have its type.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {str(path)!r}")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # torch raises many kinds for a damaged file
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CheckpointError(f"{str(path)!r} is corrupt or not a checkpoint: {reason}") \
            from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{str(path)!r} is not an rnnlab checkpoint")
    if payload.get("version") != VERSION:
        raise CheckpointError(f"{str(path)!r} has checkpoint version {payload.get('version')!r};"
                              f" this rnnlab reads version {VERSION}")
    _check_structure(payload, path, resume)
    return payload


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_tensor_dict(value) -> bool:
    return isinstance(value, dict) and all(
        isinstance(key, str) and isinstance(tensor, torch.Tensor)
        for key, tensor in value.items())


def _is_model_args(value) -> bool:
    return isinstance(value, dict) and all(isinstance(value.get(key), str)
                                           for key in ("cell", "impl")) \
        and all(_is_int(value.get(key)) for key in ("vocab_size", "hidden", "layers"))


def _is_vocab(value) -> bool:
    tokens = value.get("idx_to_token") if isinstance(value, dict) else None
    return isinstance(tokens, list) and all(isinstance(tok, str) for tok in tokens)


def _is_rng_state(value) -> bool:
    return isinstance(value, dict) \
        and all(isinstance(value.get(key), torch.Tensor) for key in ("torch", "data")) \
        and ("cuda" not in value or isinstance(value["cuda"], list))


# What the readers of a checkpoint take from it: key -> (check, what it must be). Every reader
# (generate, export, init_from) needs the model; resuming needs the training state too.
# Keys not listed here (added by later versions of train) pass unchecked.
_MODEL = {
    "model_state": (_is_tensor_dict, "a dict of tensors"),
    "model_args": (_is_model_args, "a dict with cell, impl, vocab_size, hidden and layers"),
    "vocab": (_is_vocab, "a dict whose idx_to_token is a list of strings"),
}
_TRAINING_STATE = {
    "optimizer_state": (lambda v: isinstance(v, dict), "a dict"),
    "epoch": (lambda v: _is_int(v) and v >= 0, "an integer >= 0"),
    "rng_state": (_is_rng_state, "a dict with the tensors torch and data"),
    "best_val_perplexity": (lambda v: v is None or _is_number(v), "a number or null"),
    "settings": (lambda v: isinstance(v, dict), "a dict"),
    "history": (lambda v: isinstance(v, list) and all(isinstance(row, dict) for row in v),
                "a list of dicts"),
    "train_seconds": (_is_number, "a number"),
}
_OTHER = {"token": (lambda v: isinstance(v, str), "a string")}


def _check_structure(payload: dict, path: Path, resume: bool) -> None:
    """Refuse a checkpoint whose needed keys are missing or whose keys have the wrong type."""
    needed = {**_MODEL, **(_TRAINING_STATE if resume else {})}
    missing = [key for key in needed if key not in payload]
    if missing:
        what = "a resumable" if resume else "an rnnlab"
        raise CheckpointError(f"{str(path)!r} is not {what} checkpoint: key {missing[0]!r} "
                              "is missing")
    for key, (check, meaning) in {**_MODEL, **_TRAINING_STATE, **_OTHER}.items():
        if key in payload and not check(payload[key]):
            raise CheckpointError(f"{str(path)!r} is damaged: key {key!r} must be {meaning}, "
                                  f"got {type(payload[key]).__name__}")


def model_from_checkpoint(payload: dict, device: str | torch.device = "cpu"):
    """Rebuild the model of a checkpoint on ``device`` in eval mode, and its vocabulary."""
    from rnnlab.data import Vocab
    from rnnlab.models import build_model

    model = build_model(**payload["model_args"])
    model.load_state_dict(payload["model_state"])
    return model.to(device).eval(), Vocab.from_dict(payload["vocab"])
