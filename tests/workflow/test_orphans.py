"""Tests that nothing outlives its Snakemake and nothing deletes another run's files: real
Snakemake processes, a real kill -9, two checkouts on one results_dir."""

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from helpers import ENV, SNAKEMAKE, copy_project, edit_config, snakemake

from rnnlab.download import bundled_corpus

VARIANT = "gru_concise"
EPOCHS = 40
OUTPUTS = ("checkpoint.pt", "best.pt", "history.csv", "metrics.json", "curve.png")


def tiny_slow(results_dir: Path | None = None):
    """One small variant of the lab with epochs enough to be caught training."""

    def edit(config: dict) -> None:
        config["data"].update(url=str(bundled_corpus()), train_tokens=3000, val_tokens=300)
        config["training"].update(epochs=EPOCHS, eval_every=1, checkpoint_every=1, num_preds=5)
        config["variants"][VARIANT]["hidden"] = 16
        config["run"] = VARIANT
        if results_dir is not None:
            config["results_dir"] = str(results_dir)

    return edit


def start(project: Path) -> subprocess.Popen:
    """`snakemake all` in the background, as a user starts it."""
    return subprocess.Popen([*SNAKEMAKE, "--cores", "2", "all"], cwd=project, env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def wait_for_an_epoch(folder: Path, run: subprocess.Popen, timeout: float = 180) -> None:
    """Return once the training job in ``folder`` has finished an epoch (a row of history)."""
    history = folder / "history.csv"
    deadline = time.monotonic() + timeout
    while not (history.exists() and len(history.read_text().splitlines()) >= 2):
        assert run.poll() is None, run.stderr.read()[-2000:]
        assert time.monotonic() < deadline, "no epoch finished in time"
        time.sleep(0.2)


def assert_complete(folder: Path) -> None:
    """Every output of the training job is there and the history holds every epoch."""
    assert sorted(path.name for path in folder.iterdir() if path.name in OUTPUTS) == sorted(
        OUTPUTS)
    metrics = json.loads((folder / "metrics.json").read_text())
    assert [row["epoch"] for row in metrics["history"]] == list(range(1, EPOCHS + 1))


def test_kill_9_of_snakemake_then_a_plain_rerun_resumes(project_root, tmp_path):
    """After kill -9 of Snakemake its training job stops by itself with resume.pt, and the
    same command run again at once resumes it and ends with every file."""
    project = copy_project(project_root, tmp_path)
    edit_config(project, tiny_slow())
    folder = project / "results" / "models" / VARIANT
    run = start(project)
    wait_for_an_epoch(folder, run)
    os.kill(run.pid, signal.SIGKILL)
    run.wait()

    rerun = snakemake(project, "all")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    log = (project / "results" / "logs" / "train" / f"{VARIANT}.log").read_text()
    assert log.startswith(f"resumed {VARIANT} from epoch "), log[:500]
    assert_complete(folder)


def test_a_second_snakemake_on_the_same_results_dir_is_refused(project_root, tmp_path):
    """A second Snakemake from another checkout on the same results_dir stops with one line
    before it deletes anything, and the first one finishes with every file."""
    results = tmp_path / "shared-results"
    checkouts = []
    for name in ("first", "second"):
        (tmp_path / name).mkdir()
        checkouts.append(copy_project(project_root, tmp_path / name))
        edit_config(checkouts[-1], tiny_slow(results))
    first, second = checkouts
    folder = results / "models" / VARIANT
    run = start(first)
    wait_for_an_epoch(folder, run)
    before = {path.name for path in folder.iterdir() if path.name in OUTPUTS}

    refused = snakemake(second, "all")
    assert refused.returncode != 0
    assert f"{str(results)!r} is in use by another Snakemake (pid {run.pid} " in refused.stderr
    assert "Traceback" not in refused.stderr
    assert before <= {path.name for path in folder.iterdir()}

    assert run.wait(timeout=300) == 0, run.stderr.read()[-3000:]
    assert_complete(folder)
