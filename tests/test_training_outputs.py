"""Tests of rnnlab.training.outputs: metrics.json, checkpoint.pt, best.pt, test perplexity."""

import json
import time
from pathlib import Path

import pytest
import torch
from helpers import rnnlab, tiny_config
from training_helpers import (
    settings_for,
)

from rnnlab.checkpoint import load_checkpoint, model_from_checkpoint
from rnnlab.config import resolve_variant, validate_config
from rnnlab.data import (
    load_data,
    split_corpus,
)
from rnnlab.generate import greedy
from rnnlab.preprocess import preprocess_files
from rnnlab.training import train
from rnnlab.training.epoch import evaluate
from rnnlab.training.resume import RESUME_FILE


def test_metrics_keys_and_types(tiny_data, tmp_path):
    """metrics.json holds the settings as asked, what was used and the results, each with
    its type."""
    before = time.time()
    train(settings_for("rnn", epochs=2), tiny_data, tmp_path, progress=False)
    after = time.time()
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    types = {"variant": str, "cell": str, "impl": str, "layers": int, "hidden": int,
             "lr": (int, float), "epochs": int, "batch_size": int, "num_steps": int,
             "sampling": str, "seed": int, "device": str, "num_params": int,
             "train_perplexity": float, "val_perplexity": float, "best_val_perplexity": float,
             "train_seconds": float, "tokens_per_second": float, "history": list,
             "predictions": dict, "best_epoch": int, "stopped_epoch": int,
             "train_started": float, "train_ended": float}
    for key, kind in types.items():
        assert isinstance(metrics[key], kind), key
    assert metrics["device"] == "cpu" and metrics["device_used"] == "cpu"
    assert metrics["epochs"] == 2 and metrics["cuda_graph_used"] is False
    assert metrics["stopped_epoch"] == 2 and metrics["patience"] == 0
    assert before <= metrics["train_started"] < metrics["train_ended"] <= after
    assert metrics["train_ended"] - metrics["train_started"] >= metrics["train_seconds"]
    assert [row["epoch"] for row in metrics["history"]] == [1, 2]
    assert all(set(row) >= {"epoch", "train_perplexity", "val_perplexity", "seconds"}
               for row in metrics["history"])
    assert metrics["best_val_perplexity"] == min(r["val_perplexity"] for r in metrics["history"])
    tokens = sum(row["tokens"] for row in metrics["history"])
    assert metrics["tokens_per_second"] == pytest.approx(tokens / metrics["train_seconds"])
    prediction = metrics["predictions"]["time traveller"]
    assert prediction.startswith("time traveller") and len(prediction) == 14 + 10
    assert (tmp_path / "curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (tmp_path / RESUME_FILE).exists()  # superseded by the final checkpoint


def test_checkpoint_reloads_with_weights_only(tiny_data, tmp_path):
    """The final checkpoint is a plain dict that rebuilds the trained model."""
    metrics = train(settings_for("lstm", epochs=1), tiny_data, tmp_path, progress=False)
    raw = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert set(raw) >= {"model_state", "optimizer_state", "model_args", "vocab", "epoch",
                        "rng_state", "best_val_perplexity", "settings"}
    payload = load_checkpoint(tmp_path / "checkpoint.pt")
    model, vocab = model_from_checkpoint(payload)
    assert payload["epoch"] == 1 and payload["settings"]["variant"] == "lstm"
    assert greedy(model, vocab, "time traveller", 10) == metrics["predictions"]["time traveller"]


def held_out_ids(settings, data):
    corpus, _, _ = load_data(data)
    return split_corpus(corpus, settings.train_tokens, settings.val_tokens)[1]


def test_best_pt_holds_the_best_epochs_weights(tiny_data, tmp_path):
    """best.pt reloads (weights_only) into the model of best_epoch: its held-out perplexity,
    recomputed, is best_val_perplexity, and patience stops the run after the best."""
    settings = settings_for("gru", epochs=40, eval_every=1, patience=2)
    metrics = train(settings, tiny_data, tmp_path, progress=False)
    held_out = {row["epoch"]: row["val_perplexity"] for row in metrics["history"]}
    assert metrics["best_epoch"] == min(held_out, key=held_out.get)
    assert metrics["best_val_perplexity"] == held_out[metrics["best_epoch"]]
    # patience 2: two evaluations without a new best, then stop, well before 40 epochs
    assert metrics["stopped_epoch"] == metrics["best_epoch"] + 2 < 40
    assert len(metrics["history"]) == metrics["stopped_epoch"]
    raw = torch.load(tmp_path / "best.pt", weights_only=True)
    assert raw["epoch"] == metrics["best_epoch"]
    assert load_checkpoint(tmp_path / "checkpoint.pt")["epoch"] == metrics["stopped_epoch"]
    model, _ = model_from_checkpoint(raw)
    recomputed = evaluate(model, held_out_ids(settings, tiny_data), settings.batch_size,
                          settings.num_steps)
    assert recomputed == pytest.approx(metrics["best_val_perplexity"], rel=1e-6)
    last, _ = model_from_checkpoint(load_checkpoint(tmp_path / "checkpoint.pt"))
    assert evaluate(last, held_out_ids(settings, tiny_data), settings.batch_size,
                    settings.num_steps) > recomputed


def test_generate_reads_best_and_last_checkpoint(tiny_data, tmp_path):
    """rnnlab generate continues a prefix from best.pt and from checkpoint.pt, each with its
    own weights."""
    train(settings_for("gru", epochs=30, eval_every=1, patience=1), tiny_data, tmp_path,
          progress=False)
    for name in ("best.pt", "checkpoint.pt"):
        result = rnnlab("generate", "--checkpoint", tmp_path / name, "--prefix",
                        "time traveller", "--num-preds", "20", check=True)
        model, vocab = model_from_checkpoint(load_checkpoint(tmp_path / name))
        assert result.stdout.rstrip("\n") == greedy(model, vocab, "time traveller", 20)


@pytest.mark.parametrize("impl", ["scratch", "torch"])
def test_embedding_and_tying_reach_the_checkpoint(impl, tiny_data, tmp_path):
    """A variant with a tied embedding trains, and its checkpoint's model arguments rebuild the
    same model for model_from_checkpoint and `rnnlab generate`."""
    config = tiny_config(epochs=1)
    config["variants"]["tied"] = {"cell": "gru", "impl": impl, "hidden": 16, "lr": 1,
                                  "embedding": 16, "tied": True}
    metrics = train(resolve_variant(validate_config(config), "tied"), tiny_data, tmp_path,
                    progress=False)
    payload = load_checkpoint(tmp_path / "checkpoint.pt")
    assert (payload["model_args"]["embedding"], payload["model_args"]["tied"]) == (16, True)
    model, _ = model_from_checkpoint(payload)
    assert (model.embedding_size, model.tied) == (16, True)
    result = rnnlab("generate", "--checkpoint", tmp_path / "checkpoint.pt",
                    "--prefix", "time traveller", "--num-preds", 10)
    assert result.returncode == 0, result.stderr
    assert result.stdout.removesuffix("\n") == metrics["predictions"]["time traveller"]


def test_test_perplexity_is_measured_on_best_weights(tiny_data, tmp_path):
    """With data.test_tokens, metrics.json has test_perplexity: best.pt's weights on the last
    test_tokens of the text, read like the held-out text; training and validation stay clear
    of them."""
    config = tiny_config(epochs=3)
    config["data"]["test_tokens"] = 500
    settings = resolve_variant(validate_config(config), "gru")
    metrics = train(settings, tiny_data, tmp_path, progress=False)
    corpus, _, _ = load_data(tiny_data)
    model, _ = model_from_checkpoint(load_checkpoint(tmp_path / "best.pt"))
    expected = evaluate(model, corpus[-500:], settings["batch_size"], settings["num_steps"])
    assert metrics["test_perplexity"] == pytest.approx(expected, rel=1e-6)
    val_only = evaluate(model, corpus[-1100:-500], settings["batch_size"], settings["num_steps"])
    assert metrics["best_val_perplexity"] == pytest.approx(val_only, rel=1e-6)
    plain = train(settings_for("gru", epochs=1), tiny_data, tmp_path / "plain", progress=False)
    assert "test_perplexity" not in plain and "test_tokens" not in plain


def test_split_files_and_eval_batch_size(tmp_path):
    """On a corpus of three files the valid file is the held-out text and the test file the
    test text, and both are read with eval_batch_size rows (not batch_size)."""
    words = Path(__file__).parent / "data" / "words"
    preprocess_files({s: words / f"{s}.txt" for s in ("train", "valid", "test")}, "whitespace",
                     tmp_path / "data")
    config = tiny_config(epochs=1, eval_batch_size=2)
    config["data"] = {"files": {s: {"url": str(words / f"{s}.txt"), "sha1": "0" * 40}
                                for s in ("train", "valid", "test")}, "token": "whitespace"}
    settings = resolve_variant(validate_config(config), "gru")
    metrics = train(settings, tmp_path / "data", tmp_path / "out", progress=False)
    corpus, _, stats = load_data(tmp_path / "data")
    _, valid, test = corpus.split(list(stats["splits"].values()))
    model, _ = model_from_checkpoint(load_checkpoint(tmp_path / "out" / "best.pt"))
    steps = settings["num_steps"]
    assert metrics["best_val_perplexity"] == pytest.approx(evaluate(model, valid, 2, steps))
    assert metrics["test_perplexity"] == pytest.approx(evaluate(model, test, 2, steps))
    assert metrics["test_perplexity"] != pytest.approx(evaluate(model, test, 4, steps))
