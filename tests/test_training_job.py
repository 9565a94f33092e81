"""Tests of rnnlab.training.job: the folder lock and the clean-up of temporaries."""

import signal

from helpers import tiny_config, write_config
from training_helpers import (
    run_train,
    settings_for,
    start_training,
    wait_for_rows,
)

from rnnlab.training import train
from rnnlab.training.job import LOCK_FILE
from rnnlab.training.resume import RESUME_FILE


def test_second_job_for_the_same_folder_stops_at_once(tiny_data, tmp_path):
    """While a job trains into a folder, a second job for it exits 1 with one line naming the
    first (its pid), and the first job finishes untouched."""
    config_path = write_config(tmp_path / "config.yaml",
                               tiny_config(epochs=60, checkpoint_every=1000))
    out = tmp_path / "out"
    first = start_training(config_path, tiny_data, out, "--quiet")
    wait_for_rows(out, 1, first)
    second = run_train(config_path, tiny_data, out)
    assert second.returncode == 1
    assert second.stderr.count("\n") == 1 and "Traceback" not in second.stderr
    assert "is in use by another training job" in second.stderr
    assert f"pid {first.pid} on " in second.stderr and "--variant gru" in second.stderr
    assert first.poll() is None, "the first job should still be running"
    first.send_signal(signal.SIGTERM)
    first.communicate(timeout=60)
    assert (out / LOCK_FILE).exists() and (out / RESUME_FILE).exists()
    after = run_train(config_path, tiny_data, out, "--epochs", "2")
    assert after.returncode == 0, after.stderr  # the lock went with the first job


def test_only_rnnlabs_own_temporaries_are_cleaned(tiny_data, tmp_path):
    """A run deletes the temporaries a killed rnnlab job left, but not a user's .*.tmp files or
    a folder named like a temporary."""
    out = tmp_path / "out"
    out.mkdir()
    (out / ".notes.tmp").write_text("mine")
    (out / ".metrics.json.rnnlab-4242-x1y2.tmp").mkdir()
    stale = out / ".metrics.json.rnnlab-4242-abc_12.tmp"
    stale.write_text("half written")
    train(settings_for("rnn", epochs=1), tiny_data, out, progress=False)
    assert (out / ".notes.tmp").read_text() == "mine"
    assert (out / ".metrics.json.rnnlab-4242-x1y2.tmp").is_dir()
    assert not stale.exists()
    assert not [p for p in out.glob(".*rnnlab-*.tmp") if p.is_file()]
