"""Resuming an interrupted training job: ``resume.pt`` is used only when it was written by a run
of the same settings on the same data; anything else is ignored with a one-line note."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import torch

from rnnlab.checkpoint import load_checkpoint, restore_rng_states
from rnnlab.config import RUN_ONLY_KEYS
from rnnlab.errors import CheckpointError, TrainingError
from rnnlab.training.settings import Settings

# The periodic checkpoint is not a declared output, so Snakemake leaves it in place when a job
# fails or is killed; the next run of the job resumes from it. A finished run deletes it.
RESUME_FILE = "resume.pt"
# Settings that may differ between a run and the run it resumes.
RESUMABLE_CHANGES = ("epochs", *RUN_ONLY_KEYS)


def data_fingerprint(corpus: torch.Tensor, vocab) -> str:
    """SHA-256 of the vocabulary's tokens and every corpus id. Each checkpoint carries it, so a
    resume proves that it continues on the same data (the settings alone do not: the text or
    its preprocessing may have changed under the same config)."""
    digest = hashlib.sha256(json.dumps(vocab.idx_to_token, ensure_ascii=False).encode())
    digest.update(corpus.to(torch.int64).numpy().tobytes())
    return digest.hexdigest()


def try_resume(path: Path, settings: Settings, fingerprint: str, model, optimizer,
               generator) -> dict | None:
    """Load the periodic checkpoint of an interrupted run of the same settings on the same data,
    if any; anything else is ignored with a one-line note."""
    if not path.exists():
        return None
    try:
        payload = load_checkpoint(path, map_location=next(model.parameters()).device,
                                  resume=True)
    except CheckpointError as err:
        print(f"ignoring the resume checkpoint: {err}", file=sys.stderr)
        return None
    saved = {k: v for k, v in payload["settings"].items() if k not in RESUMABLE_CHANGES}
    current = {k: v for k, v in settings.to_dict().items() if k not in RESUMABLE_CHANGES}
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    found = {k: tuple(v.shape) for k, v in payload["model_state"].items()}
    reason = None
    if saved != current:
        changed = sorted(k for k in saved.keys() | current.keys() if saved.get(k) != current.get(k))
        reason = "settings changed: " + ", ".join(changed)
    elif payload.get("data_fingerprint") != fingerprint:
        reason = "it was trained on other data (the vocabulary or the corpus differ)"
    elif found != expected:
        reason = "its weights do not fit this model"
    elif payload["epoch"] > settings.epochs:
        reason = f"it is past the {settings.epochs} epochs asked for"
    if reason:
        print(f"ignoring the resume checkpoint {path} (epoch {payload['epoch']}): {reason}",
              file=sys.stderr)
        return None
    model.load_state_dict(payload["model_state"])
    optimizer.load_state_dict(payload["optimizer_state"])
    restore_rng_states(payload["rng_state"], generator)
    return payload


def init_from(path: str, model, vocab) -> None:
    """Start from the weights of a trained checkpoint (the variant's ``init_from``). Its
    vocabulary and architecture must be this variant's; dropout may differ (it has no weights).
    A run that resumes from resume.pt loads that afterwards instead."""
    try:
        payload = load_checkpoint(path)
    except CheckpointError as err:
        raise TrainingError(f"init_from: {err}") from None
    if payload["vocab"]["idx_to_token"] != vocab.idx_to_token:
        theirs = payload["vocab"]["idx_to_token"]
        raise TrainingError(f"init_from {path!r}: its vocabulary ({len(theirs)} tokens) is not "
                            f"this data's ({len(vocab)} tokens); preprocess the same text alike")
    mine = {k: v for k, v in model.model_args().items() if k != "dropout"}
    theirs = {k: v for k, v in payload["model_args"].items() if k != "dropout"}
    differ = sorted(k for k in mine.keys() | theirs.keys() if mine.get(k) != theirs.get(k))
    if differ:
        raise TrainingError(f"init_from {path!r}: the architecture differs: " + ", ".join(
            f"{k} {theirs.get(k)!r} there, {mine.get(k)!r} here" for k in differ))
    model.load_state_dict(payload["model_state"])
