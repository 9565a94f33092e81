"""Tests of rnnlab.checkpoint: safe loading, and the structure a checkpoint must have."""

import pytest
import torch

from rnnlab.checkpoint import load_checkpoint, rng_states, save_checkpoint
from rnnlab.data import Vocab
from rnnlab.errors import CheckpointError
from rnnlab.models import build_model


def complete_payload() -> dict:
    """Everything rnnlab train writes into a checkpoint, for a tiny GRU."""
    vocab = Vocab(list("time traveller"))
    model = build_model("gru", "torch", len(vocab), 4)
    return {"model_state": model.state_dict(), "optimizer_state": {},
            "model_args": model.model_args(), "vocab": vocab.to_dict(), "token": "char",
            "epoch": 2, "rng_state": rng_states(torch.Generator()),
            "best_val_perplexity": 3.5, "settings": {"variant": "gru"}, "history": [],
            "train_seconds": 1.5}


def test_a_complete_checkpoint_round_trips(tmp_path):
    """What save_checkpoint writes, load_checkpoint reads back with weights_only."""
    payload = complete_payload()
    loaded = load_checkpoint(save_checkpoint(tmp_path / "c.pt", **payload))
    assert loaded["epoch"] == 2 and loaded["vocab"] == payload["vocab"]
    assert torch.equal(loaded["rng_state"]["data"], payload["rng_state"]["data"])


@pytest.mark.parametrize("key", ["model_state", "model_args", "vocab"])
def test_a_missing_model_key_is_named(tmp_path, key):
    """A checkpoint without a key of its model is a CheckpointError naming the file and key."""
    payload = complete_payload()
    del payload[key]
    path = save_checkpoint(tmp_path / "c.pt", **payload)
    with pytest.raises(CheckpointError, match=f"c.pt' is not an rnnlab checkpoint: "
                                              f"key '{key}' is missing"):
        load_checkpoint(path)


@pytest.mark.parametrize("key", ["rng_state", "optimizer_state", "epoch", "settings",
                                 "best_val_perplexity", "history", "train_seconds"])
def test_a_missing_training_key_is_named_when_resuming(tmp_path, key):
    """Resuming needs the training state: without one of its keys the checkpoint is refused
    naming the key, though generating from it (which needs only the model) still works."""
    payload = complete_payload()
    del payload[key]
    path = save_checkpoint(tmp_path / "c.pt", **payload)
    with pytest.raises(CheckpointError, match=f"c.pt' is not a resumable checkpoint: "
                                              f"key '{key}' is missing"):
        load_checkpoint(path, resume=True)
    assert load_checkpoint(path)["vocab"] == payload["vocab"]


def test_a_resume_checkpoint_without_its_rng_state_is_ignored_with_a_note(tiny_data, tmp_path,
                                                                          capsys):
    """train resumes nothing from a resume.pt that misses rng_state: it says so and trains
    from the start, ending like a fresh run."""
    from helpers import tiny_config

    from rnnlab.config import resolve_variant, validate_config
    from rnnlab.training import train
    from rnnlab.training.resume import RESUME_FILE

    settings = resolve_variant(validate_config(tiny_config()), "gru", {"epochs": 1})
    fresh = train(settings, tiny_data, tmp_path / "fresh", progress=False)
    payload = complete_payload()
    del payload["rng_state"]
    save_checkpoint(tmp_path / "out" / RESUME_FILE, **{**payload, "settings": settings})
    again = train(settings, tiny_data, tmp_path / "out", progress=False)
    assert "ignoring the resume checkpoint" in capsys.readouterr().err
    assert again["train_perplexity"] == fresh["train_perplexity"]


@pytest.mark.parametrize("key, value", [
    ("rng_state", {"torch": [1, 2]}),
    ("model_state", {"w": [1.0]}),
    ("model_args", {"cell": "gru"}),
    ("vocab", {"idx_to_token": [1, 2]}),
    ("epoch", -1),
    ("epoch", "3"),
    ("best_val_perplexity", "abc"),
    ("settings", []),
    ("token", 1),
    ("history", "none"),
    ("train_seconds", None),
])
def test_a_key_of_the_wrong_type_is_named(tmp_path, key, value):
    """A checkpoint key of the wrong type is a CheckpointError naming the key."""
    payload = complete_payload()
    payload[key] = value
    path = save_checkpoint(tmp_path / "c.pt", **payload)
    with pytest.raises(CheckpointError, match=f"is damaged: key '{key}' must be"):
        load_checkpoint(path)


def test_new_keys_are_welcome(tmp_path):
    """Keys beyond the ones readers need (added by later versions of train) load fine."""
    payload = {**complete_payload(), "data_fingerprint": "abc", "best_epoch": 1}
    assert load_checkpoint(save_checkpoint(tmp_path / "c.pt", **payload))["best_epoch"] == 1
