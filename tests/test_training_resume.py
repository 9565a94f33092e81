"""Tests of rnnlab.training.resume and .state: a restarted job continues as if never stopped."""

import json

import pytest
import torch
from helpers import tiny_config, write_config
from training_helpers import (
    annealing_config,
    assert_same_outputs,
    kill_once_resumable,
    run_train,
    settings_for,
    without_timing,
)

from rnnlab.checkpoint import load_checkpoint
from rnnlab.data import (
    load_data,
)
from rnnlab.preprocess import preprocess
from rnnlab.training import train
from rnnlab.training.resume import RESUME_FILE


def test_resume_after_kill_equals_uninterrupted_run(tiny_data, tmp_path):
    """A job killed with SIGKILL resumes from its periodic checkpoint and ends with exactly the
    metrics and history of an uninterrupted run."""
    config = tiny_config(epochs=12, checkpoint_every=4, eval_every=3, batch_size=16)
    config_path = write_config(tmp_path / "config.yaml", config)
    out = tmp_path / "killed"
    kill_once_resumable(config_path, tiny_data, out)
    assert not (out / "metrics.json").exists()
    resumed = run_train(config_path, tiny_data, out)
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed gru from epoch 4" in resumed.stderr
    assert not (out / RESUME_FILE).exists()
    whole = run_train(config_path, tiny_data, tmp_path / "whole")
    assert whole.returncode == 0, whole.stderr
    assert_same_outputs(out, tmp_path / "whole")


def recoded_data(tiny_text, tmp_path, name, change):
    """The tiny text changed by ``change`` and preprocessed into ``tmp_path / name``."""
    text = tmp_path / f"{name}.txt"
    text.write_text(change(tiny_text.read_text()))
    preprocess(text, "char", tmp_path / name)
    return tmp_path / name


@pytest.mark.parametrize("change,size_differs", [
    (lambda text: "\n".join(reversed(text.splitlines())), False),  # same vocabulary size
    (lambda text: text.replace("x", "y").replace("X", "Y"), True),  # one letter fewer
])
def test_resume_from_other_data_is_ignored(change, size_differs, tiny_data, tiny_text,
                                           tmp_path, capsys):
    """A resume checkpoint of the same settings but other data is ignored with one note (no
    size-mismatch traceback), and the run equals a fresh one; on the same data it resumes."""
    other = recoded_data(tiny_text, tmp_path, "other", change)
    assert (len(load_data(other)[1]) != len(load_data(tiny_data)[1])) == size_differs
    train(settings_for("gru", epochs=1), tiny_data, tmp_path / "first", progress=False)
    # what an interrupted run leaves after epoch 1: its checkpoint and, as the best, itself
    payload = torch.load(tmp_path / "first" / "checkpoint.pt", weights_only=True)
    for name in ("same", "changed"):
        (tmp_path / name).mkdir()
        torch.save({**payload, "best_checkpoint": payload}, tmp_path / name / RESUME_FILE)
    capsys.readouterr()
    train(settings_for("gru", epochs=2), tiny_data, tmp_path / "same", progress=False)
    assert "resumed gru from epoch 1" in capsys.readouterr().err
    train(settings_for("gru", epochs=2), other, tmp_path / "changed", progress=False)
    notes = [line for line in capsys.readouterr().err.splitlines()
             if line.startswith(("resumed", "ignoring"))]
    assert len(notes) == 1 and "trained on other data" in notes[0]
    train(settings_for("gru", epochs=2), other, tmp_path / "fresh", progress=False)
    assert_same_outputs(tmp_path / "changed", tmp_path / "fresh")


def test_resume_with_annealing_equals_uninterrupted_run(tiny_data, tmp_path):
    """A run with annealing killed after its lr was lowered resumes with the lowered lr (saved
    in the checkpoint) and ends exactly as the uninterrupted run."""
    config_path = write_config(tmp_path / "config.yaml",
                               annealing_config(epochs=12, checkpoint_every=4))
    out = tmp_path / "killed"
    kill_once_resumable(config_path, tiny_data, out)
    saved = load_checkpoint(out / RESUME_FILE)
    assert saved["optimizer_state"]["lr"] < 4  # lowered before the checkpoint was written
    resumed = run_train(config_path, tiny_data, out)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resumed gru from epoch {saved['epoch']}" in resumed.stderr
    whole = run_train(config_path, tiny_data, tmp_path / "whole")
    assert whole.returncode == 0, whole.stderr
    first = json.loads((out / "metrics.json").read_text())
    second = json.loads((tmp_path / "whole" / "metrics.json").read_text())
    assert without_timing(first) == without_timing(second)
