"""What a pipeline run is about to do and roughly how long it will take: printed by the workflow
before its first job (rules/common.smk, ``onstart``). The estimate comes from measured
per-epoch costs of the lab's variants on the CPU and on a GPU, scaled to each job's settings."""

from __future__ import annotations

import heapq
import json
from pathlib import Path

# Seconds per training epoch of each of the lab's model shapes at the lab's sizes (10000
# training tokens: 8 batches of 32 x 35).
# CPU: one thread, as the train rule runs it; 2-core Intel Xeon, torch 2.13.0+cpu, 2026-11-29,
# median of epochs 2-4 of `rnnlab train --epochs 4 --threads 1`. Other machines differ: the
# estimate is a rough guide, and the run says so.
# GPU: one NVIDIA H200 with CUDA graphs, each variant alone on the GPU (BENCHMARKS.md).
LAB_TRAIN_TOKENS = 10000
EPOCH_SECONDS = {  # (cell, impl, layers, hidden): (cpu, gpu)
    ("rnn", "scratch", 1, 512): (0.14, 0.0059),
    ("rnn", "torch", 1, 256): (0.06, 0.0028),
    ("rnn", "torch", 2, 256): (0.15, 0.0044),
    ("gru", "scratch", 1, 256): (0.47, 0.0143),
    ("gru", "torch", 1, 256): (0.40, 0.0068),
    ("gru", "torch", 2, 256): (1.16, 0.0083),
    ("lstm", "scratch", 1, 256): (0.60, 0.0112),
    ("lstm", "torch", 1, 256): (0.41, 0.0076),
    ("lstm", "torch", 2, 256): (1.41, 0.0099),
}
# Besides the epochs: start-up (imports, data), predictions and the plot, per job on the CPU and
# once on the GPU, where the jobs start together (the lab's 57 s on an H200 include it).
JOB_OVERHEAD_SECONDS = (3.0, 12.0)
# A held-out evaluation runs forward only: about a third of a training pass per token.
EVAL_COST = 1 / 3


def epoch_seconds(settings: dict, corpus_tokens: int | None = None) -> tuple[float, float] | None:
    """(CPU, GPU) seconds of one epoch with ``settings``, evaluation included: the measured cost
    of the same shape, or of the same cell and implementation scaled by layers x hidden^2,
    times the tokens. None when the training size is unknown (train_tokens 0 and no corpus)."""
    key = (settings["cell"], settings["impl"], settings["layers"], settings["hidden"])
    if key in EPOCH_SECONDS:
        cpu, gpu = EPOCH_SECONDS[key]
    else:
        near = [(shape, cost) for shape, cost in EPOCH_SECONDS.items() if shape[:2] == key[:2]]
        (_, _, layers, hidden), (cpu, gpu) = min(
            near, key=lambda item: abs(item[0][2] * item[0][3] ** 2 - key[2] * key[3] ** 2))
        work = key[2] * key[3] ** 2 / (layers * hidden ** 2)
        cpu, gpu = cpu * work, gpu * work
    train_tokens = settings["train_tokens"] or (
        corpus_tokens - settings["val_tokens"] if corpus_tokens else None)
    if not train_tokens:
        return None
    tokens = train_tokens + EVAL_COST * settings["val_tokens"] / settings["eval_every"]
    return cpu * tokens / LAB_TRAIN_TOKENS, gpu * tokens / LAB_TRAIN_TOKENS


def wall_seconds(job_seconds: list[float], slots: int) -> float:
    """The wall time of jobs run ``slots`` at a time, longest first (as a scheduler would)."""
    finish = [0.0] * max(1, min(slots, len(job_seconds)))
    for seconds in sorted(job_seconds, reverse=True):
        heapq.heapreplace(finish, finish[0] + seconds)
    return max(finish)


def duration(seconds: float) -> str:
    """A rough human duration: '40 s', '7 min', '2.5 h'."""
    if seconds < 90:
        return f"{max(seconds, 1):.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def describe_run(jobs: list[dict], cores: int, logs_dir: str,
                 corpus_tokens: int | None = None) -> str:
    """What the run will do: the training jobs' variants and epochs, about how long they take
    on a CPU (``cores`` one-thread jobs at a time) and on one GPU (the jobs sharing it), from
    the per-epoch costs measured above, and where to watch them."""
    if not jobs:
        return "rnnlab: no training job to run (the models are up to date)."
    by_epochs: dict[int, list[str]] = {}
    for settings in jobs:
        by_epochs.setdefault(settings["epochs"], []).append(settings["variant"])
    what = "; ".join(f"{epochs} epoch{'s' * (epochs != 1)} of {', '.join(names)}"
                     for epochs, names in sorted(by_epochs.items(), reverse=True))
    cores = max(1, min(cores, len(jobs)))
    lines = [f"rnnlab: {len(jobs)} training job{'s' * (len(jobs) > 1)}: {what}."]
    costs = [(settings["epochs"], epoch_seconds(settings, corpus_tokens)) for settings in jobs]
    if all(cost is not None for _, cost in costs):
        cpu = wall_seconds([epochs * cost[0] + JOB_OVERHEAD_SECONDS[0]
                            for epochs, cost in costs], cores)
        gpu = sum(epochs * cost[1] for epochs, cost in costs) + JOB_OVERHEAD_SECONDS[1]
        lines.append(f"rnnlab: about {duration(cpu)} on a CPU ({cores} job"
                     f"{'s' * (cores > 1)} at a time), about {duration(gpu)} on one GPU "
                     "(estimates from per-epoch costs measured on a 2-core CPU and an H200).")
    else:
        lines.append("rnnlab: no time estimate: the training size is known only after "
                     "preprocessing (train_tokens: 0).")
    lines.append(f"rnnlab: watch a job with `tail -f {logs_dir}/train/<variant>.log`, "
                 f"e.g. {logs_dir}/train/{jobs[0]['variant']}.log")
    return "\n".join(lines)


def describe_workflow(workflow, variant_order: list[str], logs_dir: str,
                      stats_path: str | Path) -> str:
    """The plan of a Snakemake run (what ``onstart`` prints), read from ``workflow``'s graph of
    jobs to run and its cores or jobs at once. Those are Snakemake's internals, which any 9.x
    release may change, so any error reading them gives one short line instead: the plan never
    stops or fails a run."""
    try:
        jobs = [json.loads(job.params.settings) for job in workflow.dag.needrun_jobs()
                if job.rule.name == "train"]
        jobs.sort(key=lambda settings: variant_order.index(settings["variant"]))
        # --cores here, or --jobs with a cluster executor
        slots = workflow.global_resources["_cores"].value or workflow.nodes
        stats = Path(stats_path)
        corpus = json.loads(stats.read_text("utf-8"))["corpus_length"] if stats.exists() else None
        return describe_run(jobs, int(slots), logs_dir, corpus)
    except Exception as err:  # whatever changed there, the run goes on
        return (f"rnnlab: no plan for this run (reading Snakemake's jobs failed: "
                f"{type(err).__name__}).")
