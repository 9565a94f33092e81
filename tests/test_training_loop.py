"""Tests of rnnlab.training.loop: the epochs of train(), divergence, annealing, a CUDA graph."""

import json

import pytest
import torch
from helpers import rnnlab, tiny_config, write_config
from training_helpers import (
    annealing_config,
    run_train,
    settings_for,
    without_timing,
)

from rnnlab.config import resolve_variant, validate_config
from rnnlab.training import train


@pytest.mark.parametrize("variant", ["rnn", "gru", "lstm"])
def test_perplexity_falls(variant, tiny_data, tmp_path):
    """A few epochs on a small corpus lower training perplexity, for each cell."""
    metrics = train(settings_for(variant, epochs=4), tiny_data, tmp_path, progress=False)
    ppl = [row["train_perplexity"] for row in metrics["history"]]
    assert ppl[-1] < ppl[0] < 28


def test_held_out_gap_shows_memorisation(tiny_data, tmp_path):
    """Training far past the data shows train perplexity well below held-out perplexity."""
    metrics = train(settings_for("gru", epochs=12, eval_every=5), tiny_data, tmp_path,
                    progress=False)
    assert metrics["train_perplexity"] < metrics["val_perplexity"]
    assert [r["epoch"] for r in metrics["history"] if "val_perplexity" in r] == [5, 10, 12]


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


def test_summary_line_in_textbook_style(tiny_data, tmp_path):
    """The command ends with 'perplexity X, Y tokens/sec on cpu' on stdout."""
    config_path = write_config(tmp_path / "config.yaml", tiny_config(epochs=1))
    result = run_train(config_path, tiny_data, tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("perplexity ") and result.stdout.rstrip().endswith("on cpu")


@pytest.mark.parametrize("lr", [1e38, 1e6])
def test_divergence_stops_with_clear_error(lr, tiny_data, tmp_path):
    """An absurd lr (a non-finite loss, or one stuck far above the uniform model's) stops the
    job naming the variant and epoch, exiting 1."""
    config = tiny_config(epochs=3, checkpoint_every=1)
    config["variants"]["gru"]["lr"] = lr
    config_path = write_config(tmp_path / "config.yaml", config)
    result = run_train(config_path, tiny_data, tmp_path / "out")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "'gru' diverged at epoch" in lines[0]
    assert not (tmp_path / "out" / "metrics.json").exists()


def test_anneal_divides_lr_when_held_out_perplexity_stalls(tiny_data, tmp_path):
    """With anneal F, the lr of the next epoch is divided by F exactly after each evaluation
    without a new best held-out perplexity; the lr in use is in every history row."""
    config = annealing_config(epochs=8)
    metrics = train(resolve_variant(validate_config(config), "gru"), tiny_data, tmp_path,
                    progress=False)
    history, best, lr = metrics["history"], None, 4
    for row in history:
        assert row["lr"] == lr
        if best is None or row["val_perplexity"] < best:
            best = row["val_perplexity"]
        else:
            lr /= 2
    assert lr < 4, "held-out perplexity never stalled, so annealing was not exercised"
    plain = train(settings_for("gru", epochs=2), tiny_data, tmp_path / "plain", progress=False)
    assert [row["lr"] for row in plain["history"]] == [1, 1]  # anneal off: lr stays


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("variant,sampling", [("rnn", "sequential"), ("gru", "sequential"),
                                              ("lstm", "sequential"), ("lstm", "fixed")])
def test_cuda_graph_matches_eager(variant, sampling, tiny_data, tmp_path):
    """On CUDA, the graph-captured step gives the eager path's history within tolerance (with
    fixed sampling too, whose last, shorter window the graph step runs eagerly)."""
    eager = train(settings_for(variant, epochs=3, device="cuda", cuda_graph=False,
                               sampling=sampling), tiny_data, tmp_path / "eager", progress=False)
    graph = train(settings_for(variant, epochs=3, device="cuda", cuda_graph=True,
                               sampling=sampling), tiny_data, tmp_path / "graph", progress=False)
    assert graph["cuda_graph_used"] and not eager["cuda_graph_used"]
    for a, b in zip(eager["history"], graph["history"], strict=True):
        assert b["train_perplexity"] == pytest.approx(a["train_perplexity"], rel=1e-4)
        assert b["val_perplexity"] == pytest.approx(a["val_perplexity"], rel=1e-4)


def test_rnnlab_train_runs_a_generated_variant_by_name(tiny_data, tmp_path):
    """`rnnlab train --config FILE --variant <base>--seed-3` trains the sweep's variant."""
    config = tiny_config(epochs=1)
    config["sweeps"] = {"seeds": {"base": ["gru"], "grid": {"seed": [3]}}}
    config_path = write_config(tmp_path / "config.yaml", config)
    result = rnnlab("train", "--config", config_path, "--variant", "gru--seed-3", "--data",
                    tiny_data, "--out", tmp_path / "out", "--quiet")
    assert result.returncode == 0, result.stderr
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert (metrics["variant"], metrics["seed"], metrics["hidden"]) == ("gru--seed-3", 3, 16)
