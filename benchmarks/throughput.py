"""Training throughput of rnnlab against the textbook's own loop, variant by variant.

    python benchmarks/throughput.py [--variants V ...] [--epochs N] [--device cpu|cuda]
                                    [--d2l DIR] [--textbook-python PY] [--repeats R]
                                    [--stat median|best] [--json FILE] [--markdown FILE]

``make bench ARGS="..."`` installs d2l 0.17.6 (without its pinned dependencies) and runs this.
For each variant the textbook and ours run alternately in the same sitting, R times each, in
the order textbook-ours, ours-textbook, ... so that a drift in the machine's speed hits both
alike. The table gives the median (or best) tokens/second of each and their ratio, ours /
textbook.

- Both sides are timed alike: one untimed warm-up epoch, then N timed epochs.
- Ours: ``rnnlab train --config config.yaml --variant V --data DATA --out TMP --epochs N+1
  --quiet --device D`` in a subprocess; its tokens/second are the tokens over the seconds of
  epochs 2 to N+1 of metrics.json's ``history`` (the training passes alone: no start-up and
  no held-out evaluation).
- The textbook: ``benchmarks/textbook_loop.py VARIANT N`` (d2l 0.17.6's ``train_epoch_ch8``
  on the same model and tokens) prints ``RESULT ... tok/s=...``; it runs one untimed warm-up
  epoch first and times the N epochs after it.
- Data: ``--data DIR`` (what ``rnnlab preprocess`` wrote), else it is preprocessed from the
  bundled text into a temporary directory; results/ is never needed.
- ``--device cpu`` hides GPUs from both (``CUDA_VISIBLE_DEVICES=``): the textbook's loop has
  no device switch and takes CUDA whenever it sees one.

Quote the ratios: absolute figures drift from run to run.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEXTBOOK_LOOP = ROOT / "benchmarks" / "textbook_loop.py"
RESULT = re.compile(r"^RESULT .*?device=(\S+).*?tok/s=([0-9.]+)", re.MULTILINE)


def config_variants(config: Path) -> list[str]:
    import yaml

    return list(yaml.safe_load(config.read_text("utf-8"))["variants"])


def environment(device: str) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"),
                                                      env.get("PYTHONPATH")]))
    if device == "cpu":
        env["CUDA_VISIBLE_DEVICES"] = ""
    return env


def run(cmd: list[str], env: dict, timeout: float, cwd: Path | None = None) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout,
                          cwd=cwd)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n"
                           f"{proc.stdout[-2000:]}{proc.stderr[-4000:]}")
    return proc.stdout


def prepare_data(tmp: Path, env: dict) -> Path:
    out = tmp / "data"
    run([sys.executable, "-m", "rnnlab.cli", "preprocess", "--text",
         str(ROOT / "src/rnnlab/resources/timemachine.txt"), "--token", "char", "--out", str(out)],
        env, timeout=300)
    return out


def run_ours(variant: str, args, data: Path, out: Path, env: dict) -> dict:
    run([sys.executable, "-m", "rnnlab.cli", "train", "--config", str(args.config),
         "--variant", variant, "--data", str(data), "--out", str(out),
         "--epochs", str(args.epochs + 1), "--quiet", "--device", args.device],
        env, timeout=args.timeout)
    metrics = json.loads((out / "metrics.json").read_text("utf-8"))
    timed = metrics["history"][1:]  # after the warm-up epoch, as the textbook's side
    tok_s = sum(row["tokens"] for row in timed) / sum(row["seconds"] for row in timed)
    # device_used: the device trained on (older metrics.json files say it under device).
    used = metrics.get("device_used", metrics["device"])
    return {"tok_s": tok_s, "device": used,
            "device_name": metrics.get("device_name"), "ppl": metrics["train_perplexity"]}


def run_textbook(variant: str, args, env: dict) -> dict:
    d2l = ["--d2l", str(args.d2l)] if args.d2l else []
    stdout = run([args.textbook_python, str(TEXTBOOK_LOOP), variant, str(args.epochs),
                  "--config", str(args.config), *d2l], env, timeout=args.timeout)
    match = RESULT.search(stdout)
    if not match:
        raise RuntimeError(f"no RESULT line in the textbook loop's output:\n{stdout[-2000:]}")
    return {"tok_s": float(match.group(2)), "device": match.group(1).split(":")[0]}


def summarize(values: list[float], stat: str) -> float:
    return max(values) if stat == "best" else statistics.median(values)


def machine() -> dict:
    import torch

    info = {"date": datetime.date.today().isoformat(), "python": platform.python_version(),
            "torch": torch.__version__, "threads": torch.get_num_threads(),
            "cpus": os.cpu_count(), "cpu_model": platform.processor() or platform.machine()}
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        model = re.search(r"^Model name:\s*(.+)$", lscpu, re.MULTILINE)
        if model:
            info["cpu_model"] = model.group(1).strip()
    except OSError:
        pass
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def markdown(rows: list[dict], stat: str) -> str:
    lines = [f"| variant | textbook tok/s ({stat}) | ours tok/s ({stat}) | ratio | "
             "ratio of medians | runs |", "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['variant']} | {r['textbook']:.0f} | {r['ours']:.0f} | "
                     f"{r['ratio']:.2f} | {r['ratio_median']:.2f} | {len(r['ours_runs'])} |")
    return "\n".join(lines) + "\n"


def measure(variant: str, args, data: Path, tmp: Path, env: dict) -> dict:
    """The textbook's and our runs of one variant, alternating, and their summary."""
    textbook_runs, ours_runs = [], []
    for r in range(args.repeats):
        order = ("textbook", "ours") if r % 2 == 0 else ("ours", "textbook")
        for who in order:
            if who == "textbook":
                textbook_runs.append(run_textbook(variant, args, env))
            else:
                ours_runs.append(run_ours(variant, args, data, tmp / f"{variant}-{r}",
                                          env))
    devices = {x["device"] for x in textbook_runs + ours_runs}
    if devices != {args.device}:
        raise RuntimeError(f"{variant}: runs used {sorted(devices)}, not {args.device}")
    textbook_tok = [x["tok_s"] for x in textbook_runs]
    ours_tok = [x["tok_s"] for x in ours_runs]
    row = {"variant": variant, "textbook": summarize(textbook_tok, args.stat),
           "ours": summarize(ours_tok, args.stat), "textbook_runs": textbook_tok,
           "ours_runs": ours_tok,
           "ratio_median": statistics.median(ours_tok) / statistics.median(textbook_tok)}
    row["ratio"] = row["ours"] / row["textbook"]
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", nargs="+", help="default: all of the config's variants")
    parser.add_argument("--epochs", type=int, default=20,
                        help="timed epochs of each run (20); each side runs one more, "
                             "untimed, first")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--d2l", type=Path,
                        help="a folder holding the d2l package (default: the installed one)")
    parser.add_argument("--textbook-python", default=sys.executable,
                        help="the Python that runs the textbook's loop (default: this one)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each, alternating (3)")
    parser.add_argument("--stat", choices=["median", "best"], default="median",
                        help="which run of each to compare (median, the default; best: the run "
                             "least disturbed by other load)")
    parser.add_argument("--config", type=Path, default=ROOT / "config.yaml")
    parser.add_argument("--data", type=Path, help="preprocessed data (default: made in a temp dir)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per run (1800)")
    parser.add_argument("--json", type=Path, help="write the results as JSON here")
    parser.add_argument("--markdown", type=Path, help="write the table as markdown here")
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.repeats < 1:
        parser.error("--epochs and --repeats must be >= 1")
    variants = args.variants or config_variants(args.config)
    env = environment(args.device)
    rows = []
    with tempfile.TemporaryDirectory(prefix="rnnlab-bench-") as tmp:
        tmp = Path(tmp)
        data = args.data or prepare_data(tmp, env)
        print(f"{'variant':<20} {'textbook tok/s':>15} {'ours tok/s':>11} {'ratio':>6}  (ours / "
              f"textbook, {args.stat} of {args.repeats}, {args.epochs} epochs, {args.device})",
              flush=True)
        for variant in variants:
            row = measure(variant, args, data, tmp, env)
            rows.append(row)
            print(f"{variant:<20} {row['textbook']:>15.0f} {row['ours']:>11.0f} "
                  f"{row['ratio']:>6.2f}", flush=True)
    result = {"machine": machine(), "device": args.device, "epochs": args.epochs,
              "repeats": args.repeats, "stat": args.stat,
              "textbook": "benchmarks/textbook_loop.py (d2l 0.17.6 train_epoch_ch8)",
              "timed": "the epochs after one untimed warm-up epoch, on both sides",
              "rows": rows}
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if args.markdown:
        args.markdown.write_text(markdown(rows, args.stat), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
