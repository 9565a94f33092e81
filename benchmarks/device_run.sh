#!/usr/bin/env bash
# One prepared run on a lent GPU machine (see BENCHMARKS.md), through the device tool:
#   carry: .whl (snakemake and its pure-Python needs for the image's Python 3.12) and .device
#   (a copy of ../shared/peer and ../shared/data, as the peer's README says).
# It installs nothing over the network, then: the CUDA-only tests, ours against the peer per
# variant, and the whole lab (snakemake --cores 16 all, 500 epochs each) from empty results.
# Everything it measured lands in $OUT.
set -uo pipefail
EPOCHS=${EPOCHS:-100}
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

echo "== CUDA-only tests"
python3 -m pytest -q -p no:cacheprovider -m cuda tests/ 2>&1 | tail -15

echo "== throughput: ours against the textbook loop, $EPOCHS epochs each"
PEER_PYTHON=python3 python3 benchmarks/throughput.py --device cuda --epochs "$EPOCHS" \
  --repeats 1 --peer-dir .device/peer --json "$OUT/throughput.json"

echo "== the whole lab: snakemake --cores 16 all, 500 epochs each, from empty results"
# The machine has no network: download the lab's text from the carried copy (same SHA-1).
sed "s#^  url: .*#  url: file://$PWD/.device/data/timemachine.txt#" config.yaml >.device/config.yaml
rm -rf results/data results/models results/report .snakemake
mkdir -p results
start=$EPOCHREALTIME
python3 -m snakemake all --cores 16 --quiet rules --configfile .device/config.yaml >results/lab.log 2>&1
rc=$?
echo "whole lab: rc=$rc wall_seconds=$(python3 -c "print(round($EPOCHREALTIME - $start, 1))")"
tail -5 results/lab.log
cp results/report/comparison.md results/report/comparison.csv results/report/*.png "$OUT/" \
  2>/dev/null
tar czf "$OUT/metrics.tgz" results/models/*/metrics.json results/logs results/benchmarks results/lab.log 2>/dev/null
ls "$OUT"
