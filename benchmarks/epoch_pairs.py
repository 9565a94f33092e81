"""The two training loops epoch against epoch in one process: d2l 0.17.6's ``train_epoch_ch8``
and rnnlab's ``train_epoch`` on the same variant, on the CPU.

    python benchmarks/epoch_pairs.py VARIANT [--pairs N] [--config config.yaml] [--data DIR]
                                     [--d2l DIR] [--profile]

Each side trains its own model (built as ``benchmarks/textbook_loop.py`` and ``rnnlab train``
build them) for one untimed warm-up epoch; then N pairs of epochs run alternately (textbook-ours,
ours-textbook, ...), each timed on its own. It prints the median ms/epoch of each and their
ratio, textbook / ours (above 1: rnnlab's epoch is faster). Epochs a fraction of a second apart
see the same load, so this shows the loops' own difference with less noise than
``benchmarks/throughput.py``, whose runs are minutes apart; it leaves out what ``rnnlab train``
does between epochs (evaluation, snapshot, checkpoints, history.csv), which throughput.py leaves
out too. Both sides run with the allocator setting ``rnnlab train`` makes for itself
(``rnnlab.memory``), so the pairs show the loops alone. ``--profile`` prints cProfile's top
functions of N epochs of each instead.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from textbook_loop import ROOT, build, import_d2l, load_data, variant_spec  # noqa: E402
from throughput import environment, prepare_data  # noqa: E402

from rnnlab.memory import keep_freed_memory  # noqa: E402


def textbook_epoch(d2l, spec: dict):
    """One epoch of the textbook's loop on its own model, as a function of nothing."""
    import torch
    from torch import nn

    device = torch.device("cpu")
    torch.manual_seed(spec.get("seed", 0))
    train_iter, vocab = load_data(d2l, spec)
    net, updater = build(d2l, spec, len(vocab), device)
    loss, random_iter = nn.CrossEntropyLoss(), spec["sampling"] == "random"
    return lambda: d2l.train_epoch_ch8(net, train_iter, loss, updater, device, random_iter)


def rnnlab_epoch(config: Path, variant: str, data: Path):
    """One epoch of rnnlab's loop on its own model, as a function of nothing."""
    from rnnlab.config import load_config, resolve_variant
    from rnnlab.training.epoch import train_epoch
    from rnnlab.training.settings import Settings
    from rnnlab.training.setup import prepare

    settings = Settings.from_dict({**resolve_variant(load_config(str(config)), variant),
                                   "device": "cpu"})
    setup = prepare(settings, data, Path(tempfile.gettempdir()) / "unused")
    setup.ready()
    return lambda: train_epoch(setup.step, setup.model, setup.train_ids, settings,
                               setup.generator)


def pairs(textbook, ours, count: int) -> tuple[list[float], list[float]]:
    """Seconds of ``count`` epochs of each, alternating, after one warm-up epoch each."""
    textbook(), ours()
    times = {textbook: [], ours: []}
    for i in range(count):
        for side in (textbook, ours) if i % 2 == 0 else (ours, textbook):
            start = time.perf_counter()
            side()
            times[side].append(time.perf_counter() - start)
    return times[textbook], times[ours]


def profile(textbook, ours, count: int) -> None:
    """cProfile's top functions (by own time) of ``count`` epochs of each side."""
    for name, side in (("textbook", textbook), ("rnnlab", ours)):
        side()
        profiler = cProfile.Profile()
        profiler.runcall(lambda: [side() for _ in range(count)])  # noqa: B023 -- called here
        print(f"== {name}: {count} epochs")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(15)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("variant")
    parser.add_argument("--pairs", type=int, default=20, help="timed epochs of each side (20)")
    parser.add_argument("--config", type=Path, default=ROOT / "config.yaml")
    parser.add_argument("--data", type=Path, help="preprocessed data (default: made in a temp dir)")
    parser.add_argument("--d2l", type=Path, help="a folder holding the d2l package")
    parser.add_argument("--profile", action="store_true", help="cProfile instead of timing")
    args = parser.parse_args(argv)
    if args.pairs < 1:
        parser.error("--pairs must be >= 1")
    spec = variant_spec(args.config, args.variant)
    keep_freed_memory()  # for both sides of this process
    d2l = import_d2l(args.d2l)
    warnings.filterwarnings("ignore", module="d2l")  # see textbook_loop.py
    with tempfile.TemporaryDirectory(prefix="rnnlab-pairs-") as tmp:
        data = args.data or prepare_data(Path(tmp), environment("cpu"))
        textbook, ours = textbook_epoch(d2l, spec), rnnlab_epoch(args.config, args.variant, data)
        if args.profile:
            profile(textbook, ours, args.pairs)
            return 0
        textbook_s, ours_s = pairs(textbook, ours, args.pairs)
    tb_ms, ours_ms = 1000 * statistics.median(textbook_s), 1000 * statistics.median(ours_s)
    print(f"PAIRS variant={args.variant} epochs={args.pairs} textbook_ms={tb_ms:.1f} "
          f"ours_ms={ours_ms:.1f} ratio={tb_ms / ours_ms:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
