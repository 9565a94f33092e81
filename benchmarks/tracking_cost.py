"""The per-epoch cost of logging at the lab's size, with and without TensorBoard.

    python benchmarks/tracking_cost.py [--variant gru_concise] [--epochs 50] [--repeats 4]

Preprocesses the lab's bundled text with config.yaml's data settings, then trains one of
config.yaml's variants (its settings as they are, ``--epochs`` epochs, one thread, CPU) with
``rnnlab.training.train`` in this process, without and with a TensorBoard folder, alternating
off-on, on-off, ... so that a drift in the machine's load hits both alike. Per run it measures:

- the loop's time per epoch: from the start of the first epoch to the end of the last
  (metrics.json's train_started and train_ended) over the epochs: training, held-out
  evaluation, checkpoints and logging;
- the logging's time per epoch: the time spent in the observers, timed around their calls
  (history.csv, the progress, curve.png redrawn at evaluations, and with TensorBoard its
  scalars, the greedy text at evaluations and the flushes).

Before the runs the process imports matplotlib and draws one curve, as every job does once
anyway for its final curve.png: a run's logging is then what live tracking adds. Prints each
run and the medians: logging per epoch as a share of the loop's time per epoch, and the
difference of the loops' medians (noisier: it holds the machine's drift).
"""

from __future__ import annotations

import argparse
import functools
import statistics
import tempfile
import time
from pathlib import Path

import torch
import yaml

from rnnlab.config import load_config, resolve_variant
from rnnlab.download import bundled_corpus
from rnnlab.plots import plot_curve
from rnnlab.preprocess import preprocess
from rnnlab.training import train
from rnnlab.training.observers import Observers

ROOT = Path(__file__).resolve().parents[1]
LOGGING = [0.0]  # seconds spent in the observers during the current run


def timed(method):
    """``method`` with its time added to LOGGING."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            LOGGING[0] += time.perf_counter() - start

    return wrapper


Observers.epoch_done = timed(Observers.epoch_done)
Observers.finished = timed(Observers.finished)


def run(settings: dict, data: Path, out: Path, tensorboard: Path | None) -> tuple[float, float]:
    """(loop seconds per epoch, logging seconds per epoch) of one run."""
    LOGGING[0] = 0.0
    metrics = train(settings, data, out, threads=1, progress=False, tensorboard=tensorboard)
    epochs = metrics["stopped_epoch"]
    return (metrics["train_ended"] - metrics["train_started"]) / epochs, LOGGING[0] / epochs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", default="gru_concise")
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=4)
    args = parser.parse_args()

    config_path = ROOT / "config.yaml"
    settings = resolve_variant(load_config(config_path), args.variant,
                               {"epochs": args.epochs, "device": "cpu"})
    data_settings = yaml.safe_load(config_path.read_text())["data"]
    print(f"torch {torch.__version__}, {args.variant}, {args.epochs} epochs, eval_every "
          f"{settings['eval_every']}, {args.repeats} runs each")
    results: dict[str, list[tuple[float, float]]] = {"off": [], "on": []}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        plot_curve([{"epoch": 1, "train_perplexity": 2.0}], "warm-up", tmp / "warm-up.png")
        preprocess(bundled_corpus(), data_settings["token"], tmp / "data",
                   min_freq=data_settings["min_freq"])
        for repeat in range(args.repeats):
            for arm in ("off", "on") if repeat % 2 == 0 else ("on", "off"):
                out = tmp / f"{arm}-{repeat}"
                loop, logging = run(settings, tmp / "data", out / "model",
                                    out / "tensorboard" if arm == "on" else None)
                results[arm].append((loop, logging))
                print(f"run {repeat + 1} TensorBoard {arm}: loop {1000 * loop:.1f} ms/epoch, "
                      f"logging {1000 * logging:.2f} ms/epoch ({100 * logging / loop:.2f}%)",
                      flush=True)
    for arm, runs in results.items():
        loop = statistics.median(r[0] for r in runs)
        logging = statistics.median(r[1] for r in runs)
        print(f"TensorBoard {arm}: median loop {1000 * loop:.1f} ms/epoch, median logging "
              f"{1000 * logging:.2f} ms/epoch = {100 * logging / loop:.2f}% of the loop")
    loops = {arm: statistics.median(r[0] for r in runs) for arm, runs in results.items()}
    print(f"loop with TensorBoard against without: "
          f"{100 * (loops['on'] - loops['off']) / loops['off']:+.2f}% (medians)")


if __name__ == "__main__":
    main()
