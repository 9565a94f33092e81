"""Tests of rnnlab.training.setup: what a job checks and builds before it trains."""

import re

import pytest
import torch
from helpers import rnnlab, tiny_config, write_config
from training_helpers import (
    run_train,
    settings_for,
)

from rnnlab.checkpoint import load_checkpoint
from rnnlab.config import resolve_variant, validate_config
from rnnlab.errors import TrainingError
from rnnlab.preprocess import preprocess
from rnnlab.training import train


@pytest.mark.parametrize("change,args,message", [
    (None, ("--variant", "nope"), "unknown variant 'nope' (valid: gru, lstm, rnn)"),
    (("training", "batch_size", 1000), (), "needs at least"),
    (("data", "val_tokens", 100000), (), "leaves nothing to train on"),
    (None, ("--epochs", "0"), "epochs"),
    (("variants", "gru", "lr", 0), (), "variants.gru.lr"),
    (None, ("--data", "/nonexistent/data"), "does not exist"),
    (None, ("--device", "tpu"), "device"),
    (("data", "min_freq", 2), (), "preprocessed with min_freq 0, but the config asks for 2"),
    (("data", "train_tokens", 100000), (), "data.train_tokens=100000 is more than the"),
])
def test_bad_input_gives_one_line_and_no_outputs(change, args, message, tiny_data, tmp_path):
    """Bad input exits 1 with one clear line, no traceback and nothing written."""
    config = tiny_config()
    if change:
        *path, value = change
        node = config
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value
    config_path = write_config(tmp_path / "config.yaml", config)
    base = {"--variant": "gru", "--data": str(tiny_data)}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    flat = [item for pair in base.items() for item in pair]
    result = rnnlab("train", "--config", config_path, "--out", tmp_path / "out", "--quiet",
                    *flat)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert message in result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_patience_needs_held_out_text(tiny_data, tmp_path):
    """Early stopping without held-out text is refused before anything is written (the config
    refuses it too; this is the job's own check, for settings given another way)."""
    settings = {**resolve_variant(validate_config(tiny_config(patience=3)), "gru"),
                "val_tokens": 0}
    with pytest.raises(TrainingError, match="data.val_tokens=0 holds out no text"):
        train(settings, tiny_data, tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def init_from_settings(path, variant="gru", **changes):
    config = tiny_config(epochs=1)
    config["variants"][variant].update(init_from=str(path), **changes)
    return resolve_variant(validate_config(config), variant)


def test_init_from_starts_from_the_checkpoint_weights(tiny_data, tmp_path):
    """init_from loads a trained checkpoint's weights: at a negligible lr the run ends where
    that checkpoint was, unlike a fresh run; dropout may differ."""
    train(settings_for("lstm", epochs=1), tiny_data, tmp_path / "first", progress=False)
    start = load_checkpoint(tmp_path / "first" / "checkpoint.pt")["model_state"]
    train(init_from_settings(tmp_path / "first" / "checkpoint.pt", "lstm", lr=1e-9, dropout=0.2),
          tiny_data, tmp_path / "second", progress=False)
    end = load_checkpoint(tmp_path / "second" / "checkpoint.pt")["model_state"]
    for name, tensor in start.items():
        torch.testing.assert_close(end[name], tensor, atol=1e-6, rtol=0)
    train(settings_for("lstm", epochs=1, seed=1), tiny_data, tmp_path / "fresh", progress=False)
    fresh = load_checkpoint(tmp_path / "fresh" / "checkpoint.pt")["model_state"]
    assert not all(torch.allclose(fresh[n], t, atol=1e-3) for n, t in start.items())


@pytest.mark.parametrize("changes, message", [
    ({"hidden": 8}, "the architecture differs: hidden 16 there, 8 here"),
    ({"impl": "scratch", "reset_after": True}, "impl 'torch' there, 'scratch' here"),
    ({"embedding": 16}, "embedding None there, 16 here"),
])
def test_init_from_refuses_another_architecture(changes, message, tiny_data, tmp_path):
    """init_from a checkpoint of another architecture is refused naming what differs."""
    train(settings_for("gru", epochs=1), tiny_data, tmp_path / "first", progress=False)
    with pytest.raises(TrainingError, match=re.escape(message)):
        train(init_from_settings(tmp_path / "first" / "checkpoint.pt", **changes), tiny_data,
              tmp_path / "second", progress=False)


def test_init_from_refuses_another_vocabulary_or_no_checkpoint(tiny_text, tiny_data, tmp_path):
    """init_from a checkpoint trained on other tokens, or a missing file, is a one-line error
    naming init_from."""
    preprocess(tiny_text, "word", tmp_path / "words")
    config = tiny_config(epochs=1)
    config["data"]["token"] = "word"
    train(resolve_variant(validate_config(config), "gru"), tmp_path / "words", tmp_path / "w",
          progress=False)
    with pytest.raises(TrainingError, match=r"init_from .*its vocabulary \(\d+ tokens\) is not "
                       r"this data's \(\d+ tokens\)"):
        train(init_from_settings(tmp_path / "w" / "checkpoint.pt"), tiny_data, tmp_path / "c",
              progress=False)
    config = tiny_config(epochs=1)
    config["variants"]["gru"]["init_from"] = str(tmp_path / "missing.pt")
    config_path = write_config(tmp_path / "config.yaml", config)
    result = run_train(config_path, tiny_data, tmp_path / "out")
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert "init_from: no checkpoint at" in result.stderr
