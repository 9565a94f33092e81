#!/usr/bin/env bash
# The GPU measurements of BENCHMARKS.md, from the repository alone, on a machine with a CUDA GPU:
#   benchmarks/gpu.sh [OUT]        (default OUT: results/gpu-benchmarks)
# PYTHON (default python3) must have rnnlab's dependencies (`make` builds .venv with them:
# PYTHON=.venv/bin/python); nothing is downloaded: the lab's text is the bundled copy. In order:
#   1. the CUDA-only tests (the CUDA-graph step gives the eager path's history);
#   2. the whole lab (snakemake --cores CORES all, 500 epochs each) from empty results in a
#      temporary copy of the project, and where its wall time went (benchmarks/lab_timeline.py);
#   3. ours against the textbook's loop per variant (benchmarks/throughput.py, REPEATS runs of
#      each side, median), when d2l 0.17.6 is importable (`make bench` installs it; or D2L=DIR).
# STEPS="1 3" runs only some steps. Everything measured lands in OUT.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "${1:-$root/results/gpu-benchmarks}")
python=${PYTHON:-python3}
EPOCHS=${EPOCHS:-40}
REPEATS=${REPEATS:-3}
CORES=${CORES:-16}
STEPS=${STEPS:-1 2 3}
mkdir -p "$out"
export PYTHONUNBUFFERED=1 PYTHONPATH=$root/src${PYTHONPATH:+:$PYTHONPATH}
exec > >(tee "$out/gpu.log") 2>&1
step() { case " $STEPS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
seconds_since() { "$python" -c "print(round($EPOCHREALTIME - $1, 1))"; }
date -u; nvidia-smi -L 2>/dev/null || echo "no nvidia-smi"
"$python" -c "import torch; print('torch', torch.__version__, 'CUDA', torch.cuda.is_available())"
# The rules call `rnnlab`: make sure it runs this checkout with this Python.
bin=$(mktemp -d); trap 'rm -rf "$bin"' EXIT
printf '#!/bin/sh\nexec %s -m rnnlab.cli "$@"\n' "$python" >"$bin/rnnlab" && chmod +x "$bin/rnnlab"
export PATH=$bin:$PATH

if step 1; then
  echo "== 1. CUDA-only tests"
  (cd "$root" && "$python" -m pytest -q -p no:cacheprovider -m cuda tests/) | tail -15
fi

if step 2; then
  echo "== 2. the whole lab: snakemake --cores $CORES all, 500 epochs each, from empty results"
  work=$(mktemp -d)
  cp -r "$root/Snakefile" "$root/config.yaml" "$root/rules" "$root/workflow" "$work/"
  printf 'data:\n  url: %s\n' "$root/src/rnnlab/resources/timemachine.txt" >"$work/offline.yaml"
  start=$EPOCHREALTIME
  (cd "$work" && "$python" -m snakemake all --cores "$CORES" --quiet rules \
    --configfile offline.yaml >"$out/lab.log" 2>&1)
  rc=$?
  wall=$(seconds_since "$start")
  echo "whole lab: rc=$rc wall_seconds=$wall"
  tail -5 "$out/lab.log"
  "$python" "$root/benchmarks/lab_timeline.py" "$work/results" --wall "$wall" \
    --json "$out/lab_timeline.json"
  cp "$work"/results/report/comparison.* "$work"/results/report/*.png "$out/" 2>/dev/null
  rm -rf "$work"
fi

if step 3 && ! PYTHONPATH=${D2L:-}:$PYTHONPATH "$python" -c "import d2l" 2>/dev/null; then
  echo "== 3. skipped: d2l is not importable (make bench installs it; or D2L=DIR)"
elif step 3; then
  echo "== 3. ours against the textbook's loop, $EPOCHS epochs, $REPEATS runs each, median"
  "$python" "$root/benchmarks/throughput.py" --device cuda --epochs "$EPOCHS" \
    --repeats "$REPEATS" --stat median ${D2L:+--d2l "$D2L"} \
    --json "$out/throughput.json" --markdown "$out/throughput.md"
fi
ls "$out"
