#!/usr/bin/env bash
# The grouped cluster test (part of `make test-cluster`): a sweep of six short training jobs run
# through workflow/profiles/slurm-gpu-grouped on a real single-node Slurm
# (tests/cluster/local-slurm.sh), checking that
#   - the grouped profile agrees with workflow/profiles/slurm-gpu outside its grouping keys;
#   - the training jobs went to Slurm in fewer sbatch jobs than training jobs: one per group of
#     up to group-components training jobs, each COMPLETED with one GPU (gres/gpu=1);
#   - no other rule went to Slurm, and every training job wrote its outputs, and the report.
# The pipeline runs in a temporary copy of the project; every daemon started is stopped on exit.
# Needs root (and apt-get when Slurm is missing): without them it fails and says why.
#
# Environment: VENV (default .venv), KEEP=1 keeps the temporary directory,
# CLUSTER_TIMEOUT (seconds for the snakemake run, default 900).
set -euo pipefail

NAME="test-cluster (grouped)"
PROFILE=workflow/profiles/slurm-gpu-grouped
source "$(dirname "$0")/common.sh"
check_preconditions

# ---- the two profiles agree outside the grouping keys (fast; before any daemon starts) -------
read -r GROUP_SIZE CPUS MEM < <(python - "$ROOT/workflow/profiles/slurm-gpu/config.yaml" \
  "$ROOT/$PROFILE/config.yaml" "$ROOT/config.yaml" <<'PY'
import sys
import yaml
from rnnlab.config import load_config

plain, grouped = (yaml.safe_load(open(path)) for path in sys.argv[1:3])
grouping = {"groups", "group-components", "resources", "set-resource-scopes"}
for key in sorted(set(plain) | set(grouped)):
    if key not in grouping and plain.get(key) != grouped.get(key):
        sys.exit(f"{key}: {grouped.get(key)!r} in slurm-gpu-grouped, {plain.get(key)!r} in "
                 "slurm-gpu; keep the grouped profile in step with slurm-gpu")
group = grouped["groups"]["train"]
assert grouped["resources"]["gpu"] == 1 and grouped["set-resource-scopes"]["gpu"] == "local"
train = load_config(sys.argv[3])["resources"]
print(grouped["group-components"][group], train["cpus_per_task"], train["mem_mb"])
PY
) || fail "the grouped profile does not match slurm-gpu (see above)"

make_work_dir grouped

# ---- the cluster: two fake GPUs, so two group jobs can run at once ---------------------------
GPUS=2 MIN_CPUS=$(( 2 * CPUS )) MIN_MEM_MB=$(( 2 * (MEM + 1024) )) bash "$SLURM_SH" start "$S"

# ---- a sweep: two tiny variants, seeds 1 and 2 of each: six 1-epoch training jobs ------------
copy_project
python - "$ROOT/config.yaml" "$P/config.yaml" <<'PY'
import sys
import yaml
from rnnlab.download import bundled_corpus

config = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
config["data"].update(url=bundled_corpus().as_uri(), train_tokens=1200, val_tokens=600)
config["training"].update(epochs=1, eval_every=1, checkpoint_every=1, num_preds=10)
config["variants"] = {
    "rnn_small": {"cell": "rnn", "impl": "torch", "layers": 1, "hidden": 16, "lr": 1},
    "gru_small": {"cell": "gru", "impl": "torch", "layers": 1, "hidden": 16, "lr": 1},
}
config["sweeps"] = {"seeds": {"base": ["rnn_small", "gru_small"], "grid": {"seed": [1, 2]}}}
yaml.safe_dump(config, open(sys.argv[2], "w", encoding="utf-8"), sort_keys=False)
PY
mapfile -t VARIANTS < <(python -c "
from rnnlab.config import load_config
print('\n'.join(load_config('$P/config.yaml')['variants']))")
[ "${#VARIANTS[@]}" = 6 ] || fail "expected 6 variants from the sweep, got ${#VARIANTS[@]}: ${VARIANTS[*]}"

note "snakemake --workflow-profile $PROFILE all (${#VARIANTS[@]} training jobs, groups of up to $GROUP_SIZE)"
slurm_snakemake "$PROFILE" all >"$LOG" 2>&1 \
  || fail "snakemake failed (exit status $?; 124 = it ran past ${TIMEOUT}s)"
note "snakemake finished after $(( $(date +%s) - T0 )) s"

# ---- checks ----------------------------------------------------------------------------------
RUN_ID=$(sed -n 's/.*SLURM run ID: \([0-9a-f-]*\).*/\1/p' "$LOG" | head -n 1)
[ -n "$RUN_ID" ] || fail "no 'SLURM run ID' in the snakemake log: did the slurm executor run at all?"
sacct -a -X -n -P --name="$RUN_ID" --starttime "$(date -d "@$T0" +%Y-%m-%dT%H:%M:%S)" \
  -o JobID,Comment,State,AllocTRES >"$WORK/sacct.txt"
python - "$WORK/sacct.txt" "$P" "$GROUP_SIZE" "${VARIANTS[@]}" <<'PY'
import json
import math
import sys
from pathlib import Path

sacct, project, group_size = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
variants = sys.argv[4:]
rows = [line.split("|") for line in Path(sacct).read_text().splitlines() if line.strip()]
problems = []
expected = math.ceil(len(variants) / group_size)
if not len(rows) < len(variants) or len(rows) != expected:
    problems.append(f"{len(rows)} Slurm jobs for {len(variants)} training jobs, expected "
                    f"{expected} (groups of up to {group_size})")
for job_id, comment, state, tres in rows:
    if "train_gpu" not in comment:
        problems.append(f"Slurm job {job_id} ({comment}) is not a group of training jobs")
    if state != "COMPLETED":
        problems.append(f"Slurm job {job_id} ({comment}) is {state}, not COMPLETED")
    if "gres/gpu=1" not in tres.split(","):
        problems.append(f"Slurm job {job_id} ({comment}) was not given exactly one GPU: {tres}")
for v in variants:
    folder = project / "results" / "models" / v
    for name in ("checkpoint.pt", "metrics.json", "curve.png"):
        if not (folder / name).is_file() or (folder / name).stat().st_size == 0:
            problems.append(f"{v}: {name} missing or empty")
    if (folder / "metrics.json").is_file():
        metrics = json.loads((folder / "metrics.json").read_text())
        if metrics.get("variant") != v or len(metrics.get("history", [])) != 1:
            problems.append(f"{v}: metrics.json has variant {metrics.get('variant')!r} and "
                            f"{len(metrics.get('history', []))} epochs, expected {v!r} and 1")
if not (project / "results" / "report" / "comparison.csv").is_file():
    problems.append("report: comparison.csv missing")
if problems:
    sys.exit("test-cluster (grouped): FAIL:\n  " + "\n  ".join(problems))
print(f"test-cluster (grouped): {len(variants)} training jobs in {len(rows)} Slurm jobs "
      f"(groups of up to {group_size}, one GPU each), all COMPLETED; every output written")
PY
