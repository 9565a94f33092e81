#!/usr/bin/env bash
# The whole lab on this machine, wall time against the textbook's loops run one after another:
#   benchmarks/whole_lab.sh [EPOCHS] [CORES]     (defaults: 500 epochs, 2 cores)
# (a) the textbook's own loop (benchmarks/textbook_loop.py, d2l 0.17.6; `make bench` installs
#     it) for the ten variants in sequence, as whole processes with $PYTHON (default python3);
# (b) `snakemake --cores CORES all` in a temporary copy of the project, from empty results,
#     with `training.epochs` set to EPOCHS through a --configfile.
# Both are timed as whole processes (start-up included). Prints both and their ratio.
set -euo pipefail
epochs=${1:-500}
cores=${2:-2}
root=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python3}
variants=$(python3 -c "import yaml; print(' '.join(yaml.safe_load(open('$root/config.yaml'))['variants']))")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

start=$EPOCHREALTIME
for variant in $variants; do
  "$python" "$root/benchmarks/textbook_loop.py" "$variant" "$epochs" | grep RESULT
done
textbook_s=$(python3 -c "print(round($EPOCHREALTIME - $start, 1))")

cp -r "$root/Snakefile" "$root/config.yaml" "$root/rules" "$root/workflow" "$work/"
printf 'data:\n  url: %s\ntraining:\n  epochs: %s\n' \
  "$root/src/rnnlab/resources/timemachine.txt" "$epochs" >"$work/epochs.yaml"
start=$EPOCHREALTIME
(cd "$work" && snakemake all --cores "$cores" --quiet all --configfile epochs.yaml)
ours_s=$(python3 -c "print(round($EPOCHREALTIME - $start, 1))")
echo "whole lab, $epochs epochs: textbook loops in sequence ${textbook_s} s;" \
  "snakemake --cores $cores all ${ours_s} s; ratio $(python3 -c "print(round($textbook_s / $ours_s, 2))")x"
