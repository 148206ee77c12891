#!/usr/bin/env bash
# A one-node SLURM cluster on this machine, for the cluster tests and for trying `sweep --plan slurm`
# without a real cluster. Installs nothing: needs slurm-wlm and munge (apt-get install slurm-wlm
# munge) and root. Everything it makes lives in one state folder; nothing under /etc is touched.
#
#   scripts/slurm-local.sh start    start munged, slurmctld and slurmd; prints `export SLURM_CONF=…`
#   scripts/slurm-local.sh stop     stop what start started (by the pids it recorded), remove the folder
#   scripts/slurm-local.sh status   exit 0 when the cluster answers
#
# NMF_SLURM_DIR chooses the state folder (default /tmp/nmf-studio-slurm); NMF_SLURM_PORT the
# controller's port (default 6817; slurmd listens on the next one).
set -euo pipefail

STATE="${NMF_SLURM_DIR:-/tmp/nmf-studio-slurm}"
PORT="${NMF_SLURM_PORT:-6817}"
CONF="$STATE/slurm.conf"

fail() {
  echo "slurm-local: $*" >&2
  exit 1
}

# Kills one daemon by the pid its pid file names, waiting up to 10 s for it to end.
stop_pid_file() {
  local file="$1"
  [ -f "$file" ] || return 0
  local pid
  pid="$(cat "$file")"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

cluster_answers() {
  [ -f "$CONF" ] && SLURM_CONF="$CONF" sinfo -h -o '%T' 2>/dev/null | grep -Eq '^(idle|mixed|allocated)'
}

start() {
  [ "$(id -u)" = 0 ] || fail "must run as root (slurmd starts jobs as their users)"
  for tool in munged mungekey slurmctld slurmd sinfo sbatch; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool is not installed (apt-get install slurm-wlm munge)"
  done
  id munge >/dev/null 2>&1 || fail "there is no munge user (apt-get install munge)"
  if cluster_answers; then
    echo "export SLURM_CONF=$CONF"
    return 0
  fi
  stop_all
  mkdir -p "$STATE/munge" "$STATE/ctld" "$STATE/slurmd" "$STATE/log"
  chmod 0755 "$STATE"
  chown munge:munge "$STATE/munge"
  chmod 0755 "$STATE/munge"
  local key="$STATE/munge/munge.key"
  mungekey -c -f -k "$key"
  chown munge:munge "$key"
  chmod 0400 "$key"
  local socket="$STATE/munge/munge.socket"
  runuser -u munge -- munged --key-file="$key" --socket="$socket" \
    --pid-file="$STATE/munge/munged.pid" --log-file="$STATE/munge/munged.log" \
    --seed-file="$STATE/munge/munged.seed"
  cp "$STATE/munge/munged.pid" "$STATE/munged.pid"

  local host cpus memory
  host="$(hostname -s)"
  cpus="$(nproc)"
  # Jobs ask for memory (--mem); the node must declare some or every such job is refused.
  memory="$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)"
  cat >"$CONF" <<EOF
ClusterName=nmfstudio
SlurmctldHost=$host
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/slurmd
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SlurmctldTimeout=30
SlurmdTimeout=30
MinJobAge=60
NodeName=$host CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  SLURM_CONF="$CONF" slurmctld -f "$CONF"
  SLURM_CONF="$CONF" slurmd -f "$CONF"
  for _ in $(seq 1 60); do
    if cluster_answers; then
      echo "export SLURM_CONF=$CONF"
      return 0
    fi
    sleep 0.5
  done
  echo "slurm-local: the cluster did not come up in 30 s; logs:" >&2
  tail -n 20 "$STATE/log/slurmctld.log" "$STATE/log/slurmd.log" "$STATE/munge/munged.log" >&2 2>/dev/null || true
  stop_all
  exit 1
}

stop_all() {
  stop_pid_file "$STATE/slurmd.pid"
  stop_pid_file "$STATE/slurmctld.pid"
  stop_pid_file "$STATE/munged.pid"
}

case "${1:-}" in
  start) start ;;
  stop)
    stop_all
    rm -rf "$STATE"
    ;;
  status) cluster_answers ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
