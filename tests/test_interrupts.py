"""Tests of rnnlab.interrupts: SIGTERM and SIGINT, sent for real to a training job."""

import signal

import pytest
from helpers import tiny_config, write_config
from training_helpers import (
    assert_same_outputs,
    start_training,
    wait_for_rows,
)

from rnnlab.checkpoint import load_checkpoint
from rnnlab.config import load_config, resolve_variant
from rnnlab.training import train
from rnnlab.training.resume import RESUME_FILE


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_writes_resume_and_rerun_matches(signum, tiny_data, tmp_path, capsys):
    """SIGTERM or SIGINT mid-run writes resume.pt for the last finished epoch, says so in one
    line and exits 128+signal; the rerun resumes and ends as an uninterrupted run."""
    config_path = write_config(tmp_path / "config.yaml",
                               tiny_config(epochs=25, eval_every=2, checkpoint_every=1000,
                                           patience=0))
    out = tmp_path / "out"
    proc = start_training(config_path, tiny_data, out, "--quiet")
    wait_for_rows(out, 3, proc)
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and f"interrupted by {signal.Signals(signum).name}" in lines[0]
    resume = load_checkpoint(out / RESUME_FILE)
    assert f"wrote {out / RESUME_FILE} (epoch {resume['epoch']})" in lines[0]
    assert resume["epoch"] >= 3 and not (out / "metrics.json").exists()
    settings = resolve_variant(load_config(config_path), "gru")
    capsys.readouterr()
    train(settings, tiny_data, out, progress=False)
    assert f"resumed gru from epoch {resume['epoch']}" in capsys.readouterr().err
    train(settings, tiny_data, tmp_path / "whole", progress=False)
    assert_same_outputs(out, tmp_path / "whole")
