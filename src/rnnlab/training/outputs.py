"""What a finished training job writes: checkpoint.pt, best.pt, metrics.json and curve.png."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from rnnlab.checkpoint import model_from_checkpoint, save_checkpoint
from rnnlab.fileio import atomic_write_text
from rnnlab.models import num_params
from rnnlab.provenance import provenance
from rnnlab.training.epoch import evaluate
from rnnlab.training.resume import RESUME_FILE
from rnnlab.training.setup import Setup
from rnnlab.training.state import TrainingState

CHECKPOINT_FILE = "checkpoint.pt"
BEST_FILE = "best.pt"
METRICS_FILE = "metrics.json"
CURVE_FILE = "curve.png"


def write_results(setup: Setup, state: TrainingState, out_dir: Path) -> dict:
    """Write the outputs of the finished run; delete resume.pt, which they supersede. Returns
    the metrics."""
    from rnnlab.generate import greedy
    from rnnlab.plots import plot_curve

    settings, current = setup.settings, state.current()
    best = state.best_checkpoint or current
    predictions = {prefix: greedy(setup.model, setup.vocab, prefix, settings.num_preds,
                                  device=setup.device, token=settings.token)
                   for prefix in settings.prefixes}
    metrics = build_metrics(setup, state, predictions)
    save_checkpoint(out_dir / CHECKPOINT_FILE, **current)
    save_checkpoint(out_dir / BEST_FILE, **best)
    if len(setup.test_ids):  # once, at the end, on best.pt's weights; never for choosing
        model, _ = model_from_checkpoint(best, setup.device)
        metrics["test_perplexity"] = evaluate(model, setup.test_ids, settings.eval_rows,
                                              settings.num_steps)
    plot_curve(state.history, settings.variant, out_dir / CURVE_FILE, cell=settings.cell,
               impl=settings.impl, best_epoch=state.best_epoch)
    atomic_write_text(out_dir / METRICS_FILE, json.dumps(metrics, indent=2) + "\n")
    (out_dir / RESUME_FILE).unlink(missing_ok=True)
    return metrics


def build_metrics(setup: Setup, state: TrainingState, predictions: dict) -> dict:
    """metrics.json: the settings as asked (rnnlab.training.settings.KEYS), what was used
    (device_used, cuda_graph_used, threads, versions), then the results (docs/design.md
    lists the keys)."""
    device, history = setup.device, state.history
    tokens = sum(row["tokens"] for row in history)
    return {
        **setup.settings_dict,
        "device_used": device.type,
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "cuda_graph_used": bool(setup.settings.cuda_graph and device.type == "cuda"),
        "threads": torch.get_num_threads(),
        "torch_version": torch.__version__,
        **provenance(),  # rnnlab_version, git_commit, git_dirty
        "num_params": num_params(setup.model),
        "train_perplexity": history[-1]["train_perplexity"],
        "val_perplexity": history[-1].get("val_perplexity"),
        "best_val_perplexity": state.best,
        "best_epoch": state.best_epoch,
        "stopped_epoch": state.epoch,
        "train_seconds": state.train_seconds,
        "train_started": state.train_started,
        "train_ended": state.train_ended,
        "tokens_per_second": tokens / state.train_seconds if state.train_seconds > 0 else 0.0,
        "history": history,
        "predictions": predictions,
    }
