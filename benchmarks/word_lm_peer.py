"""rnnlab against PyTorch's word_language_model on the same three files and settings.

    python benchmarks/word_lm_peer.py PEER_DIR [--data DIR] [--seeds 5] [--dropout 0 0.5]
        [--epochs 6] [--threads 1] [--impl torch|scratch]

PEER_DIR is a checkout of pytorch/examples' ``word_language_model`` (BSD-3; its main.py is run
as it is). DIR holds ``train.txt``, ``valid.txt`` and ``test.txt``; without ``--data`` they are
built from the lab's bundled text: its lines, in order, 80 % / 10 % / 10 %. Both train the
peer's settings (2-layer LSTM, emsize = nhid = 100, tied, lr 20, clip 0.25, bptt 35, batch 20,
held-out and test batch 10, lr / 4 when held-out loss does not improve; rnnlab with
``sampling: fixed``, the peer's batching, and its torch.nn LSTM, or with ``--impl scratch`` its
LSTM written from the equations) for each seed and dropout, the two taking turns going
first so that a change in the machine's speed hits both alike. Each run is a fresh process on
``--threads`` threads.

Speed: each side prints a line at the end of every epoch (after its held-out evaluation; the
peer's ``end of epoch``, rnnlab's progress line), read as it comes. An epoch's time is the time
between two such lines: everything either loop does per epoch (training, evaluation, saving
the best model, logging). "epochs" sums epochs 2 to N, after each side's first epoch, which
also holds one-time work (the first kernels, and for rnnlab the first drawing of curve.png);
"whole runs" is the wall time of the processes. Ratios are the peer's seconds over rnnlab's:
above 1 means rnnlab is faster. Prints each run, then per dropout the mean test perplexity with
a 95 % interval (t distribution), the Welch test of the two means, and the speed ratios.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from rnnlab.download import bundled_corpus
from rnnlab.report.stats import summarise, welch_p

SPLITS = ("train", "valid", "test")
SETTINGS = {"emsize": 100, "nhid": 100, "nlayers": 2, "lr": 20, "clip": 0.25, "bptt": 35,
            "batch_size": 20}


def build_corpus(folder: Path) -> Path:
    """The lab's text as three files of whole lines: 80 % train, 10 % valid, 10 % test."""
    lines = bundled_corpus().read_text("utf-8").splitlines(keepends=True)
    cut1, cut2 = int(len(lines) * 0.8), int(len(lines) * 0.9)
    for split, part in zip(SPLITS, (lines[:cut1], lines[cut1:cut2], lines[cut2:]), strict=True):
        (folder / f"{split}.txt").write_text("".join(part), encoding="utf-8")
    return folder


def timed_lines(command: list[str], cwd: Path | None, env: dict,
                end_of_epoch: re.Pattern) -> tuple[str, float, list[float]]:
    """Run ``command``, reading its output line by line as it comes: (the output, the wall
    seconds, the time of each line that matches ``end_of_epoch``)."""
    start, marks, lines = time.perf_counter(), [], []
    with subprocess.Popen(command, cwd=cwd, env={**env, "PYTHONUNBUFFERED": "1"}, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as process:
        for line in process.stdout:
            if end_of_epoch.search(line):
                marks.append(time.perf_counter())
            lines.append(line)
    output = "".join(lines)
    if process.returncode:
        raise SystemExit(f"{command[1]} failed ({process.returncode}):\n{output[-2000:]}")
    return output, time.perf_counter() - start, marks


def steady_epochs(marks: list[float], epochs: int) -> float:
    """Seconds of epochs 2 to N: from the first epoch's end-of-epoch line to the last one's."""
    if len(marks) != epochs:
        raise SystemExit(f"expected {epochs} end-of-epoch lines, read {len(marks)}")
    return marks[-1] - marks[0]


def run_peer(peer: Path, data: Path, work: Path, seed: int, dropout: float, epochs: int,
             env: dict) -> tuple[float, float, float]:
    """word_language_model's main.py: (test perplexity, wall seconds, seconds of epochs 2-N)."""
    s = SETTINGS
    command = [sys.executable, str(peer / "main.py"), "--data", str(data), "--model", "LSTM",
               "--emsize", str(s["emsize"]), "--nhid", str(s["nhid"]),
               "--nlayers", str(s["nlayers"]), "--lr", str(s["lr"]), "--clip", str(s["clip"]),
               "--epochs", str(epochs), "--batch_size", str(s["batch_size"]),
               "--bptt", str(s["bptt"]), "--dropout", str(dropout), "--tied",
               "--seed", str(seed), "--save", str(work / "peer.pt")]
    out, seconds, marks = timed_lines(command, peer, env, re.compile(r"\| end of epoch"))
    test = float(re.search(r"test ppl\s+([\d.]+)", out).group(1))
    return test, seconds, steady_epochs(marks, epochs)


def rnnlab_config(data: Path, seed: int, dropout: float, epochs: int,
                  impl: str = "torch") -> dict:
    """The same model and schedule as an rnnlab config."""
    s = SETTINGS
    files = {split: {"url": str(data / f"{split}.txt"), "sha1": "0" * 40} for split in SPLITS}
    return {
        "data": {"files": files, "token": "whitespace"},
        "training": {"batch_size": s["batch_size"], "num_steps": s["bptt"], "epochs": epochs,
                     "sampling": "fixed", "clip": s["clip"], "seed": seed, "eval_every": 1,
                     "eval_batch_size": 10, "anneal": 4, "checkpoint_every": epochs,
                     "prefixes": [], "num_preds": 0, "device": "cpu"},
        "variants": {"peer": {"cell": "lstm", "impl": impl, "layers": s["nlayers"],
                              "hidden": s["nhid"], "embedding": s["emsize"], "tied": True,
                              "dropout": dropout, "lr": s["lr"]}},
    }


def run_rnnlab(data_dir: Path, data: Path, work: Path, seed: int, dropout: float,
               epochs: int, threads: int, env: dict, impl: str) -> tuple[float, float, float]:
    """``rnnlab train`` on the preprocessed files: (test perplexity, wall seconds, seconds of
    epochs 2-N)."""
    config = work / "config.yaml"
    config.write_text(yaml.safe_dump(rnnlab_config(data, seed, dropout, epochs, impl)))
    out = work / f"rnnlab-{seed}-{dropout}"
    command = [sys.executable, "-m", "rnnlab.cli", "train", "--config", str(config), "--variant",
               "peer", "--data", str(data_dir), "--out", str(out), "--threads", str(threads)]
    _, seconds, marks = timed_lines(command, None, env, re.compile(r"^peer epoch \d+/"))
    metrics = yaml.safe_load((out / "metrics.json").read_text())
    return metrics["test_perplexity"], seconds, steady_epochs(marks, epochs)


def interval(values: list[float]) -> str:
    """mean ± half-width of the 95 % t interval (the report's replicate summary)."""
    summary = summarise(values)
    return f"{summary.mean:.1f}" + (f" ± {summary.ci95:.1f}" if summary.ci95 is not None else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("peer", type=Path, help="a word_language_model checkout")
    parser.add_argument("--data", type=Path, help="folder of train.txt, valid.txt, test.txt")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--dropout", type=float, nargs="+", default=[0.0, 0.5])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--impl", choices=("torch", "scratch"), default="torch")
    args = parser.parse_args()
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads),
           "MKL_NUM_THREADS": str(args.threads)}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data = args.data or build_corpus(Path(tmp))
        data_dir = work / "rnnlab-data"
        subprocess.run([sys.executable, "-m", "rnnlab.cli", "preprocess", "--files",
                        *(str(data / f"{split}.txt") for split in SPLITS), "--token",
                        "whitespace", "--out", str(data_dir)], check=True, env=env)
        results = {}
        for dropout in args.dropout:
            for seed in range(1, args.seeds + 1):
                for name in (("peer", "rnnlab") if seed % 2 else ("rnnlab", "peer")):
                    if name == "peer":  # the two take turns going first
                        ppl, seconds, loop = run_peer(args.peer.resolve(), data.resolve(), work,
                                                      seed, dropout, args.epochs, env)
                    else:
                        ppl, seconds, loop = run_rnnlab(data_dir, data, work, seed, dropout,
                                                        args.epochs, args.threads, env,
                                                        args.impl)
                    results.setdefault((dropout, name), []).append((ppl, seconds, loop))
                    print(f"dropout {dropout} seed {seed} {name}: test perplexity {ppl:.2f}, "
                          f"{seconds:.1f} s in all, {loop:.1f} s of epochs 2-{args.epochs}",
                          flush=True)
        for dropout in args.dropout:
            peer, mine = results[(dropout, "peer")], results[(dropout, "rnnlab")]
            whole = sum(r[1] for r in peer) / sum(r[1] for r in mine)
            epochs = sum(r[2] for r in peer) / sum(r[2] for r in mine)
            change = statistics.mean(r[0] for r in mine) / statistics.mean(r[0] for r in peer)
            welch = welch_p([r[0] for r in mine], [r[0] for r in peer]) \
                if args.seeds > 1 else None  # None too where neither side has any spread
            print(f"dropout {dropout}: test perplexity peer {interval([r[0] for r in peer])}, "
                  f"rnnlab {interval([r[0] for r in mine])} ({change - 1:+.1%}, Welch p = "
                  f"{'n/a' if welch is None else f'{welch:.2f}'}); speed rnnlab / peer: "
                  f"epochs 2-{args.epochs} {epochs:.2f}x, "
                  f"whole runs {whole:.2f}x", flush=True)


if __name__ == "__main__":
    main()
