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


@pytest.mark.parametrize("key", ["rng_state", "model_state", "model_args", "vocab", "epoch",
                                 "optimizer_state", "settings", "best_val_perplexity"])
def test_a_missing_key_is_named(tmp_path, key):
    """A checkpoint without one of its keys is a CheckpointError naming the file and the key."""
    payload = complete_payload()
    del payload[key]
    path = save_checkpoint(tmp_path / "c.pt", **payload)
    with pytest.raises(CheckpointError, match=f"c.pt' is not a complete rnnlab checkpoint: "
                                              f"key '{key}' is missing"):
        load_checkpoint(path)


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
