#!/usr/bin/env bash
# One prepared run on a lent GPU machine (see BENCHMARKS.md), through the device tool, in well
# under its 15 minutes:
#   carry: .whl (snakemake and its pure-Python needs for the image's Python 3.12) and .device
#   (a copy of ../shared/peer and ../shared/data, as the peer's README says).
# It installs nothing over the network, then, in order of importance:
#   1. the CUDA-only tests (the fast paths give the eager path's history);
#   2. the whole lab (snakemake --cores 16 all, 500 epochs each) from empty results, with where
#      its time goes (benchmarks/lab_timeline.py) and what one job's start-up costs;
#   3. ours against the peer per torch.nn variant, REPEATS runs of each side, median;
#   4. the exercises preset at 500 epochs, with its job count (skipped when it does not exist).
# Everything it measured lands in $OUT. Set STEPS="1 2" to run only some steps.
set -uo pipefail
EPOCHS=${EPOCHS:-40}
REPEATS=${REPEATS:-3}
STEPS=${STEPS:-1 2 3 4}
TORCH_VARIANTS=${TORCH_VARIANTS:-rnn_concise rnn_deep gru_concise lstm_concise lstm_deep gru_deep}
export PYTHONUNBUFFERED=1
exec > >(tee "$OUT/device.log") 2>&1
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site \
  .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD/src
mkdir -p /tmp/bin
printf '#!/bin/sh\nexec python3 -m rnnlab.cli "$@"\n' >/tmp/bin/rnnlab && chmod +x /tmp/bin/rnnlab
export PATH=/tmp/bin:$PATH
date -u; nvidia-smi -L; nproc
python3 -c "import torch, snakemake; print('torch', torch.__version__, 'snakemake', snakemake.__version__)"
step() { case " $STEPS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
seconds_since() { python3 -c "print(round($EPOCHREALTIME - $1, 1))"; }
# The machine has no network: the lab's text comes from the carried copy (same SHA-1).
offline_config() {  # offline_config OUT: a --configfile that reads the carried text
  { echo "data:"; echo "  url: file://$PWD/.device/data/timemachine.txt"; } >"$1"
}

if step 1; then
  echo "== 1. CUDA-only tests"
  python3 -m pytest -q -p no:cacheprovider -m cuda tests/ 2>&1 | tail -15
fi

if step 2; then
  echo "== 2. one job's start-up: import, CUDA init"
  python3 -X importtime -c "import rnnlab.train" 2>"$OUT/importtime.txt"
  python3 - <<'PY'
import time
t0 = time.perf_counter()
import torch  # noqa: E402
t1 = time.perf_counter()
torch.zeros(1, device="cuda"); torch.cuda.synchronize()
t2 = time.perf_counter()
import rnnlab.train  # noqa: E402,F401
t3 = time.perf_counter()
print(f"import torch {t1 - t0:.2f} s, CUDA init {t2 - t1:.2f} s, import rnnlab.train {t3 - t2:.2f} s")
PY
  echo "== 2. the whole lab: snakemake --cores 16 all, 500 epochs each, from empty results"
  mkdir -p .device && offline_config .device/lab.yaml
  rm -rf results/data results/models results/report results/benchmarks .snakemake
  mkdir -p results
  start=$EPOCHREALTIME
  python3 -m snakemake all --cores 16 --quiet rules --configfile .device/lab.yaml >"$OUT/lab.log" 2>&1
  rc=$?
  wall=$(seconds_since "$start")
  echo "whole lab: rc=$rc wall_seconds=$wall"
  tail -5 "$OUT/lab.log"
  python3 benchmarks/lab_timeline.py results --wall "$wall" --json "$OUT/lab_timeline.json"
  cp results/report/comparison.* results/report/*.png "$OUT/" 2>/dev/null
  tar czf "$OUT/lab-metrics.tgz" results/models/*/metrics.json results/logs results/benchmarks 2>/dev/null
fi

if step 3; then
  echo "== 3. throughput: ours against the textbook loop, $EPOCHS epochs, $REPEATS runs each, median"
  # shellcheck disable=SC2086
  PEER_PYTHON=python3 python3 benchmarks/throughput.py --device cuda --epochs "$EPOCHS" \
    --repeats "$REPEATS" --stat median --variants $TORCH_VARIANTS --peer-dir .device/peer \
    --json "$OUT/throughput.json" --markdown "$OUT/throughput.md"
fi

if step 4 && [ -f workflow/presets/exercises.yaml ]; then
  echo "== 4. the exercises preset at 500 epochs"
  offline_config .device/exercises.yaml
  printf 'training:\n  epochs: 500\n' >>.device/exercises.yaml
  rm -rf .snakemake
  jobs=$(python3 -m snakemake all --cores 16 -n --configfile workflow/presets/exercises.yaml \
    .device/exercises.yaml 2>/dev/null | sed -n 's/^train\s\+\([0-9]\+\)$/\1/p' | head -n 1)
  echo "exercises: ${jobs:-?} training jobs"
  start=$EPOCHREALTIME
  python3 -m snakemake all --cores 16 --quiet rules --configfile workflow/presets/exercises.yaml \
    .device/exercises.yaml >"$OUT/exercises.log" 2>&1
  echo "exercises: rc=$? wall_seconds=$(seconds_since "$start")"
fi
ls "$OUT"
