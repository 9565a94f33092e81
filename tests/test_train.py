"""Tests of rnnlab.train: the loop, held-out perplexity, checkpoints, resume, bad input."""

import json
import signal
import subprocess
import sys
import time

import pytest
import torch
from helpers import rnnlab, tiny_config, write_config

from rnnlab.checkpoint import load_checkpoint, model_from_checkpoint
from rnnlab.config import resolve_variant, validate_config
from rnnlab.data import load_data
from rnnlab.generate import greedy
from rnnlab.models import build_model
from rnnlab.step import SGD, EagerStep
from rnnlab.train import RESUME_FILE, train, train_epoch

TIMING_KEYS = ("seconds", "train_seconds", "tokens_per_second")


def settings_for(variant="gru", overrides=None, **training):
    config = validate_config(tiny_config(**training))
    return resolve_variant(config, variant, overrides)


def without_timing(metrics):
    """Metrics with the wall-clock fields removed (they differ between any two runs)."""
    clean = {k: v for k, v in metrics.items() if k not in TIMING_KEYS}
    clean["history"] = [{k: v for k, v in row.items() if k not in TIMING_KEYS}
                        for row in metrics["history"]]
    return clean


@pytest.mark.parametrize("variant", ["rnn", "gru", "lstm"])
def test_perplexity_falls(variant, tiny_data, tmp_path):
    """A few epochs on a small corpus lower training perplexity, for each cell."""
    metrics = train(settings_for(variant, epochs=4), tiny_data, tmp_path, progress=False)
    ppl = [row["train_perplexity"] for row in metrics["history"]]
    assert ppl[-1] < ppl[0] < 28


def test_metrics_keys_and_types(tiny_data, tmp_path):
    """metrics.json holds every key of DESIGN.md with the right types."""
    train(settings_for("rnn", epochs=2), tiny_data, tmp_path, progress=False)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    types = {"variant": str, "cell": str, "impl": str, "layers": int, "hidden": int,
             "lr": (int, float), "epochs": int, "batch_size": int, "num_steps": int,
             "sampling": str, "seed": int, "device": str, "num_params": int,
             "train_perplexity": float, "val_perplexity": float, "best_val_perplexity": float,
             "train_seconds": float, "tokens_per_second": float, "history": list,
             "predictions": dict}
    for key, kind in types.items():
        assert isinstance(metrics[key], kind), key
    assert metrics["device"] == "cpu" and metrics["epochs"] == 2
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


def test_held_out_gap_shows_memorisation(tiny_data, tmp_path):
    """Training far past the data shows train perplexity well below held-out perplexity."""
    metrics = train(settings_for("gru", epochs=12, eval_every=5), tiny_data, tmp_path,
                    progress=False)
    assert metrics["train_perplexity"] < metrics["val_perplexity"]
    assert [r["epoch"] for r in metrics["history"] if "val_perplexity" in r] == [5, 10, 12]


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


def test_same_seed_same_history(tiny_data, tmp_path):
    """Two runs with the same seed on CPU give the same history."""
    first = train(settings_for("rnn", sampling="random"), tiny_data, tmp_path / "a",
                  progress=False)
    second = train(settings_for("rnn", sampling="random"), tiny_data, tmp_path / "b",
                   progress=False)
    assert without_timing(first) == without_timing(second)
    third = train(settings_for("rnn", sampling="random", seed=1), tiny_data, tmp_path / "c",
                  progress=False)
    assert third["history"] != first["history"]


class RecordingStep(EagerStep):
    """The real eager step, remembering the state each batch starts from and ends with."""

    def __init__(self, *args):
        super().__init__(*args)
        self.seen = []

    def __call__(self, X, Y, state):
        loss, new_state = super().__call__(X, Y, state)
        self.seen.append((state, new_state))
        return loss, new_state


@pytest.mark.parametrize("sampling", ["sequential", "random"])
def test_state_handling_per_sampling(sampling, tiny_data):
    """Sequential sampling carries the detached state; random starts each batch from zero."""
    settings = settings_for("gru", sampling=sampling)
    corpus, vocab, _ = load_data(tiny_data)
    model = build_model("gru", "torch", len(vocab), 16)
    step = RecordingStep(model, SGD(model.parameters(), lr=1), 1.0)
    train_epoch(step, model, corpus, settings, torch.Generator().manual_seed(0))
    assert len(step.seen) > 2
    assert all(not s.requires_grad for _, out in step.seen for s in out)
    for (_, previous_out), (state_in, _) in zip(step.seen, step.seen[1:], strict=False):
        if sampling == "sequential":
            assert state_in[0] is previous_out[0]
        else:
            assert not state_in[0].any()
    assert not step.seen[0][0][0].any()  # every epoch begins from the zero state


def run_train(config_path, data, out, *extra, **kwargs):
    return rnnlab("train", "--config", config_path, "--variant", "gru", "--data", data,
                  "--out", out, "--quiet", *extra, **kwargs)


def test_resume_after_kill_equals_uninterrupted_run(tiny_data, tmp_path):
    """A job killed with SIGKILL resumes from its periodic checkpoint and ends with exactly the
    metrics and history of an uninterrupted run."""
    config = tiny_config(epochs=12, checkpoint_every=4, eval_every=3, batch_size=16)
    config_path = write_config(tmp_path / "config.yaml", config)
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "rnnlab.cli", "train", "--config",
                             config_path, "--variant", "gru", "--data", tiny_data, "--out", out,
                             "--quiet"], stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not (out / RESUME_FILE).exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    assert not (out / "metrics.json").exists()
    resumed = run_train(config_path, tiny_data, out)
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed gru from epoch 4" in resumed.stderr
    assert not (out / RESUME_FILE).exists()
    whole = run_train(config_path, tiny_data, tmp_path / "whole")
    assert whole.returncode == 0, whole.stderr
    first = json.loads((out / "metrics.json").read_text())
    second = json.loads((tmp_path / "whole" / "metrics.json").read_text())
    assert without_timing(first) == without_timing(second)


def test_summary_line_in_textbook_style(tiny_data, tmp_path):
    """The command ends with 'perplexity X, Y tokens/sec on cpu' on stdout."""
    config_path = write_config(tmp_path / "config.yaml", tiny_config(epochs=1))
    result = run_train(config_path, tiny_data, tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("perplexity ") and result.stdout.rstrip().endswith("on cpu")


def test_divergence_stops_with_clear_error(tiny_data, tmp_path):
    """An absurd lr stops the job naming the variant and epoch, keeping the last checkpoint."""
    config = tiny_config(epochs=3, checkpoint_every=1)
    config["variants"]["gru"]["lr"] = 1e38
    config_path = write_config(tmp_path / "config.yaml", config)
    result = run_train(config_path, tiny_data, tmp_path / "out")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "'gru' diverged at epoch" in lines[0]
    assert not (tmp_path / "out" / "metrics.json").exists()


@pytest.mark.parametrize("change,args,message", [
    (None, ("--variant", "nope"), "unknown variant 'nope' (valid: gru, lstm, rnn)"),
    (("training", "batch_size", 1000), (), "needs at least"),
    (("data", "val_tokens", 100000), (), "leaves nothing to train on"),
    (None, ("--epochs", "0"), "epochs"),
    (("variants", "gru", "lr", 0), (), "variants.gru.lr"),
    (None, ("--data", "/nonexistent/data"), "does not exist"),
    (None, ("--device", "tpu"), "device"),
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


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("variant", ["rnn", "gru", "lstm"])
def test_cuda_graph_matches_eager(variant, tiny_data, tmp_path):
    """On CUDA, the graph-captured step gives the eager path's history within tolerance."""
    eager = train(settings_for(variant, epochs=3, device="cuda", cuda_graph=False), tiny_data,
                  tmp_path / "eager", progress=False)
    graph = train(settings_for(variant, epochs=3, device="cuda", cuda_graph=True), tiny_data,
                  tmp_path / "graph", progress=False)
    assert graph["cuda_graph"] and not eager["cuda_graph"]
    for a, b in zip(eager["history"], graph["history"], strict=True):
        assert b["train_perplexity"] == pytest.approx(a["train_perplexity"], rel=1e-4)
        assert b["val_perplexity"] == pytest.approx(a["val_perplexity"], rel=1e-4)


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
