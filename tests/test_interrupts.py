"""Tests of rnnlab.interrupts: SIGTERM and SIGINT, sent for real to a training job."""

import signal
import subprocess
import sys
import time

import pytest
from helpers import tiny_config, write_config
from training_helpers import (
    assert_same_outputs,
    start_training,
    wait_for_rows,
)

from rnnlab.checkpoint import load_checkpoint
from rnnlab.config import load_config, resolve_variant
from rnnlab.errors import bounded
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
    # error lines cut a long path to its head and tail
    assert f"wrote {bounded(str(out / RESUME_FILE))} (epoch {resume['epoch']})" in lines[0]
    assert resume["epoch"] >= 3 and not (out / "metrics.json").exists()
    settings = resolve_variant(load_config(config_path), "gru")
    capsys.readouterr()
    train(settings, tiny_data, out, progress=False)
    assert f"resumed gru from epoch {resume['epoch']}" in capsys.readouterr().err
    train(settings, tiny_data, tmp_path / "whole", progress=False)
    assert_same_outputs(out, tmp_path / "whole")


def test_ctrl_c_while_importing_torch_stops_the_job(tiny_data, tmp_path):
    """SIGINT while `rnnlab train` is still importing torch stops it: one line saying nothing
    was written, exit 130, no output folder (it used to be swallowed inside the import)."""
    config_path = write_config(tmp_path / "config.yaml", tiny_config(epochs=50))
    out = tmp_path / "out"
    # -X importtime prints a line as each module finishes importing: a line for a submodule of
    # torch, before torch's own, means the import of torch is under way.
    proc = subprocess.Popen([sys.executable, "-X", "importtime", "-m", "rnnlab.cli", "train",
                             "--config", config_path, "--variant", "gru", "--data", tiny_data,
                             "--out", out, "--quiet"], stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        if line.rsplit("|", 1)[-1].strip().startswith("torch."):
            proc.send_signal(signal.SIGINT)
            break
    else:
        raise AssertionError("torch was never imported")
    rest = proc.stderr.read()
    proc.wait(timeout=60)
    lines = [line for line in rest.splitlines() if not line.startswith("import time:")]
    assert proc.returncode == 128 + signal.SIGINT, rest[-2000:]
    assert lines == ["rnnlab train: error: interrupted by SIGINT while starting, before "
                     "training: nothing was written"]
    assert not out.exists()


def test_sigterm_after_the_last_epoch_says_so(tiny_data, tmp_path):
    """SIGTERM while a 2-epoch job writes its results says 'after its last epoch (2)', not
    'during epoch 3', and keeps resume.pt of epoch 2 (a rerun then only writes the results)."""
    # Ten prefixes of 10,000 predicted characters each make writing the results take most of a
    # minute: time for the signal even on a busy machine; the job stops as soon as it arrives.
    config_path = write_config(tmp_path / "config.yaml",
                               tiny_config(epochs=2, num_preds=10_000, checkpoint_every=1000,
                                           prefixes=list("abcdefghij")))
    out = tmp_path / "out"
    proc = start_training(config_path, tiny_data, out)
    for line in proc.stderr:
        if line.startswith("gru epoch 2/2:"):
            time.sleep(1)  # well into the predictions
            proc.send_signal(signal.SIGTERM)
            break
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 128 + signal.SIGTERM, stderr
    assert "interrupted by SIGTERM after its last epoch (2), while writing its results: " \
        f"wrote {bounded(str(out / RESUME_FILE))} (epoch 2)" in stderr
    assert "during epoch" not in stderr and not (out / "metrics.json").exists()
    assert load_checkpoint(out / RESUME_FILE)["epoch"] == 2
