"""``rnnlab train``: one variant, one job, following the textbook's ``train_ch8`` with held-out
perplexity, resumable checkpoints, metrics.json and a perplexity curve."""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from rnnlab.checkpoint import (
    load_checkpoint,
    restore_rng_states,
    rng_states,
    save_checkpoint,
)
from rnnlab.data import batches, check_batchable, load_data, split_corpus
from rnnlab.errors import CheckpointError, TrainingError
from rnnlab.fileio import atomic_write_text
from rnnlab.models import build_model, num_params
from rnnlab.step import SGD, EagerStep, GraphStep

CHECKPOINT_FILE = "checkpoint.pt"
METRICS_FILE = "metrics.json"
CURVE_FILE = "curve.png"
# The periodic checkpoint is not a declared output, so Snakemake leaves it in place when a job
# fails or is killed; the next run of the job resumes from it. A finished run deletes it.
RESUME_FILE = "resume.pt"
MODEL_OPTIONS = ("dropout", "reset_after", "embedding", "tied")
# Settings that may differ between a run and the run it resumes.
RESUMABLE_CHANGES = ("epochs",)


def pick_device(name: str) -> torch.device:
    """``auto`` is CUDA when there is a GPU, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise TrainingError("device 'cuda' was asked for, but CUDA is not available here")
    if name not in ("cpu", "cuda"):
        raise TrainingError(f"unknown device {name!r} (expected auto, cpu or cuda)")
    return torch.device(name)


def perplexity(mean_loss: float) -> float:
    """exp(mean cross-entropy per token), capped so that JSON stays finite."""
    return math.exp(min(mean_loss, 700.0))


def train_epoch(step, model, ids: torch.Tensor, settings: dict,
                generator: torch.Generator) -> tuple[float, float, int]:
    """One pass over the training tokens. Returns (mean loss, seconds, tokens)."""
    batch_size, num_steps = settings["batch_size"], settings["num_steps"]
    start = time.perf_counter()
    total, tokens, state = torch.zeros((), device=ids.device), 0, None
    for X, Y in batches(ids, batch_size, num_steps, settings["sampling"], generator):
        if state is None or settings["sampling"] == "random":
            # Random sampling: batches are not contiguous, so each starts from a fresh state.
            state = model.begin_state(batch_size, ids.device)
        loss, state = step(X, Y, state)  # state comes back detached from this batch's graph
        total += loss * Y.numel()
        tokens += Y.numel()
    mean_loss = total.item() / tokens  # the one host sync of the epoch
    return mean_loss, time.perf_counter() - start, tokens


@torch.no_grad()
def evaluate(model, ids: torch.Tensor, batch_size: int, num_steps: int) -> float | None:
    """Held-out perplexity: the tail read in order as ``batch_size`` rows, state carried across
    windows, no gradients, dropout off. None when there is no held-out text."""
    if len(ids) < 2:
        return None
    rows = max(1, min(batch_size, (len(ids) - 1) // num_steps))
    length = (len(ids) - 1) // rows * rows
    inputs = ids[:length].reshape(rows, -1)  # (rows, length / rows)
    targets = ids[1:length + 1].reshape(rows, -1)
    was_training = model.training
    model.eval()
    state, total = model.begin_state(rows, ids.device), torch.zeros((), device=ids.device)
    for start in range(0, inputs.shape[1], num_steps):
        logits, state = model(inputs[:, start:start + num_steps], state)
        target = targets[:, start:start + num_steps].T.reshape(-1)  # time-major, as logits
        total += F.cross_entropy(logits, target, reduction="sum")
    model.train(was_training)
    return perplexity(total.item() / targets.numel())


def make_step(model, optimizer, settings: dict, device: torch.device, ids: torch.Tensor,
              generator: torch.Generator):
    """The eager step, or on CUDA (unless ``cuda_graph`` is off) the CUDA-graph step, captured
    with a batch of the right shape (drawn from a copy of the generator, so the data order is
    not disturbed)."""
    if device.type != "cuda" or not settings["cuda_graph"]:
        return EagerStep(model, optimizer, settings["clip"])
    probe = torch.Generator().manual_seed(0)
    probe.set_state(generator.get_state())
    X, Y = next(batches(ids, settings["batch_size"], settings["num_steps"],
                        settings["sampling"], probe))
    state = model.begin_state(settings["batch_size"], device)
    return GraphStep(model, optimizer, settings["clip"], X, Y, state)


def try_resume(path: Path, settings: dict, model, optimizer, generator) -> dict | None:
    """Load the periodic checkpoint of an interrupted run of the same settings, if any."""
    if not path.exists():
        return None
    try:
        payload = load_checkpoint(path, map_location=next(model.parameters()).device)
    except CheckpointError as err:
        print(f"ignoring the resume checkpoint: {err}", file=sys.stderr)
        return None
    saved = {k: v for k, v in payload["settings"].items() if k not in RESUMABLE_CHANGES}
    current = {k: v for k, v in settings.items() if k not in RESUMABLE_CHANGES}
    if saved != current or payload["epoch"] >= settings["epochs"]:
        changed = sorted(k for k in saved.keys() | current.keys() if saved.get(k) != current.get(k))
        print(f"ignoring the resume checkpoint {path} (epoch {payload['epoch']}): "
              f"{'settings changed: ' + ', '.join(changed) if changed else 'epochs reached'}",
              file=sys.stderr)
        return None
    model.load_state_dict(payload["model_state"])
    optimizer.load_state_dict(payload["optimizer_state"])
    restore_rng_states(payload["rng_state"], generator)
    return payload


def train(settings: dict, data_dir: str | Path, out_dir: str | Path,
          threads: int | None = None, progress: bool = True) -> dict:
    """Train one variant with resolved ``settings`` (see rnnlab.config.resolve_variant) and write
    checkpoint.pt, metrics.json and curve.png under ``out_dir``. Returns the metrics."""
    from tqdm import tqdm

    from rnnlab.generate import greedy

    if threads:
        torch.set_num_threads(threads)
    device = pick_device(settings["device"])
    corpus, vocab, stats = load_data(data_dir)
    if stats.get("token") != settings["token"]:
        raise TrainingError(f"data in {str(data_dir)!r} has {stats.get('token')!r} tokens, "
                            f"but the config asks for {settings['token']!r}")
    train_ids, val_ids = split_corpus(corpus, settings["train_tokens"], settings["val_tokens"])
    check_batchable(train_ids, settings["batch_size"], settings["num_steps"])
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob(".*.tmp"):  # half-written files of a killed run
        stale.unlink()

    torch.manual_seed(settings["seed"])
    generator = torch.Generator().manual_seed(settings["seed"])
    model = build_model(settings["cell"], settings["impl"], len(vocab), settings["hidden"],
                        settings["layers"],
                        **{key: settings[key] for key in MODEL_OPTIONS if key in settings})
    model = model.to(device)
    model_args = model.model_args()
    optimizer = SGD(model.parameters(), lr=settings["lr"])
    resume_path = out_dir / RESUME_FILE
    history, best, train_seconds, start_epoch = [], None, 0.0, 0
    resumed = try_resume(resume_path, settings, model, optimizer, generator)
    if resumed:
        history, best = resumed["history"], resumed["best_val_perplexity"]
        train_seconds, start_epoch = resumed["train_seconds"], resumed["epoch"]
        print(f"resumed {settings['variant']} from epoch {start_epoch} ({resume_path})",
              file=sys.stderr)
    train_ids, val_ids = train_ids.to(device), val_ids.to(device)
    step = make_step(model, optimizer, settings, device, train_ids, generator)

    def checkpoint(path: Path, epoch: int) -> Path:
        return save_checkpoint(
            path, model_state=model.state_dict(), optimizer_state=optimizer.state_dict(),
            model_args=model_args, vocab=vocab.to_dict(), token=settings["token"], epoch=epoch,
            rng_state=rng_states(generator), best_val_perplexity=best, settings=settings,
            history=history, train_seconds=train_seconds)

    epochs = settings["epochs"]
    bar = tqdm(total=epochs, initial=start_epoch, unit="epoch", file=sys.stderr,
               disable=not progress, mininterval=0.5 if sys.stderr.isatty() else 5.0,
               desc=settings["variant"])
    epoch = start_epoch
    while True:
        # 1. Held-out evaluation and the periodic checkpoint, for the epochs done so far.
        if epoch > start_epoch and (epoch % settings["eval_every"] == 0 or epoch == epochs):
            val = evaluate(model, val_ids, settings["batch_size"], settings["num_steps"])
            history[-1]["val_perplexity"] = val
            if val is not None and (best is None or val < best):
                best = val
        if epoch > start_epoch and epoch % settings["checkpoint_every"] == 0 and epoch < epochs:
            checkpoint(resume_path, epoch)
        if epoch == epochs:
            break
        # 2. One epoch of forward, backward, clip and SGD step.
        mean_loss, seconds, tokens = train_epoch(step, model, train_ids, settings, generator)
        epoch += 1
        if not math.isfinite(mean_loss):
            last = f"the last good checkpoint is {resume_path}" if resume_path.exists() else \
                "no checkpoint was written yet"
            raise TrainingError(f"variant {settings['variant']!r} diverged at epoch {epoch}: "
                                f"the loss is {mean_loss} (try a smaller lr); {last}")
        train_seconds += seconds
        # 3. Log.
        history.append({"epoch": epoch, "train_perplexity": perplexity(mean_loss),
                        "seconds": seconds, "tokens": tokens})
        bar.set_postfix(ppl=f"{history[-1]['train_perplexity']:.2f}",
                        tok_s=f"{tokens / seconds:.0f}", refresh=False)
        bar.update()
    bar.close()

    predictions = {prefix: greedy(model, vocab, prefix, settings["num_preds"], device=device,
                                  token=settings["token"])
                   for prefix in settings["prefixes"]}
    metrics = build_metrics(settings, model, device, history, best, train_seconds, predictions)
    checkpoint(out_dir / CHECKPOINT_FILE, epochs)
    from rnnlab.plots import plot_curve

    plot_curve(history, settings["variant"], out_dir / CURVE_FILE)
    atomic_write_text(out_dir / METRICS_FILE, json.dumps(metrics, indent=2) + "\n")
    resume_path.unlink(missing_ok=True)
    print(f"perplexity {metrics['train_perplexity']:.1f}, "
          f"{metrics['tokens_per_second']:.1f} tokens/sec on {device}")
    return metrics


def build_metrics(settings: dict, model, device: torch.device, history: list[dict],
                  best: float | None, train_seconds: float, predictions: dict) -> dict:
    """metrics.json: the variant's settings, then the results (DESIGN.md lists the keys)."""
    tokens = sum(row["tokens"] for row in history)
    return {
        **settings,
        "device": device.type,
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "cuda_graph": bool(settings["cuda_graph"] and device.type == "cuda"),
        "threads": torch.get_num_threads(),
        "torch_version": torch.__version__,
        "num_params": num_params(model),
        "train_perplexity": history[-1]["train_perplexity"],
        "val_perplexity": history[-1].get("val_perplexity"),
        "best_val_perplexity": best,
        "train_seconds": train_seconds,
        "tokens_per_second": tokens / train_seconds if train_seconds > 0 else 0.0,
        "history": history,
        "predictions": predictions,
    }
