#!/usr/bin/env bash
# The whole lab on this machine, wall time against the textbook's loops run one after another:
#   benchmarks/whole_lab.sh [EPOCHS] [CORES]     (defaults: 500 epochs, 2 cores)
# (a) the peer (../shared/peer/run.sh, or $PEER_RUN) for the ten variants in sequence; the peer
#     has no random sampling, so rnn_scratch stands in for rnn_scratch_random;
# (b) `snakemake --cores CORES all` in a temporary copy of the project, from empty results,
#     with `training.epochs` set to EPOCHS through a --configfile.
# Both are timed as whole processes (start-up included). Prints both and their ratio.
set -euo pipefail
epochs=${1:-500}
cores=${2:-2}
root=$(cd "$(dirname "$0")/.." && pwd)
peer=${PEER_RUN:-$root/../shared/peer/run.sh}
variants=$(python3 -c "import yaml; print(' '.join(yaml.safe_load(open('$root/config.yaml'))['variants']))")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

start=$EPOCHREALTIME
for variant in $variants; do
  bash "$peer" "${variant/rnn_scratch_random/rnn_scratch}" "$epochs" | grep RESULT
done
peer_s=$(python3 -c "print(round($EPOCHREALTIME - $start, 1))")

cp -r "$root/Snakefile" "$root/config.yaml" "$root/rules" "$root/workflow" "$work/"
printf 'data:\n  url: %s\ntraining:\n  epochs: %s\n' \
  "$root/src/rnnlab/resources/timemachine.txt" "$epochs" >"$work/epochs.yaml"
start=$EPOCHREALTIME
(cd "$work" && snakemake all --cores "$cores" --quiet all --configfile epochs.yaml)
ours_s=$(python3 -c "print(round($EPOCHREALTIME - $start, 1))")
echo "whole lab, $epochs epochs: textbook loops in sequence ${peer_s} s;" \
  "snakemake --cores $cores all ${ours_s} s; ratio $(python3 -c "print(round($peer_s / $ours_s, 2))")x"
