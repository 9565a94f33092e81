"""Where the wall time of a whole-lab run goes, from what the run left in its results folder.

    python benchmarks/lab_timeline.py RESULTS_DIR --wall SECONDS [--json FILE]

RESULTS_DIR is the ``results_dir`` of a finished ``snakemake ... all`` run; ``--wall`` is that
run's wall time (start to report written), measured by the caller (``benchmarks/gpu.sh``
does). It reads, per training job:

- ``benchmarks/train/<variant>.tsv`` (Snakemake's ``benchmark:``): the job's whole wall time;
- ``models/<variant>/metrics.json``: ``train_seconds`` (the training epochs alone) and
  ``train_started``/``train_ended`` (wall clock around the epochs, evaluations included).

and splits each job into start-up and finish (imports, CUDA init, data loading, graph capture,
predictions, plots: the job's wall time outside the epochs' span), training, and held-out
evaluation with checkpoints (the span minus the training seconds). Across jobs it gives how much
the training spans overlapped (jobs sharing the device) and what is left for Snakemake itself
and the report (the wall time not covered by any job). Seconds of different jobs add up to more
than the wall time when jobs run at once: read the per-job sums as device-seconds.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path


def job_seconds(tsv: Path) -> float:
    """The ``s`` column of one Snakemake benchmark file (one row per repeat: the first)."""
    with tsv.open(encoding="utf-8") as handle:
        return float(next(csv.DictReader(handle, delimiter="\t"))["s"])


def covered(spans: list[tuple[float, float]]) -> float:
    """Seconds covered by at least one of the (start, end) spans."""
    total, reach = 0.0, float("-inf")
    for start, end in sorted(spans):
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total


def timeline(results: Path, wall: float) -> dict:
    jobs = []
    for metrics_path in sorted(results.glob("models/*/metrics.json")):
        metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
        variant = metrics_path.parent.name
        tsv = results / "benchmarks" / "train" / f"{variant}.tsv"
        started, ended = metrics.get("train_started"), metrics.get("train_ended")
        if not tsv.exists() or started is None or ended is None:
            print(f"skipping {variant}: no benchmark file or no train_started/train_ended",
                  file=sys.stderr)
            continue
        job, span = job_seconds(tsv), ended - started
        jobs.append({"variant": variant, "job": job, "span": span, "started": started,
                     "ended": ended, "training": metrics["train_seconds"],
                     "evaluation": max(span - metrics["train_seconds"], 0.0),
                     "startup_and_finish": max(job - span, 0.0)})
    if not jobs:
        raise SystemExit(f"no training job with timings under {results}")
    spans = [(job["started"], job["ended"]) for job in jobs]
    union = covered(spans)
    summed = sum(job["span"] for job in jobs)
    return {
        "wall": wall,
        "jobs": len(jobs),
        "training_span_union": union,
        "training_span_sum": summed,
        "overlap_factor": summed / union if union else 0.0,
        "per_job_sums": {key: sum(job[key] for job in jobs)
                         for key in ("job", "training", "evaluation", "startup_and_finish")},
        "outside_training_spans": wall - union,
        "rows": jobs,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path, help="the run's results_dir")
    parser.add_argument("--wall", type=float, required=True, help="the run's wall seconds")
    parser.add_argument("--json", type=Path, help="write the breakdown here as JSON")
    args = parser.parse_args(argv)
    result = timeline(args.results, args.wall)
    print(f"{'variant':<22} {'job s':>7} {'start+finish':>12} {'training':>9} {'eval+ckpt':>9}")
    for row in result["rows"]:
        print(f"{row['variant']:<22} {row['job']:>7.1f} {row['startup_and_finish']:>12.1f} "
              f"{row['training']:>9.1f} {row['evaluation']:>9.1f}")
    sums = result["per_job_sums"]
    print(f"{'sum (job-seconds)':<22} {sums['job']:>7.1f} {sums['startup_and_finish']:>12.1f} "
          f"{sums['training']:>9.1f} {sums['evaluation']:>9.1f}")
    print(f"wall {result['wall']:.1f} s: training spans cover {result['training_span_union']:.1f}"
          f" s (jobs overlapped {result['overlap_factor']:.1f}x on average); "
          f"{result['outside_training_spans']:.1f} s outside any training span (Snakemake, "
          f"start-up before the first epoch, the report)")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
