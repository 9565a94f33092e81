# Sourced by the cluster tests (run.sh, grouped.sh): paths, messages, the preconditions, the
# temporary folder, the project copy, one snakemake call through a Slurm profile, and the
# clean-up that prints diagnostics on failure and stops every daemon the test started.
# Set NAME (how messages start) before sourcing.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VENV=${VENV:-$ROOT/.venv}
case "$VENV" in /*) ;; *) VENV=$ROOT/$VENV ;; esac
TIMEOUT=${CLUSTER_TIMEOUT:-900}
SLURM_SH=$ROOT/tests/cluster/local-slurm.sh
T0=$(date +%s)

fail() { echo "$NAME: FAIL: $*" >&2; exit 1; }
note() { echo "$NAME: $*"; }

# Root, Slurm (or apt-get to install it), and snakemake, rnnlab and the executor plugin in VENV.
check_preconditions() {
  [ "$(id -u)" = 0 ] || fail "needs root: it starts a single-node Slurm (munged, MariaDB, slurmdbd, slurmctld, slurmd) and installs its Debian packages with apt-get; run it as root (as CI does)"
  command -v slurmctld >/dev/null || command -v apt-get >/dev/null \
    || fail "Slurm is not installed and there is no apt-get to install it (needs a Debian machine)"
  [ -x "$VENV/bin/snakemake" ] || fail "no snakemake in $VENV (run make, or set VENV)"
  export PATH="$VENV/bin:$PATH"   # sbatch exports it: the jobs find snakemake and rnnlab
  command -v rnnlab >/dev/null || fail "no rnnlab command in $VENV/bin (pip install -e '.[slurm]')"
  python -c "import snakemake_executor_plugin_slurm" 2>/dev/null \
    || fail "the Slurm executor plugin is not installed in $VENV (pip install -e '.[slurm]')"
}

# The temporary folder WORK (Slurm's state in S, the project in P, snakemake's output in LOG),
# removed on success unless KEEP=1; the clean-up runs on every exit.
make_work_dir() {
  WORK=$(mktemp -d "/tmp/rnnlab-$1.XXXXXX")
  chmod 755 "$WORK"   # MariaDB runs as user mysql and keeps its database in here
  S=$WORK/slurm
  P=$WORK/project
  LOG=$WORK/snakemake.log
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

tail_files() {  # tail_files LINES FIND-ARGS...: the first three matching files' last lines
  local lines=$1 f
  shift
  find "$@" -type f 2>/dev/null | head -n 3 | while read -r f; do
    echo "----- tail -n $lines $f" >&2; tail -n "$lines" "$f" >&2
  done
}

cleanup() {
  local rc=$?
  set +e
  if [ "$rc" != 0 ]; then
    echo "$NAME: ---- diagnostics (exit status $rc)" >&2
    if [ -f "$LOG" ]; then echo "----- tail -n 60 $LOG" >&2; tail -n 60 "$LOG" >&2; fi
    tail_files 30 "$P/.snakemake/slurm_logs" -name '*.log'
    tail_files 20 "$P/results" -path '*/logs/*' -name '*.log' -size +0
    [ -f "$S/slurmctld.pid" ] && { squeue >&2; sacct -a -X -o JobID,JobName%40,Comment%50,State,ExitCode,AllocTRES%60 >&2; }
    bash "$SLURM_SH" logs "$S" >&2
  fi
  note "stopping the daemons this test started"
  bash "$SLURM_SH" stop "$S"
  if [ "$rc" = 0 ] && [ "${KEEP:-0}" != 1 ]; then rm -rf "$WORK"; else note "kept $WORK"; fi
  note "$([ "$rc" = 0 ] && echo PASS || echo FAIL) after $(( $(date +%s) - T0 )) s"
  exit "$rc"
}

# The workflow (Snakefile, rules/, workflow/, profiles/) copied into P, without results.
copy_project() {
  mkdir -p "$P"
  cp -r "$ROOT/Snakefile" "$ROOT/rules" "$ROOT/workflow" "$ROOT/profiles" "$P/"
}

# slurm_snakemake PROFILE ARGS...: snakemake in P through a Slurm profile, on account lab and
# partition gpu of the test cluster, polling Slurm early so that the test stays short; it is
# stopped after TIMEOUT seconds (exit status 124).
slurm_snakemake() {
  local profile=$1
  shift
  (cd "$P" && timeout "$TIMEOUT" snakemake "$@" --workflow-profile "$profile" \
    --default-resources slurm_account=lab slurm_partition=gpu \
    --slurm-init-seconds-before-status-checks 2)
}
