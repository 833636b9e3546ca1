#!/usr/bin/env bash
# A one-node SLURM cluster on loopback for tests (munge, slurmctld, slurmd from Debian's packages).
#   slurm/local-cluster.sh start   start it (idempotent); state under $MOELAW_SLURM_DIR
#   slurm/local-cluster.sh stop    stop it and remove its state
#   slurm/local-cluster.sh env     print the export lines a shell needs to use it
# Runs as root. Ports are the cluster's own (MOELAW_SLURM_PORT, default 16817 and 16818).
set -euo pipefail
dir=${MOELAW_SLURM_DIR:-/tmp/moelaw-slurm}
port=${MOELAW_SLURM_PORT:-16817}
conf="$dir/slurm.conf"

print_env() {
  echo "export SLURM_CONF=$conf"
}

wait_for() {  # wait_for SECONDS COMMAND...: retry until the command succeeds
  local limit=$1; shift
  for _ in $(seq $((limit * 5))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  return 1
}

start() {
  for tool in munged slurmctld slurmd sbatch; do
    command -v $tool >/dev/null || { echo "local-cluster: $tool not found (run scripts/setup.sh)" >&2; exit 1; }
  done
  mkdir -p "$dir"/{state,spool,log}
  if [ -f "$dir/slurmctld.pid" ] && kill -0 "$(cat "$dir/slurmctld.pid")" 2>/dev/null; then
    print_env; return 0
  fi
  # munge: Debian's package makes /etc/munge/munge.key; make one if it is missing.
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null || true
  if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key
  fi
  if ! munge -n </dev/null >/dev/null 2>&1; then
    if id munge >/dev/null 2>&1; then
      su -s /bin/sh munge -c munged || munged --force
    else
      munged --force
    fi
    wait_for 10 munge -n || { echo "local-cluster: munged did not start" >&2; exit 1; }
  fi
  local cpus mem
  cpus=$(nproc)
  mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 9 / 10 ))
  cat >"$conf" <<CONF
ClusterName=moelaw-test
SlurmctldHost=localhost
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
MpiDefault=none
JobRequeue=1
KillWait=10
MinJobAge=600
SchedulerParameters=defer_batch=0
NodeName=localhost CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF
  export SLURM_CONF=$conf
  slurmctld -c -f "$conf"
  wait_for 20 scontrol ping || { echo "local-cluster: slurmctld did not answer; see $dir/log" >&2; exit 1; }
  slurmd -c -f "$conf"
  wait_for 30 bash -c "sinfo -h -o %T | grep -qE '^(idle|mixed|allocated)'" ||
    { echo "local-cluster: slurmd did not register; see $dir/log" >&2; exit 1; }
  print_env
}

stop() {
  for d in slurmd slurmctld; do
    if [ -f "$dir/$d.pid" ]; then kill "$(cat "$dir/$d.pid")" 2>/dev/null || true; fi
  done
  sleep 1
  for d in slurmd slurmctld; do
    if [ -f "$dir/$d.pid" ]; then kill -9 "$(cat "$dir/$d.pid")" 2>/dev/null || true; fi
  done
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env) print_env ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
