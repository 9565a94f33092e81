"""Locks that keep two runs from writing one folder: a training job's lock on its output folder,
and a workflow's lock on its results folder, held for as long as its Snakemake runs.

filelock takes a ``flock`` where the file system has one (the kernel drops it when the holder
dies, however it dies) and falls back to a lock file that records its holder where it has not
(some network file systems); a raw ``flock`` would fail there. Each lock has a ``.holder`` file
beside it naming the process that holds it, for the message a second run gets.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import socket
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from rnnlab.errors import RnnlabError

TRAIN_LOCK = ".rnnlab-train.lock"
WORKFLOW_LOCK = ".rnnlab-workflow.lock"


class LockError(RnnlabError):
    """A folder is in use by another run, or cannot be locked."""


def _holder_file(lock_path: Path) -> Path:
    return lock_path.with_name(lock_path.name + ".holder")


def holder(lock_path: Path) -> str:
    """Who holds the lock at ``lock_path``, as its holder file says."""
    try:
        text = _holder_file(lock_path).read_text("utf-8", errors="replace").strip()
    except OSError:
        text = ""
    return text[:200] or "a run just starting"


def acquire(lock_path: Path, what: str, busy: str, wait: float = 0) -> FileLock:
    """Take the lock at ``lock_path`` within ``wait`` seconds and write its holder file
    (``what``: the job or workflow); the caller keeps the returned lock and releases it.
    A lock held by someone else is a LockError ``busy`` with ``{holder}`` filled in; a file
    system where no lock can be taken is a LockError that says what to do."""
    lock = FileLock(lock_path, timeout=wait)
    try:
        with warnings.catch_warnings():  # the fallback where flock is missing is expected
            warnings.filterwarnings("ignore", "flock not supported", UserWarning)
            lock.acquire()
    except Timeout:
        raise LockError(busy.replace("{holder}", holder(lock_path))) from None
    except OSError as err:
        raise LockError(f"cannot lock {str(lock_path)!r} ({err.strerror or err}): put the "
                        "results folder on a local or shared file system that allows writing "
                        "and locking") from None
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    text = f"pid {os.getpid()} on {socket.gethostname()}, started {started}, {what}\n"
    try:
        _holder_file(lock_path).write_text(text, "utf-8")
    except OSError:
        lock.release()
        raise
    return lock


@contextlib.contextmanager
def folder_lock(folder: Path, job: str) -> Iterator[Path]:
    """Hold the training lock of ``folder`` while the block runs; a second job for the same
    folder stops at once with a LockError naming the first."""
    path = Path(folder) / TRAIN_LOCK
    lock = acquire(path, job, f"{str(folder)!r} is in use by another training job ({{holder}}); "
                   "wait for it to finish or stop it")
    try:
        yield path
    finally:
        lock.release()


def hold_results(results_dir: str | Path, wait_for_jobs: Iterable[str | Path] = (),
                 wait: float = 30) -> FileLock:
    """Lock ``results_dir`` for a workflow run and return the lock, to keep until it ends.

    A second workflow on the same folder, from any checkout, stops here with a message, before
    it deletes anything. Then each folder in ``wait_for_jobs`` (the training jobs about to run)
    must be free of a training job: one left by a killed workflow stops by itself (it watches
    its workflow), so this waits up to ``wait`` seconds for it.
    """
    results_dir = Path(results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / WORKFLOW_LOCK
    lock = acquire(path, "a Snakemake workflow",
                   f"{str(results_dir)!r} is in use by another Snakemake ({{holder}}); wait for "
                   "it to finish or stop it, or give this run another results_dir")
    try:
        for folder in map(Path, wait_for_jobs):
            if (folder / TRAIN_LOCK).exists():
                _wait_for_training_job(folder, wait)
    except BaseException:
        lock.release()
        raise
    return lock


def _wait_for_training_job(folder: Path, wait: float) -> None:
    """Return once no training job holds ``folder``'s lock, within ``wait`` seconds."""
    busy = (f"{str(folder)!r} is still in use by a training job ({{holder}}) after {wait:g} s; "
            "stop it, then run again")
    acquire(folder / TRAIN_LOCK, "a Snakemake workflow checking the folder", busy,
            wait).release()


# What one run leaves in its folder (rnnlab train's outputs, resume.pt, rnnlab predict's text).
RUN_FILES = ("checkpoint.pt", "best.pt", "history.csv", "metrics.json", "curve.png", "resume.pt",
             "predictions.json")


def claim_for_new_run(folder: str | Path, force: bool) -> None:
    """Make ``folder`` ready for a new run by hand: training into a finished run's folder (one
    with metrics.json) would leave files of two runs side by side, so refuse it, or with
    ``force`` first remove that run's files, holding the folder's lock (no running job loses
    them). Snakemake removes a job's outputs itself before it runs it, so its jobs pass."""
    folder = Path(folder)
    if not (folder / "metrics.json").is_file():
        return
    if not force:
        raise LockError(f"{str(folder)!r} holds a finished run (metrics.json); training into it "
                        "would mix two runs: give --force to replace that run, or another --out")
    with folder_lock(folder, "rnnlab train --force, removing a finished run"):
        for name in RUN_FILES:
            (folder / name).unlink(missing_ok=True)
