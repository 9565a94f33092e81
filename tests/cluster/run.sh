#!/usr/bin/env bash
# The cluster test (`make test-cluster`): run the pipeline through the slurm-gpu profile on a
# real single-node Slurm with accounting (tests/cluster/local-slurm.sh), and check that
#   - every training job went through sbatch and is COMPLETED in sacct, on partition gpu and
#     account lab, with one GPU (gres/gpu=1) allocated, one Slurm job per variant;
#   - no other rule went to Slurm (download, preprocess, report and all run locally);
#   - every variant wrote metrics.json for 2 epochs, with the device it resolved (auto) recorded,
#     and the report, once src/rnnlab/report/ exists;
#   - a training job signalled through Slurm (scancel --signal=TERM, as the profile's --signal
#     does before a time limit) writes resume.pt, and the next run resumes from it and finishes.
# The pipeline runs in a temporary copy of the project (Snakefile, rules/, workflow/, a 2-epoch
# config.yaml), so the repository's results/ is untouched. Every daemon it starts is stopped on
# exit, pass or fail. Needs root (and apt-get when Slurm is not installed): without them it
# fails and says why.
#
# Environment: VENV (default .venv), KEEP=1 keeps the temporary directory,
# CLUSTER_TIMEOUT (seconds for the snakemake run, default 900), NODE_GPUS (fake GPUs, 1-4).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VENV=${VENV:-$ROOT/.venv}
case "$VENV" in /*) ;; *) VENV=$ROOT/$VENV ;; esac
TIMEOUT=${CLUSTER_TIMEOUT:-900}
SLURM_SH=$ROOT/tests/cluster/local-slurm.sh
T0=$(date +%s)

fail() { echo "test-cluster: FAIL: $*" >&2; exit 1; }
note() { echo "test-cluster: $*"; }

# ---- preconditions: say why instead of skipping ----------------------------------------------
[ "$(id -u)" = 0 ] || fail "needs root: it starts a single-node Slurm (munged, MariaDB, slurmdbd, slurmctld, slurmd) and installs its Debian packages with apt-get; run it as root (as CI does)"
command -v slurmctld >/dev/null || command -v apt-get >/dev/null \
  || fail "Slurm is not installed and there is no apt-get to install it (needs a Debian machine)"
[ -x "$VENV/bin/snakemake" ] || fail "no snakemake in $VENV (run make, or set VENV)"
export PATH="$VENV/bin:$PATH"   # sbatch exports it: the jobs find snakemake and rnnlab
command -v rnnlab >/dev/null || fail "no rnnlab command in $VENV/bin (pip install -e '.[slurm]')"
python -c "import snakemake_executor_plugin_slurm" 2>/dev/null \
  || fail "the Slurm executor plugin is not installed in $VENV (pip install -e '.[slurm]')"

WORK=$(mktemp -d /tmp/rnnlab-cluster.XXXXXX)
chmod 755 "$WORK"   # MariaDB runs as user mysql and keeps its database in here
S=$WORK/slurm
P=$WORK/project
LOG=$WORK/snakemake.log

cleanup() {
  local rc=$?
  set +e
  if [ "$rc" != 0 ]; then
    echo "test-cluster: ---- diagnostics (exit status $rc)" >&2
    if [ -f "$LOG" ]; then echo "----- tail -n 60 $LOG" >&2; tail -n 60 "$LOG" >&2; fi
    if [ -d "$P/.snakemake/slurm_logs" ]; then
      find "$P/.snakemake/slurm_logs" -name '*.log' -type f | head -n 3 | while read -r f; do
        echo "----- tail -n 30 $f" >&2; tail -n 30 "$f" >&2
      done
    fi
    if [ -d "$P/results/logs" ]; then
      find "$P/results/logs" -name '*.log' -type f -size +0 | head -n 3 | while read -r f; do
        echo "----- tail -n 20 $f" >&2; tail -n 20 "$f" >&2
      done
    fi
    [ -f "$S/slurmctld.pid" ] && { echo "----- squeue / sacct" >&2; squeue >&2; sacct -a -X -o JobID,JobName%40,Comment%50,State,ExitCode >&2; }
    bash "$SLURM_SH" logs "$S" >&2
  fi
  echo "test-cluster: stopping the daemons this test started"
  bash "$SLURM_SH" stop "$S"
  if [ "$rc" = 0 ] && [ "${KEEP:-0}" != 1 ]; then
    rm -rf "$WORK"
  else
    echo "test-cluster: kept $WORK"
  fi
  echo "test-cluster: $([ "$rc" = 0 ] && echo PASS || echo FAIL) after $(( $(date +%s) - T0 )) s"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

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
mkdir -p "$P"
cp -r "$ROOT/Snakefile" "$ROOT/rules" "$ROOT/workflow" "$P/"
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
cd "$P"
timeout "$TIMEOUT" snakemake --workflow-profile workflow/profiles/slurm-gpu \
  --default-resources slurm_account=lab slurm_partition=gpu \
  --slurm-init-seconds-before-status-checks 2 \
  "${TARGETS[@]}" >"$LOG" 2>&1 \
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
    if metrics.get("device") not in devices:
        problems.append(f"{v}: metrics.json records device {metrics.get('device')!r}, "
                        f"expected one of {sorted(devices)} (device: auto)")
    seen_devices.add(metrics.get("device"))
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

# ---- a signal through Slurm: the job writes resume.pt, and the next run resumes from it ------
# One variant that would train for hours gets SIGTERM through `scancel --signal=TERM` (to the job
# steps, as the profile's --signal does before a time limit). checkpoint_every is larger than
# epochs, so resume.pt can only come from the job's signal handler. The rerun asks for 2 epochs
# more than resume.pt holds, so it ends quickly, and must say it resumed.
SIG_VARIANT=rnn_concise
cat >"$P/signal.yaml" <<YAML
run: [$SIG_VARIANT]
results_dir: results/signal
training: {epochs: 100000, checkpoint_every: 1000000, eval_every: 1000}
YAML
SIG_DIR=$P/results/signal/models/$SIG_VARIANT
SIG_LOG=$P/results/signal/logs/train/$SIG_VARIANT.log
note "signal: snakemake $SIG_VARIANT (100000 epochs) through slurm-gpu, then scancel --signal=TERM"
snakemake "results/signal/models/$SIG_VARIANT/metrics.json" \
  --workflow-profile workflow/profiles/slurm-gpu \
  --default-resources slurm_account=lab slurm_partition=gpu \
  --slurm-init-seconds-before-status-checks 2 --configfile signal.yaml >"$WORK/signal.log" 2>&1 &
SIG_PID=$!
JOB=""
for _ in $(seq 1 180); do   # wait until the job runs and has finished an epoch or two
  JOB=$(squeue -h -t RUNNING -o "%i %k" | awk -v c="rule_train_wildcards_$SIG_VARIANT" '$2 == c {print $1}')
  [ -n "$JOB" ] && [ -f "$SIG_LOG" ] && grep -q "epoch 1/" "$SIG_LOG" && break
  sleep 1
done
[ -n "$JOB" ] || fail "signal: the training job of $SIG_VARIANT never ran (see $WORK/signal.log)"
sleep 3
note "signal: scancel --signal=TERM $JOB"
scancel --signal=TERM "$JOB"
wait "$SIG_PID" && fail "signal: snakemake succeeded although its training job was signalled"
[ -f "$SIG_DIR/resume.pt" ] || { tail -n 20 "$SIG_LOG" >&2; fail "signal: no resume.pt after SIGTERM"; }
grep -q "resume.pt" "$SIG_LOG" || fail "signal: the job's log does not say it wrote resume.pt"
SIG_EPOCH=$(python -c "import sys, torch; print(torch.load(sys.argv[1], weights_only=True)['epoch'])" "$SIG_DIR/resume.pt")
note "signal: the job wrote resume.pt at epoch $SIG_EPOCH: $(grep "resume.pt" "$SIG_LOG" | tail -n 1)"

snakemake "results/signal/models/$SIG_VARIANT/metrics.json" \
  --workflow-profile workflow/profiles/slurm-gpu \
  --default-resources slurm_account=lab slurm_partition=gpu \
  --slurm-init-seconds-before-status-checks 2 --configfile signal.yaml \
  --config "training={\"epochs\": $((SIG_EPOCH + 2))}" >"$WORK/resume.log" 2>&1 \
  || fail "signal: the rerun failed (see $WORK/resume.log and $SIG_LOG)"
grep -q "resumed $SIG_VARIANT from epoch $SIG_EPOCH" "$SIG_LOG" \
  || fail "signal: the rerun did not resume from epoch $SIG_EPOCH ($(tail -n 3 "$SIG_LOG"))"
python - "$SIG_DIR/metrics.json" "$((SIG_EPOCH + 2))" <<'PY' || fail "signal: the resumed run's metrics are wrong"
import json
import sys

metrics = json.load(open(sys.argv[1]))
assert [row["epoch"] for row in metrics["history"]] == list(range(1, int(sys.argv[2]) + 1))
PY
[ ! -e "$SIG_DIR/resume.pt" ] || fail "signal: resume.pt is still there after the job finished"
note "signal: the rerun resumed from epoch $SIG_EPOCH through Slurm and finished at $((SIG_EPOCH + 2))"
