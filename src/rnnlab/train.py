"""``rnnlab train``: one variant, one job, following the textbook's ``train_ch8`` with held-out
perplexity, resumable checkpoints, metrics.json and a perplexity curve."""

from __future__ import annotations

import csv
import datetime
import io
import json
import math
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from rnnlab.checkpoint import model_from_checkpoint, rng_states, save_checkpoint
from rnnlab.config import init_from_path
from rnnlab.data import batches, check_batchable, load_data, split_data
from rnnlab.errors import TrainingError, TrainingInterrupted
from rnnlab.fileio import atomic_write_text, ensure_dir
from rnnlab.job import Interrupted, folder_lock, remove_stale_temporaries, stop_signals_raise
from rnnlab.models import build_model, num_params
from rnnlab.resume import RESUME_FILE, data_fingerprint, init_from, try_resume
from rnnlab.step import SGD, EagerStep, GraphStep

CHECKPOINT_FILE = "checkpoint.pt"
BEST_FILE = "best.pt"
METRICS_FILE = "metrics.json"
HISTORY_FILE = "history.csv"
CURVE_FILE = "curve.png"
HISTORY_COLUMNS = ("epoch", "train_perplexity", "val_perplexity", "seconds", "tokens_per_second")
# An epoch whose mean training loss exceeds this many times log(vocab size), the loss of the
# uniform model, has diverged (see check_divergence).
DIVERGENCE_FACTOR = 2.0
MODEL_OPTIONS = ("dropout", "dropout_kind", "reset_after", "embedding", "tied")


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


def eval_batch_size(settings: dict) -> int:
    """Rows of held-out and test evaluation: ``eval_batch_size``, else ``batch_size``."""
    return settings.get("eval_batch_size") or settings["batch_size"]


def test_perplexity(checkpoint: dict, ids: torch.Tensor, settings: dict,
                    device: torch.device) -> float | None:
    """Perplexity on the test split of the weights in ``checkpoint`` (best.pt's), read like the
    held-out text."""
    model, _ = model_from_checkpoint(checkpoint, device)
    return evaluate(model, ids.to(device), eval_batch_size(settings), settings["num_steps"])


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


def check_data(stats: dict, settings: dict, data_dir, train_ids: torch.Tensor,
               val_ids: torch.Tensor) -> None:
    """Refuse data preprocessed with other settings than the config's, early stopping without
    held-out text, and a ``train_tokens`` the corpus cannot give: training on fewer tokens than
    asked would make metrics.json (which reports the asked number) and every comparison with
    other runs wrong."""
    for key in ("token", "min_freq"):
        if stats.get(key) != settings[key]:
            raise TrainingError(f"data in {str(data_dir)!r} was preprocessed with {key} "
                                f"{stats.get(key)!r}, but the config asks for {settings[key]!r}"
                                " (run rnnlab preprocess again)")
    if settings["patience"] and not len(val_ids):
        raise TrainingError(f"training.patience={settings['patience']} counts held-out "
                            "evaluations, but data.val_tokens=0 holds out no text")
    if settings["train_tokens"] and len(train_ids) < settings["train_tokens"]:
        raise TrainingError(f"data.train_tokens={settings['train_tokens']} is more than the "
                            f"{len(train_ids)} tokens the text has before its "
                            f"last val_tokens={settings['val_tokens']}; lower it, or use 0 for "
                            "all")


def check_divergence(mean_loss: float, vocab_size: int, settings: dict, epoch: int,
                     resume_path: Path) -> None:
    """Stop a run whose epoch's mean training loss is not finite or above DIVERGENCE_FACTOR times
    log(vocab_size), the loss of the uniform model: such a model predicts far worse than
    guessing, and SGD will not bring it back. Healthy runs start near log(vocab_size) (small
    initial weights) and only go down (the lab's first epochs: about log 28 = 3.3)."""
    limit = DIVERGENCE_FACTOR * math.log(vocab_size)
    if math.isfinite(mean_loss) and mean_loss <= limit:
        return
    last = f"the last good checkpoint is {resume_path}" if resume_path.exists() else \
        "no checkpoint was written yet"
    raise TrainingError(f"variant {settings['variant']!r} diverged at epoch {epoch}: its mean "
                        f"training loss {mean_loss:.4g} is not below {limit:.3g} = "
                        f"{DIVERGENCE_FACTOR:g} x log({vocab_size}), where guessing uniformly "
                        f"gives log({vocab_size}) (try a smaller lr); {last}")


def evaluations_since_best(history: list[dict], best_epoch: int | None) -> int:
    """Held-out evaluations after the best one (what ``patience`` counts)."""
    if best_epoch is None:
        return 0
    return sum(1 for row in history
               if row["epoch"] > best_epoch and row.get("val_perplexity") is not None)


class HistoryCSV:
    """history.csv: one row per epoch, appended and flushed as training runs, so that ``tail -f``
    and a spreadsheet can follow it. Opening it rewrites the rows so far, so a resumed run drops
    the rows its interrupted predecessor wrote after the checkpoint it resumes from."""

    def __init__(self, path: Path, rows: list[dict]):
        atomic_write_text(path, "".join(self.format(row) for row in [None, *rows]))
        self.file = path.open("a", encoding="utf-8", newline="")

    @staticmethod
    def format(row: dict | None) -> str:
        """One CSV line; ``None`` gives the header."""
        line = io.StringIO()
        if row is None:
            values = HISTORY_COLUMNS
        else:
            val = row.get("val_perplexity")
            values = (row["epoch"], row["train_perplexity"], "" if val is None else val,
                      row["seconds"], row["tokens"] / row["seconds"] if row["seconds"] else "")
        csv.writer(line, lineterminator="\n").writerow(values)
        return line.getvalue()

    def append(self, row: dict) -> None:
        self.file.write(self.format(row))  # one write: a line is there whole or not at all
        self.file.flush()

    def close(self) -> None:
        self.file.close()


def progress_line(settings: dict, history: list[dict], best: float | None,
                  best_epoch: int | None, eta_seconds: float) -> str:
    """A plain log line (for a log file, where a progress bar would be frames joined by \\r)."""
    row, epochs = history[-1], settings["epochs"]
    held_out = [r for r in history if r.get("val_perplexity") is not None]
    val = (f"held-out {held_out[-1]['val_perplexity']:.2f} (epoch {held_out[-1]['epoch']}), "
           f"best {best:.2f} (epoch {best_epoch})" if held_out else "held-out -")
    return (f"{settings['variant']} epoch {row['epoch']}/{epochs}: train perplexity "
            f"{row['train_perplexity']:.2f}, {val}, {row['tokens'] / row['seconds']:,.0f} "
            f"tokens/s, ETA {datetime.timedelta(seconds=round(eta_seconds))}")


def train(settings: dict, data_dir: str | Path, out_dir: str | Path,
          threads: int | None = None, progress: bool = True) -> dict:
    """Train one variant with resolved ``settings`` (see rnnlab.config.resolve_variant).

    Writes under ``out_dir``: checkpoint.pt (the last epoch), best.pt (the epoch of the best
    held-out perplexity; the last epoch when there is no held-out text), metrics.json,
    history.csv (as it trains) and curve.png. ``resume.pt`` holds the periodic checkpoint and,
    after SIGTERM or SIGINT, the last finished epoch; the next run resumes from it. Returns the
    metrics.
    """
    from tqdm import tqdm

    from rnnlab.generate import greedy

    if threads:
        torch.set_num_threads(threads)
    device = pick_device(settings["device"])
    corpus, vocab, stats = load_data(data_dir)
    train_ids, val_ids, test_ids = split_data(corpus, stats, settings)
    check_data(stats, settings, data_dir, train_ids, val_ids)
    check_batchable(train_ids, settings["batch_size"], settings["num_steps"])
    fingerprint = data_fingerprint(corpus, vocab)
    # The model is built before the output folder is made, so that one that cannot be built
    # (too large for memory, a bad init_from) leaves nothing behind.
    torch.manual_seed(settings["seed"])
    generator = torch.Generator().manual_seed(settings["seed"])
    model = build_model(settings["cell"], settings["impl"], len(vocab), settings["hidden"],
                        settings["layers"],
                        **{key: settings[key] for key in MODEL_OPTIONS if key in settings})
    if settings.get("init_from"):  # variant:NAME is NAME's best.pt beside this variant's folder
        init_from(init_from_path(settings["init_from"], Path(out_dir).parent), model, vocab)
    model = model.to(device)
    out_dir = Path(out_dir)
    ensure_dir(out_dir)
    with folder_lock(out_dir, f"rnnlab train --variant {settings['variant']}"):
        remove_stale_temporaries(out_dir)
        model_args = model.model_args()
        optimizer = SGD(model.parameters(), lr=settings["lr"])
        resume_path, best_path = out_dir / RESUME_FILE, out_dir / BEST_FILE
        history, best, best_epoch, best_checkpoint = [], None, None, None
        train_seconds, start_epoch, train_started, train_ended = 0.0, 0, None, None
        resumed = try_resume(resume_path, settings, fingerprint, model, optimizer, generator)
        if resumed:
            history, best, best_epoch = (resumed["history"], resumed["best_val_perplexity"],
                                         resumed["best_epoch"])
            best_checkpoint, train_seconds = resumed["best_checkpoint"], resumed["train_seconds"]
            train_started, train_ended = resumed["train_started"], resumed["train_ended"]
            start_epoch = resumed["epoch"]
            print(f"resumed {settings['variant']} from epoch {start_epoch} ({resume_path})",
                  file=sys.stderr)
        train_ids, val_ids = train_ids.to(device), val_ids.to(device)
        step = make_step(model, optimizer, settings, device, train_ids, generator)

        vocab_dict = vocab.to_dict()  # the same in every checkpoint: built once

        def state_at(epoch: int) -> dict:
            """The checkpoint of the end of ``epoch``, with copies of every tensor and list,
            so that later steps do not change it."""
            return {"model_state": {k: v.detach().clone() for k, v in model.state_dict().items()},
                    "optimizer_state": dict(optimizer.state_dict()), "model_args": model_args,
                    "vocab": vocab_dict, "token": settings["token"], "epoch": epoch,
                    "rng_state": rng_states(generator), "best_val_perplexity": best,
                    "best_epoch": best_epoch, "settings": settings,
                    "history": [dict(row) for row in history], "train_seconds": train_seconds,
                    "train_started": train_started, "train_ended": train_ended,
                    "data_fingerprint": fingerprint}

        epochs, patience = settings["epochs"], settings["patience"]
        plain = progress and not sys.stderr.isatty()
        bar = tqdm(total=epochs, initial=start_epoch, unit="epoch", file=sys.stderr,
                   disable=not progress or plain, mininterval=0.5, desc=settings["variant"])
        history_csv = HistoryCSV(out_dir / HISTORY_FILE, history)
        epoch, snapshot, run_start = start_epoch, None, time.perf_counter()
        # SIGTERM/SIGINT raise Interrupted wherever the loop is, and resume.pt is then written
        # from `snapshot`, a copy of the state at the end of the last finished epoch. Checking
        # a flag between epochs instead would wait for the epoch to end (minutes on a large
        # corpus, past Slurm's grace time); the copy costs one clone of the weights an epoch.
        with stop_signals_raise():
            try:
                while True:
                    # 1. Held-out evaluation, best.pt, history.csv and the periodic checkpoint,
                    #    for the epoch just trained.
                    evaluated = epoch > start_epoch and (epoch % settings["eval_every"] == 0
                                                         or epoch == epochs)
                    if evaluated:
                        val = evaluate(model, val_ids, eval_batch_size(settings),
                                       settings["num_steps"])
                        history[-1]["val_perplexity"] = val
                        if val is not None and (best is None or val < best):
                            best, best_epoch = val, epoch
                        elif val is not None and settings.get("anneal"):  # no new best
                            optimizer.lr /= settings["anneal"]
                            # A CUDA graph replays the lr it was captured with: capture again.
                            step = make_step(model, optimizer, settings, device, train_ids,
                                             generator)
                    if epoch > start_epoch:
                        history_csv.append(history[-1])
                    current = state_at(epoch)
                    if best_epoch == epoch and epoch > start_epoch:
                        best_checkpoint = current
                        save_checkpoint(best_path, **best_checkpoint)
                    snapshot = {**current, "best_checkpoint": best_checkpoint}
                    stop = epoch == epochs or (
                        patience > 0 and evaluations_since_best(history, best_epoch) >= patience)
                    if epoch > start_epoch and epoch % settings["checkpoint_every"] == 0 \
                            and not stop:
                        save_checkpoint(resume_path, **snapshot)
                    if stop:
                        break
                    # 2. One epoch of forward, backward, clip and SGD step.
                    train_started = train_started or time.time()
                    mean_loss, seconds, tokens = train_epoch(step, model, train_ids, settings,
                                                             generator)
                    epoch += 1
                    train_ended = time.time()
                    check_divergence(mean_loss, len(vocab), settings, epoch, resume_path)
                    train_seconds += seconds
                    # 3. Log.
                    history.append({"epoch": epoch, "train_perplexity": perplexity(mean_loss),
                                    "seconds": seconds, "tokens": tokens, "lr": optimizer.lr})
                    last_val = next((row["val_perplexity"] for row in reversed(history)
                                     if row.get("val_perplexity") is not None), None)
                    bar.set_postfix(ppl=f"{history[-1]['train_perplexity']:.2f}",
                                    val="-" if last_val is None else f"{last_val:.2f}",
                                    tok_s=f"{tokens / seconds:.0f}", refresh=False)
                    bar.update()
                    if plain and (evaluated or epoch == start_epoch + 1 or epoch == epochs):
                        eta = (time.perf_counter() - run_start) / (epoch - start_epoch) \
                            * (epochs - epoch)
                        print(progress_line(settings, history, best, best_epoch, eta),
                              file=sys.stderr, flush=True)
                bar.close()
                predictions = {prefix: greedy(model, vocab, prefix, settings["num_preds"],
                                              device=device, token=settings["token"])
                               for prefix in settings["prefixes"]}
                metrics = build_metrics(settings, model, device, history, best, train_seconds,
                                        predictions)
                metrics.update(best_epoch=best_epoch, stopped_epoch=epoch,
                               train_started=train_started, train_ended=train_ended)
                save_checkpoint(out_dir / CHECKPOINT_FILE, **current)
                save_checkpoint(best_path, **(best_checkpoint or current))
                if len(test_ids):  # once, at the end, on best.pt's weights; never for choosing
                    metrics["test_perplexity"] = test_perplexity(best_checkpoint or current,
                                                                 test_ids, settings, device)
                from rnnlab.plots import plot_curve

                plot_curve(history, settings["variant"], out_dir / CURVE_FILE,
                           cell=settings["cell"], impl=settings["impl"], best_epoch=best_epoch)
                atomic_write_text(out_dir / METRICS_FILE, json.dumps(metrics, indent=2) + "\n")
                resume_path.unlink(missing_ok=True)
            except Interrupted as interruption:
                if snapshot is None or snapshot["epoch"] == 0:
                    saved = "no epoch had finished, so there is nothing to resume"
                else:
                    save_checkpoint(resume_path, **snapshot)
                    saved = (f"wrote {resume_path} (epoch {snapshot['epoch']}); run the same "
                             "command again to resume")
                raise TrainingInterrupted(f"{settings['variant']} interrupted by {interruption}"
                                          f" during epoch {epoch + 1}: {saved}",
                                          interruption.signum) from None
            finally:
                bar.close()
                history_csv.close()
    print(f"perplexity {metrics['train_perplexity']:.1f}, "
          f"{metrics['tokens_per_second']:.1f} tokens/sec on {device}")
    best_note = f" (epoch {best_epoch})" if best_epoch is not None else ""
    print(f"wrote {CHECKPOINT_FILE}, {BEST_FILE}{best_note}, {METRICS_FILE}, {HISTORY_FILE} and "
          f"{CURVE_FILE} to {out_dir}", file=sys.stderr)
    return metrics


def build_metrics(settings: dict, model, device: torch.device, history: list[dict],
                  best: float | None, train_seconds: float, predictions: dict) -> dict:
    """metrics.json: the variant's settings, then the results (docs/design.md lists the keys)."""
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
