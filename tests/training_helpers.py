"""Helpers for the tests of rnnlab.training: settings, a job in a subprocess, and comparing two
output folders."""

import csv
import json
import signal
import subprocess
import sys
import time

import torch
from helpers import rnnlab, tiny_config

from rnnlab.checkpoint import load_checkpoint
from rnnlab.config import resolve_variant, validate_config
from rnnlab.training import Settings
from rnnlab.training.resume import RESUME_FILE

TIMING_KEYS = ("seconds", "train_seconds", "tokens_per_second", "train_started", "train_ended")


def settings_for(variant="gru", overrides=None, **training) -> Settings:
    """The Settings of a variant of the tiny config, ``training`` overriding its defaults."""
    config = validate_config(tiny_config(**training))
    return Settings.from_dict(resolve_variant(config, variant, overrides))


def without_timing(metrics):
    """Metrics with the wall-clock fields removed (they differ between any two runs), and the
    checkout's state (an edit between two runs changes git_dirty, not what they computed)."""
    clean = {k: v for k, v in metrics.items()
             if k not in (*TIMING_KEYS, "git_commit", "git_dirty")}
    clean["history"] = [{k: v for k, v in row.items() if k not in TIMING_KEYS}
                        for row in metrics["history"]]
    return clean


def run_train(config_path, data, out, *extra, **kwargs):
    return rnnlab("train", "--config", config_path, "--variant", "gru", "--data", data,
                  "--out", out, "--quiet", *extra, **kwargs)


def kill_once_resumable(config_path, data, out) -> None:
    """Train variant gru in a subprocess and SIGKILL it as soon as resume.pt exists."""
    proc = start_training(config_path, data, out, "--quiet")
    deadline = time.time() + 60
    while not (out / RESUME_FILE).exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"


def history_rows(path):
    """history.csv as a list of dicts, without its wall-clock columns."""
    with open(path, newline="", encoding="utf-8") as file:
        return [{k: v for k, v in row.items() if k not in TIMING_KEYS}
                for row in csv.DictReader(file)]


def assert_same_outputs(first, second):
    """Two output folders hold the same metrics (but wall-clock), history.csv, checkpoint.pt and
    best.pt weights."""
    metrics = [json.loads((folder / "metrics.json").read_text()) for folder in (first, second)]
    assert without_timing(metrics[0]) == without_timing(metrics[1])
    assert history_rows(first / "history.csv") == history_rows(second / "history.csv")
    epochs = [row["epoch"] for row in history_rows(first / "history.csv")]
    assert epochs == [str(n) for n in range(1, metrics[0]["stopped_epoch"] + 1)]
    for name in ("checkpoint.pt", "best.pt"):
        a, b = (load_checkpoint(folder / name) for folder in (first, second))
        assert a["epoch"] == b["epoch"]
        assert a["model_state"].keys() == b["model_state"].keys()
        assert all(torch.equal(a["model_state"][k], b["model_state"][k])
                   for k in a["model_state"])


def start_training(config_path, data, out, *extra):
    """A training job in its own process, its stderr captured."""
    return subprocess.Popen([sys.executable, "-m", "rnnlab.cli", "train", "--config",
                             config_path, "--variant", "gru", "--data", data, "--out", out,
                             *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_rows(out, rows, proc):
    """Wait until history.csv holds ``rows`` epochs (the job still running)."""
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if (out / "history.csv").exists() and \
                (out / "history.csv").read_text().count("\n") > rows:
            return
        time.sleep(0.01)
    raise AssertionError(f"the job ended or stalled before {rows} epochs: "
                         f"{proc.communicate()[1]}")


def annealing_config(**training):
    """A gru whose lr of 4 overshoots on the tiny corpus, so held-out perplexity stalls early
    (at epoch 4 with seed 0) and annealing acts."""
    config = tiny_config(eval_every=1, batch_size=16, anneal=2, **training)
    config["variants"]["gru"]["lr"] = 4
    return config
