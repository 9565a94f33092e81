"""``rnnlab train``: one variant, one job, the textbook's ``train_ch8`` with held-out perplexity,
best.pt, annealing, early stopping and checkpoints a restarted job resumes from."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import torch

from rnnlab.checkpoint import save_checkpoint
from rnnlab.errors import TrainingInterrupted
from rnnlab.fileio import ensure_dir
from rnnlab.interrupts import Interrupted, stop_signals_raise
from rnnlab.training.epoch import check_divergence, evaluate, train_epoch
from rnnlab.training.job import folder_lock, remove_stale_temporaries
from rnnlab.training.observers import HISTORY_FILE, Observers
from rnnlab.training.outputs import (
    BEST_FILE,
    CHECKPOINT_FILE,
    CURVE_FILE,
    METRICS_FILE,
    write_results,
)
from rnnlab.training.resume import RESUME_FILE, try_resume
from rnnlab.training.settings import Settings
from rnnlab.training.setup import Setup, prepare
from rnnlab.training.state import TrainingState


def train(settings: Settings | dict, data_dir: str | Path, out_dir: str | Path,
          threads: int | None = None, progress: bool = True,
          tensorboard: str | Path | None = None) -> dict:
    """Train one variant (see rnnlab.config.resolve_variant for a dict of its settings).

    Writes under ``out_dir``: checkpoint.pt (the last epoch), best.pt (the epoch of the best
    held-out perplexity; the last epoch when there is no held-out text), metrics.json,
    history.csv and curve.png (both as it trains). ``resume.pt`` holds the periodic checkpoint
    and, after SIGTERM or SIGINT, the last finished epoch; the next run resumes from it. With
    ``tensorboard``, TensorBoard event files go to that folder. Returns the metrics.
    """
    settings, out_dir = Settings.from_dict(settings), Path(out_dir)
    resume_path, state = out_dir / RESUME_FILE, TrainingState()
    if threads:
        torch.set_num_threads(threads)
    with stop_signals_raise(), resume_pt_on_interrupt(lambda: state, settings, resume_path):
        setup = prepare(settings, data_dir, out_dir)  # before the folder: a failure leaves none
        with locked(out_dir, settings.variant):
            state = resume_or_start(setup, resume_path)
            with Observers(setup, out_dir, state, progress, tensorboard,
                           out_dir / CURVE_FILE) as observers:
                for epoch in range(state.epoch + 1, settings.epochs + 1):
                    state.train_started = state.train_started or time.time()
                    loss, seconds, tokens = train_epoch(setup.step, setup.model, setup.train_ids,
                                                        settings, setup.generator)
                    check_divergence(loss, len(setup.vocab), settings.variant, epoch, resume_path)
                    state.record(epoch, loss, seconds, tokens, setup.optimizer.lr)
                    if epoch % settings.eval_every == 0 or epoch == settings.epochs:
                        val = evaluate(setup.model, setup.val_ids, settings.eval_rows,
                                       settings.num_steps)
                        if state.record_held_out(val) and settings.anneal:  # no new best
                            setup.anneal()
                    state.take_snapshot(setup)
                    if state.best_epoch == epoch:
                        save_checkpoint(out_dir / BEST_FILE, **state.best_checkpoint)
                    observers.epoch_done(state)
                    if state.should_stop(settings):
                        break
                    if epoch % settings.checkpoint_every == 0:
                        save_checkpoint(resume_path, **state.snapshot)
                metrics = write_results(setup, state, out_dir)
                observers.finished(metrics)
    print_summary(metrics, setup, out_dir)
    return metrics


@contextlib.contextmanager
def locked(out_dir: Path, variant: str) -> Iterator[None]:
    """Make the output folder and hold its lock; clear the temporaries a killed job left."""
    ensure_dir(out_dir)
    with folder_lock(out_dir, f"rnnlab train --variant {variant}"):
        remove_stale_temporaries(out_dir)
        yield


def resume_or_start(setup: Setup, resume_path: Path) -> TrainingState:
    """The state of an interrupted run of the same job (its model, optimizer and random states
    loaded into ``setup``), else a fresh one; then the step is made."""
    payload = try_resume(resume_path, setup.settings, setup.fingerprint, setup.model,
                         setup.optimizer, setup.generator)
    state = TrainingState()
    if payload:
        state = TrainingState.from_checkpoint(payload)
        print(f"resumed {setup.settings.variant} from epoch {state.epoch} ({resume_path})",
              file=sys.stderr)
    state.take_snapshot(setup)
    setup.ready()
    return state


@contextlib.contextmanager
def resume_pt_on_interrupt(current_state: Callable[[], TrainingState], settings: Settings,
                           resume_path: Path) -> Iterator[None]:
    """Answer SIGTERM or SIGINT (:class:`Interrupted`) by writing resume.pt from the snapshot of
    the last finished epoch, then raise TrainingInterrupted saying so in one line.

    The signal interrupts wherever the job is: waiting for the epoch to end instead would take
    minutes on a large corpus, past Slurm's grace time; the snapshot costs one copy of the
    weights an epoch. ``current_state`` gives the state the job holds at that moment.
    """
    try:
        yield
    except Interrupted as interruption:
        state = current_state()
        if state.snapshot is None:
            when = "while starting"
        elif state.should_stop(settings):
            when = f"after its last epoch ({state.epoch}), while writing its results"
        else:
            when = f"during epoch {state.epoch + 1}"
        if state.snapshot is None or state.epoch == 0:
            saved = "no epoch had finished, so there is nothing to resume"
        else:
            save_checkpoint(resume_path, **state.snapshot)
            saved = (f"wrote {resume_path} (epoch {state.epoch}); run the same command again "
                     "to resume")
        raise TrainingInterrupted(f"{settings.variant} interrupted by {interruption} {when}: "
                                  f"{saved}", interruption.signum) from None


def print_summary(metrics: dict, setup: Setup, out_dir: Path) -> None:
    """The textbook's last line on stdout, and where the outputs went on stderr."""
    print(f"perplexity {metrics['train_perplexity']:.1f}, "
          f"{metrics['tokens_per_second']:.1f} tokens/sec on {setup.device}")
    best_epoch = metrics["best_epoch"]
    best_note = f" (epoch {best_epoch})" if best_epoch is not None else ""
    print(f"wrote {CHECKPOINT_FILE}, {BEST_FILE}{best_note}, {METRICS_FILE}, {HISTORY_FILE} and "
          f"{CURVE_FILE} to {out_dir}", file=sys.stderr)
