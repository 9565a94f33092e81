#!/usr/bin/env bash
# A real single-node Slurm cluster on loopback, with accounting (slurmdbd + MariaDB), for the
# cluster test (tests/cluster/run.sh):
#   - state, logs, pid files and the database live under STATE_DIR (fresh for every run);
#     the configuration must be in /etc/slurm, because the executor's job step drops
#     SLURM_CONF before its inner srun: the files it writes there carry a marker line, it
#     refuses to overwrite files without that marker, and `stop` removes them again;
#   - it refuses to start next to Slurm daemons it did not start, instead of mixing clusters;
#   - `stop` cancels the jobs still in the queue and ends their job steps too;
#   - the node pretends to be a GPU node of the size the slurm-gpu profile asks for: one GPU
#     (a generic resource backed by /dev/null; jobs see CUDA_VISIBLE_DEVICES but run on the
#     CPU) and at least MIN_CPUS CPUs and MIN_MEM_MB of memory, even on a smaller machine.
#
#   local-slurm.sh start STATE_DIR   install the Debian packages if missing (apt-get, root),
#                                    then start munged, MariaDB, slurmdbd, slurmctld, slurmd
#   local-slurm.sh stop  STATE_DIR   stop every daemon that `start` started (by pid file)
#   local-slurm.sh logs  STATE_DIR   print the tail of every daemon's log
#
# Cluster: local. Partition: gpu (default). Account: lab.
# Needs root and Debian's packages; fails with the reason when either is missing.
set -euo pipefail
cmd=${1:?usage: local-slurm.sh start|stop|logs STATE_DIR}
S=${2:?usage: local-slurm.sh start|stop|logs STATE_DIR}
MIN_CPUS=${MIN_CPUS:-4}
MIN_MEM_MB=${MIN_MEM_MB:-16384}
GPUS=${GPUS:-1}
FAKE_GPU_DEVICES=(/dev/null /dev/zero /dev/full /dev/urandom)
ETC=/etc/slurm
MARK="# written by rnnlab tests/cluster/local-slurm.sh for $S"
export PATH="$PATH:/usr/sbin:/sbin"

die() { echo "local-slurm: $*" >&2; exit 1; }
say() { echo "local-slurm: $*"; }

# pids of processes whose command name is $1 (no procps needed)
pids_of() {
  local p
  for p in /proc/[0-9]*; do
    [ "$(cat "$p/comm" 2>/dev/null)" = "$1" ] && echo "${p#/proc/}"
  done
  return 0
}

# kill the daemon in pid file $1 (only if that pid still runs command $2) and wait for it
stop_pidfile() {
  local file=$1 name=$2 pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file" 2>/dev/null) || return 0
  if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ]; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do [ -d "/proc/$pid" ] || break; sleep 0.2; done
    if [ -d "/proc/$pid" ]; then
      echo "local-slurm: $name ($pid) ignored SIGTERM; killing it" >&2
      kill -9 "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$file"
}

# is the file $1 one this script wrote (for any state dir)?
ours() { head -n 1 "$1" 2>/dev/null | grep -q '^# written by rnnlab tests/cluster/local-slurm.sh'; }

stop() {
  local pid
  # cancel what is still queued or running, while slurmctld still answers
  if [ -f "$S/slurmctld.pid" ] && [ -d "/proc/$(cat "$S/slurmctld.pid")" ] && ours "$ETC/slurm.conf"; then
    timeout 10 scancel --user="$(id -un)" 2>/dev/null || true
    for _ in $(seq 20); do [ -z "$(timeout 5 squeue -h 2>/dev/null)" ] && break; sleep 0.5; done
  fi
  stop_pidfile "$S/slurmd.pid" slurmd
  stop_pidfile "$S/slurmctld.pid" slurmctld
  stop_pidfile "$S/slurmdbd.pid" slurmdbd
  stop_pidfile "$S/db/mariadbd.pid" mariadbd
  stop_pidfile "$S/munged.pid" munged
  # job steps that outlived slurmd: only ours (they inherit the marker from our slurmd)
  for pid in $(pids_of slurmstepd); do
    if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "RNNLAB_LOCAL_SLURM=$S"; then
      kill "$pid" 2>/dev/null || true
    fi
  done
  local f
  for f in slurm.conf slurmdbd.conf gres.conf; do
    if head -n 1 "$ETC/$f" 2>/dev/null | grep -qxF "$MARK"; then rm -f "$ETC/$f"; fi
  done
  return 0
}

logs() {
  local f
  for f in "$S"/slurmctld.log "$S"/slurmd.log "$S"/slurmdbd.log "$S"/mariadb.log; do
    [ -f "$f" ] || continue
    echo "----- tail -n 40 $f"
    tail -n 40 "$f"
  done
}

case "$cmd" in
  stop) stop; exit 0 ;;
  logs) logs; exit 0 ;;
  start) trap 'rc=$?; [ "$rc" = 0 ] || { echo "local-slurm: start failed; stopping what it started" >&2; stop; }' EXIT ;;
  *) die "unknown command '$cmd' (start, stop or logs)" ;;
esac

# ---- preconditions -------------------------------------------------------------------------
[ "$GPUS" -ge 1 ] && [ "$GPUS" -le "${#FAKE_GPU_DEVICES[@]}" ] || die "GPUS must be 1 to ${#FAKE_GPU_DEVICES[@]}"
[ "$(id -u)" = 0 ] || die "needs root (it installs Debian packages and runs the Slurm daemons as root); run as root, e.g. in CI"
# a test cluster that a killed run left behind: stop it by its own pid files
if ours "$ETC/slurm.conf"; then
  old=$(head -n 1 "$ETC/slurm.conf" | sed 's/^# written by rnnlab tests\/cluster\/local-slurm.sh for //')
  if [ "$old" != "$S" ] && [ -d "$old" ]; then
    say "stopping the test cluster that a previous run left in $old"
    bash "$0" stop "$old" || true
  fi
fi
for d in slurmctld slurmd slurmdbd; do
  running=$(pids_of "$d")
  [ -z "$running" ] || die "a $d is already running (pid $running) that this script did not start; stop it first"
done

# the configuration goes to /etc/slurm: never over files this script did not write
for f in slurm.conf slurmdbd.conf gres.conf; do
  if [ -e "$ETC/$f" ] && ! ours "$ETC/$f"; then
    die "$ETC/$f exists and was not written by this script: this machine has its own Slurm set-up, which the test will not overwrite"
  fi
done

mkdir -p "$S"; chmod 755 "$S"
packages=()
command -v slurmctld >/dev/null || packages+=(slurmctld)
command -v slurmd >/dev/null || packages+=(slurmd)
command -v slurmdbd >/dev/null || packages+=(slurmdbd)
command -v sbatch >/dev/null && command -v sacct >/dev/null || packages+=(slurm-client)
command -v munged >/dev/null || [ -x /usr/sbin/munged ] || packages+=(munge)
command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] || packages+=(mariadb-server)
if [ "${#packages[@]}" -gt 0 ]; then
  command -v apt-get >/dev/null || die "needs Debian packages ${packages[*]} and there is no apt-get to install them"
  say "installing ${packages[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends "${packages[@]}" munge >"$S/apt.log" 2>&1 \
    || { tail -n 30 "$S/apt.log" >&2; die "apt-get install ${packages[*]} failed"; }
fi

# ---- host name -------------------------------------------------------------------------------
host=$(hostname -s 2>/dev/null || uname -n)
host=${host%%.*}
if ! getent hosts "$host" >/dev/null 2>&1; then
  say "host name $host does not resolve; adding '127.0.0.1 $host' to /etc/hosts"
  echo "127.0.0.1 $host" >>/etc/hosts
fi

# ---- state -----------------------------------------------------------------------------------
mkdir -p "$S"/{spool,state,db} "$ETC" /run/munge /run/mysqld
chown munge:munge /run/munge
chown mysql:mysql "$S/db" /run/mysqld
runuser -u mysql -- test -w "$S/db" \
  || die "user mysql cannot write $S/db: every folder above it must be searchable by others (chmod o+x)"

# ---- munge: reuse a working daemon, else start one with the machine's key --------------------
if [ ! -f /etc/munge/munge.key ]; then
  if [ -x /usr/sbin/mungekey ]; then /usr/sbin/mungekey -c; else
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2>/dev/null; fi
  chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key
fi
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  /usr/sbin/munged --force --pid-file="$S/munged.pid" --log-file="$S/munged.log" \
    || die "munged did not start (see $S/munged.log)"
  for _ in $(seq 20); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.5; done
  munge -n | unmunge >/dev/null || die "munge does not work after starting munged"
fi

# ---- MariaDB for accounting: a fresh database in STATE_DIR, on loopback only ------------------
SOCK=/run/mysqld/mysqld.sock
if mariadb-admin --socket="$SOCK" ping >/dev/null 2>&1; then
  say "reusing the MariaDB that is already running on $SOCK"
else
  mariadb-install-db --user=mysql --datadir="$S/db" --auth-root-authentication-method=socket \
    >"$S/mariadb-install.log" 2>&1 || { tail -n 20 "$S/mariadb-install.log" >&2; die "mariadb-install-db failed"; }
  setsid mariadbd --user=mysql --datadir="$S/db" --socket="$SOCK" --pid-file="$S/db/mariadbd.pid" \
    --bind-address=127.0.0.1 --port=3306 >"$S/mariadb.log" 2>&1 </dev/null &
  for _ in $(seq 60); do mariadb-admin --socket="$SOCK" ping >/dev/null 2>&1 && break; sleep 0.5; done
  mariadb-admin --socket="$SOCK" ping >/dev/null 2>&1 || { tail -n 20 "$S/mariadb.log" >&2; die "MariaDB did not start"; }
fi
mariadb --socket="$SOCK" -uroot -e "CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY 'slurm';
  GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost'; FLUSH PRIVILEGES;" \
  || die "could not create the slurm database user"

# ---- configuration in /etc/slurm (checked above: only over files this script wrote) ----------
cpus=$(nproc)
[ "$cpus" -ge "$MIN_CPUS" ] || cpus=$MIN_CPUS
mem=$(awk '/^MemTotal:/{print int($2 / 1024 * 0.8)}' /proc/meminfo)
[ "$mem" -ge "$MIN_MEM_MB" ] || mem=$MIN_MEM_MB

cat >"$ETC/slurmdbd.conf" <<CONF
$MARK
AuthType=auth/munge
DbdHost=localhost
DbdAddr=127.0.0.1
SlurmUser=root
LogFile=$S/slurmdbd.log
PidFile=$S/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageLoc=slurm_acct_db
StorageUser=slurm
StoragePass=slurm
CONF
chmod 600 "$ETC/slurmdbd.conf"

cat >"$ETC/slurm.conf" <<CONF
$MARK
ClusterName=local
SlurmctldHost=$host(127.0.0.1)
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=2
SlurmUser=root
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmdSpoolDir=$S/spool
StateSaveLocation=$S/state
SlurmctldLogFile=$S/slurmctld.log
SlurmdLogFile=$S/slurmd.log
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# the node claims the CPUs and memory of the profile's GPU node even on a small machine
SlurmdParameters=config_overrides
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStorageTRES=gres/gpu
AccountingStoreFlags=job_comment
JobAcctGatherType=jobacct_gather/linux
JobCompType=jobcomp/none
GresTypes=gpu
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem Gres=gpu:$GPUS State=UNKNOWN
PartitionName=gpu Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
# each fake GPU is a character device that every Linux machine has (Slurm's gpu plugin wants a
# device file per GPU); jobs see CUDA_VISIBLE_DEVICES but there is no CUDA behind it
{
  echo "$MARK"
  for dev in "${FAKE_GPU_DEVICES[@]:0:$GPUS}"; do echo "NodeName=$host Name=gpu File=$dev"; done
} >"$ETC/gres.conf"

# ---- daemons ---------------------------------------------------------------------------------
slurmdbd || die "slurmdbd did not start (see $S/slurmdbd.log)"
for _ in $(seq 40); do sacctmgr -n list cluster >/dev/null 2>&1 && break; sleep 0.5; done
sacctmgr -n list cluster >/dev/null 2>&1 || { logs >&2; die "slurmdbd does not answer"; }
sacctmgr -i add cluster local >/dev/null 2>&1 || true
sacctmgr -i add account lab >/dev/null 2>&1 || true
sacctmgr -i add user "$(id -un)" account=lab >/dev/null 2>&1 || true
slurmctld || { logs >&2; die "slurmctld did not start"; }
# the marker lets `stop` tell this cluster's job steps (children of this slurmd) from others
RNNLAB_LOCAL_SLURM=$S slurmd || { logs >&2; die "slurmd did not start"; }
for _ in $(seq 60); do sinfo -h -o %t 2>/dev/null | grep -qx idle && break; sleep 0.5; done
sinfo -h -o %t 2>/dev/null | grep -qx idle || { sinfo >&2 || true; logs >&2; die "the node did not become idle"; }
sacctmgr -n -P list assoc user="$(id -un)" format=account | grep -qx lab \
  || { logs >&2; die "account lab is not associated with user $(id -un)"; }
sinfo
say "up: cluster local, partition gpu, account lab, $cpus CPUs, ${mem} MB, $GPUS GPU(s)"
