"""Tests of rnnlab.locks: a second training job or workflow on a folder is refused with a line
naming the first, also on a file system without flock, and a lock dies with its holder."""

import errno
import fcntl
import signal
import subprocess
import sys
import time

import pytest

from rnnlab.locks import LockError, folder_lock, hold_results

HOLD = """
import sys, time
from pathlib import Path
from rnnlab.locks import folder_lock
with folder_lock(Path(sys.argv[1]), "job in another process"):
    print("held", flush=True)
    time.sleep(60)
"""


@pytest.fixture
def holder_process(tmp_path):
    """Another process holding the training lock of ``tmp_path``."""
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)],
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline() == "held\n"
    yield process
    process.kill()
    process.wait()


def test_a_second_training_job_is_refused_naming_the_first(tmp_path, holder_process):
    """A job of another process holds the folder: a second one stops with who holds it."""
    with pytest.raises(LockError, match=rf"is in use by another training job \(pid "
                                        rf"{holder_process.pid} on .*job in another process\)"):
        with folder_lock(tmp_path, "second"):
            pass


def test_a_killed_holder_leaves_no_lock(tmp_path, holder_process):
    """kill -9 of the holder frees the folder at once."""
    holder_process.kill()
    holder_process.wait()
    with folder_lock(tmp_path, "after the kill"):
        pass


def test_a_results_dir_waits_for_a_training_job_then_refuses(tmp_path, holder_process):
    """A workflow's lock waits for a training job left in a model folder, then says so."""
    start = time.monotonic()
    with pytest.raises(LockError, match=r"still in use by a training job .* after 1 s; stop"):
        hold_results(tmp_path / "results", [tmp_path], wait=1)
    assert time.monotonic() - start >= 1
    hold_results(tmp_path / "results", [tmp_path / "free"], wait=1).release()


def test_a_second_workflow_is_refused(tmp_path):
    """Two workflows cannot lock one results_dir; the message says what to do."""
    lock = hold_results(tmp_path, [])
    try:
        with pytest.raises(LockError, match="in use by another Snakemake .*another results_dir"):
            hold_results(tmp_path, [])
    finally:
        lock.release()


def test_without_flock_the_lock_falls_back_and_still_refuses(tmp_path, monkeypatch):
    """Where the file system has no flock (ENOSYS), a lock file takes its place."""
    def no_flock(fd, operation):
        raise OSError(errno.ENOSYS, "Function not implemented")

    monkeypatch.setattr(fcntl, "flock", no_flock)
    with folder_lock(tmp_path, "first"):
        with pytest.raises(LockError, match="in use by another training job"):
            with folder_lock(tmp_path, "second"):
                pass
    with folder_lock(tmp_path, "after the first"):
        pass


def test_a_forced_run_stopped_by_sigterm_leaves_no_file_of_the_finished_run(tiny_data, tmp_path):
    """rnnlab train --force into a finished run's folder, stopped by SIGTERM after an epoch,
    leaves only the new run's files (resume.pt and what it wrote so far), none of the old
    run's."""
    from helpers import rnnlab, tiny_config, write_config

    config = write_config(tmp_path / "config.yaml", tiny_config(epochs=1))
    out = tmp_path / "model"
    args = ["train", "--config", config, "--variant", "rnn", "--data", tiny_data, "--out", out,
            "--quiet"]
    assert rnnlab(*args).returncode == 0
    assert (out / "metrics.json").exists()
    started = time.time()
    job = subprocess.Popen([sys.executable, "-m", "rnnlab.cli", *map(str, args), "--force",
                            "--epochs", "500"], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (out / "resume.pt").exists() and time.monotonic() < deadline:
        assert job.poll() is None, job.stderr.read()
        time.sleep(0.05)
    job.send_signal(signal.SIGTERM)
    _, err = job.communicate(timeout=60)
    assert job.returncode == 128 + signal.SIGTERM, err
    left = {path.name for path in out.iterdir() if not path.name.startswith(".")}
    assert "resume.pt" in left and "metrics.json" not in left  # an unfinished run's folder
    assert all((out / name).stat().st_mtime >= started for name in left)  # the new run's
