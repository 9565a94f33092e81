#!/usr/bin/env bash
# The cluster test (`make test-cluster`): run the pipeline through the slurm-gpu profile on a
# real single-node Slurm with accounting (tests/cluster/local-slurm.sh), and check that
#   - every training job went through sbatch and is COMPLETED in sacct, on partition gpu and
#     account lab, with one GPU (gres/gpu=1) allocated, one Slurm job per variant;
#   - no other rule went to Slurm (download, preprocess, report and all run locally);
#   - every variant wrote metrics.json for 2 epochs, with the device it resolved (auto) recorded,
#     and the report, once src/rnnlab/report/ exists;
#   - a training job signalled through Slurm (scancel --signal=TERM, as the profile's --signal
#     does before a time limit) writes resume.pt and fails, and the profile's retry resumes it
#     and finishes, within the one snakemake command.
# The pipeline runs in a temporary copy of the project (Snakefile, rules/, workflow/, profiles/,
# a 2-epoch config.yaml), so the repository's results/ is untouched. Every daemon it starts is stopped on
# exit, pass or fail. Needs root (and apt-get when Slurm is not installed): without them it
# fails and says why.
#
# Environment: VENV (default .venv), KEEP=1 keeps the temporary directory,
# CLUSTER_TIMEOUT (seconds for the snakemake run, default 900), NODE_GPUS (fake GPUs, 1-4).
set -euo pipefail

NAME=test-cluster
source "$(dirname "$0")/common.sh"
check_preconditions
make_work_dir cluster

# ---- the cluster: a node as large as a training job asks (config.yaml's resources) ------------
read -r GPU CPUS MEM < <(python - "$ROOT/config.yaml" <<'PY'
import sys
from rnnlab.config import load_config
train = load_config(sys.argv[1])["resources"]
print(train["gpu"], train["cpus_per_task"], train["mem_mb"])
PY
) || fail "cannot read gpu, cpus_per_task and mem_mb of the training jobs from config.yaml"
# NODE_GPUS fake GPUs, so that this many training jobs run at once (as on a 4-GPU node)
NODE_GPUS=${NODE_GPUS:-4}
note "starting a single-node Slurm with $NODE_GPUS fake GPUs in $S (a training job: $GPU GPU, $CPUS CPUs, $MEM MB)"
GPUS=$NODE_GPUS MIN_CPUS=$(( NODE_GPUS * CPUS )) MIN_MEM_MB=$(( NODE_GPUS * (MEM + 1024) )) \
  bash "$SLURM_SH" start "$S"

# ---- a 2-epoch copy of the project -----------------------------------------------------------
copy_project
python - "$ROOT/config.yaml" "$P/config.yaml" <<'PY'
import sys
import yaml
from rnnlab.download import bundled_corpus

config = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
config["training"].update(epochs=2, eval_every=1, checkpoint_every=1)
# offline and deterministic: the bundled copy of the lab's text (same SHA-1)
config["data"]["url"] = bundled_corpus().as_uri()
for settings in config["variants"].values():
    for key in ("epochs", "eval_every", "checkpoint_every"):
        settings.pop(key, None)
yaml.safe_dump(config, open(sys.argv[2], "w", encoding="utf-8"), sort_keys=False)
PY
mapfile -t VARIANTS < <(python -c "import yaml; print('\n'.join(yaml.safe_load(open('$P/config.yaml'))['variants']))")
[ "${#VARIANTS[@]}" -gt 0 ] || fail "no variants in config.yaml"

if [ -f "$ROOT/src/rnnlab/report/__init__.py" ]; then
  TARGETS=(all)
  WITH_REPORT=1
else
  TARGETS=()
  for v in "${VARIANTS[@]}"; do TARGETS+=("results/models/$v/metrics.json"); done
  WITH_REPORT=0
  note "src/rnnlab/report/ does not exist yet: running the ${#VARIANTS[@]} training targets, not 'all'; the report is NOT checked"
fi

# ---- the run ---------------------------------------------------------------------------------
note "snakemake --workflow-profile workflow/profiles/slurm-gpu ${TARGETS[*]}"
slurm_snakemake workflow/profiles/slurm-gpu "${TARGETS[@]}" >"$LOG" 2>&1 \
  || fail "snakemake failed (exit status $?; 124 = it ran past ${TIMEOUT}s)"
note "snakemake finished after $(( $(date +%s) - T0 )) s"

# ---- checks ----------------------------------------------------------------------------------
RUN_ID=$(sed -n 's/.*SLURM run ID: \([0-9a-f-]*\).*/\1/p' "$LOG" | head -n 1)
[ -n "$RUN_ID" ] || fail "no 'SLURM run ID' in the snakemake log: did the slurm executor run at all?"
sacct -a -X -n -P --name="$RUN_ID" --starttime "$(date -d "@$T0" +%Y-%m-%dT%H:%M:%S)" \
  -o JobID,Comment,State,Partition,Account,AllocTRES >"$WORK/sacct.txt"
note "sacct (job name $RUN_ID):"
sed 's/^/    /' "$WORK/sacct.txt"

python - "$WORK/sacct.txt" "$P" "$WITH_REPORT" "$GPU $CPUS $MEM" "${VARIANTS[@]}" <<'PY'
import csv
import json
import sys
from pathlib import Path

import torch

sacct, project, with_report = sys.argv[1], Path(sys.argv[2]), sys.argv[3] == "1"
gpu, cpus, mem = sys.argv[4].split()
variants = sys.argv[5:]
problems = []

# every training job went through sbatch, nothing else did, and all COMPLETED
rows = [line.split("|") for line in Path(sacct).read_text().splitlines() if line.strip()]
by_comment = {}
for job_id, comment, state, partition, account, tres in rows:
    by_comment.setdefault(comment, []).append((job_id, state, partition, account, tres))
expected = {f"rule_train_wildcards_{v}" for v in variants}
for comment in sorted(set(by_comment) - expected):
    problems.append(f"a Slurm job that is not a training job: {comment} (should run locally)")
for comment in sorted(expected):
    jobs = by_comment.get(comment, [])
    if len(jobs) != 1:
        problems.append(f"{comment}: {len(jobs)} Slurm jobs in sacct, expected exactly 1")
        continue
    job_id, state, partition, account, tres = jobs[0]
    if state != "COMPLETED":
        problems.append(f"{comment}: Slurm job {job_id} is {state}, not COMPLETED")
    if partition != "gpu" or account != "lab":
        problems.append(f"{comment}: partition {partition!r}, account {account!r}, expected gpu, lab")
    allocated = tres.split(",")
    for want in (f"gres/gpu={gpu}", f"cpu={cpus}", f"mem={mem}M"):
        if want not in allocated:
            problems.append(f"{comment}: {want} (the profile's) not allocated: AllocTRES {tres}")

# the outputs: 2 epochs per variant, and the device that `device: auto` resolved to. Without
# CUDA here it must be the CPU (the test cluster's GPUs are fake); with CUDA, the fake GPU
# indices need not match the real ones, so either is right.
devices = {"cuda", "cpu"} if torch.cuda.is_available() else {"cpu"}
seen_devices = set()
for v in variants:
    folder = project / "results" / "models" / v
    for name in ("checkpoint.pt", "metrics.json", "curve.png"):
        if not (folder / name).is_file() or (folder / name).stat().st_size == 0:
            problems.append(f"{v}: {name} missing or empty")
    if not (folder / "metrics.json").is_file():
        continue
    metrics = json.loads((folder / "metrics.json").read_text())
    if metrics.get("variant") != v or metrics.get("epochs") != 2:
        problems.append(f"{v}: metrics.json has variant {metrics.get('variant')!r}, "
                        f"epochs {metrics.get('epochs')!r}, expected {v!r}, 2")
    if metrics.get("device_used") not in devices:  # `device` is what was asked: auto
        problems.append(f"{v}: metrics.json records device_used "
                        f"{metrics.get('device_used')!r}, expected one of {sorted(devices)} "
                        "(device: auto)")
    seen_devices.add(metrics.get("device_used"))
    if len(metrics.get("history", [])) != 2:
        problems.append(f"{v}: history has {len(metrics.get('history', []))} epochs, expected 2")
    if not (project / "results" / "logs" / "train" / f"{v}.log").is_file():
        problems.append(f"{v}: no results/logs/train/{v}.log")

if with_report:
    report = project / "results" / "report"
    for name in ("comparison.md", "comparison.csv", "perplexity.png", "gru_vs_lstm.png",
                 "speed.png"):
        if not (report / name).is_file() or (report / name).stat().st_size == 0:
            problems.append(f"report: {name} missing or empty")
    if (report / "comparison.csv").is_file():
        with open(report / "comparison.csv", newline="") as handle:
            table = list(csv.DictReader(handle))
        if len(table) != len(variants):
            problems.append(f"report: comparison.csv has {len(table)} rows, expected {len(variants)}")

if problems:
    print("test-cluster: FAIL:\n  " + "\n  ".join(problems), file=sys.stderr)
    sys.exit(1)
print(f"test-cluster: {len(variants)} training jobs COMPLETED through Slurm "
      f"({gpu} GPU, {cpus} CPUs, {mem} MB each); "
      f"metrics.json for every variant, device {'/'.join(sorted(seen_devices))}"
      + ("; report written" if with_report else "; report not checked (no report.py yet)"))
PY

# ---- a signal through Slurm, and the profile's retry resumes by itself -----------------------
# One variant's training job gets SIGTERM through `scancel --signal=TERM` (to the job steps, as
# the profile's --signal does before a time limit) once it has trained an epoch. checkpoint_every
# is larger than epochs, so resume.pt can only come from the job's signal handler. The job
# fails; the profile's `retries` submits it again and it resumes: the one snakemake command
# must finish with every epoch, two Slurm jobs for the variant (the first FAILED), and a log that
# says it resumed.
SIG_VARIANT=rnn_concise
SIG_EPOCHS=200
cat >"$P/signal.yaml" <<YAML
run: [$SIG_VARIANT]
results_dir: results/signal
training: {epochs: $SIG_EPOCHS, checkpoint_every: 1000000, eval_every: 1}
YAML
SIG_DIR=$P/results/signal/models/$SIG_VARIANT
SIG_LOG=$P/results/signal/logs/train/$SIG_VARIANT.log
note "signal: snakemake $SIG_VARIANT ($SIG_EPOCHS epochs) through slurm-gpu, then scancel --signal=TERM"
slurm_snakemake workflow/profiles/slurm-gpu "results/signal/models/$SIG_VARIANT/metrics.json" \
  --configfile signal.yaml >"$WORK/signal.log" 2>&1 &
SIG_PID=$!
JOB=""
for _ in $(seq 1 180); do   # wait until the job runs and has finished an epoch
  JOB=$(squeue -h -t RUNNING -o "%i %k" | awk -v c="rule_train_wildcards_$SIG_VARIANT" '$2 == c {print $1}')
  [ -n "$JOB" ] && [ "$(cat "$SIG_DIR/history.csv" 2>/dev/null | wc -l)" -ge 3 ] && break
  sleep 1
done
[ -n "$JOB" ] || fail "signal: the training job of $SIG_VARIANT never ran (see $WORK/signal.log)"
note "signal: scancel --signal=TERM $JOB"
scancel --signal=TERM "$JOB"
wait "$SIG_PID" || { LOG=$WORK/signal.log; fail "signal: snakemake did not finish by its retry"; }
grep -q "^resumed $SIG_VARIANT from epoch " "$SIG_LOG" \
  || fail "signal: the retry did not resume ($(head -n 3 "$SIG_LOG"))"
SIG_RUN_ID=$(sed -n 's/.*SLURM run ID: \([0-9a-f-]*\).*/\1/p' "$WORK/signal.log" | head -n 1)
sacct -a -X -n -P --name="$SIG_RUN_ID" --starttime "$(date -d "@$T0" +%Y-%m-%dT%H:%M:%S)" \
  -o JobID,Comment,State | grep -v "^$JOB|" >"$WORK/retry.txt" || true
[ "$(wc -l <"$WORK/retry.txt")" = 1 ] && grep -q "|rule_train_wildcards_$SIG_VARIANT|COMPLETED$" "$WORK/retry.txt" \
  || fail "signal: no second Slurm job COMPLETED for $SIG_VARIANT: $(cat "$WORK/retry.txt")"
[ "$(sacct -n -X -P -j "$JOB" -o State)" != COMPLETED ] || fail "signal: the signalled job $JOB COMPLETED"
python - "$SIG_DIR/metrics.json" "$SIG_EPOCHS" <<'PY' || fail "signal: the resumed run's metrics are wrong"
import json
import sys

metrics = json.load(open(sys.argv[1]))
assert [row["epoch"] for row in metrics["history"]] == list(range(1, int(sys.argv[2]) + 1))
PY
[ ! -e "$SIG_DIR/resume.pt" ] || fail "signal: resume.pt is still there after the job finished"
note "signal: $(head -n 1 "$SIG_LOG") in Slurm job $(cut -d'|' -f1 "$WORK/retry.txt" | head -n 1), after $JOB was signalled; one snakemake command"
