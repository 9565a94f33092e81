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


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict:
    """Read a checkpoint safely; tensors land on ``map_location`` (CPU by default, so a
    checkpoint trained on a GPU loads anywhere)."""
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
    return payload


def model_from_checkpoint(payload: dict, device: str | torch.device = "cpu"):
    """Rebuild the model of a checkpoint on ``device`` in eval mode, and its vocabulary."""
    from rnnlab.data import Vocab
    from rnnlab.models import build_model

    model = build_model(**payload["model_args"])
    model.load_state_dict(payload["model_state"])
    return model.to(device).eval(), Vocab.from_dict(payload["vocab"])
