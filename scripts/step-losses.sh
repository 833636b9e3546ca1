#!/usr/bin/env bash
# Prints the first 24 per-step training losses of the smoke configurations (dense-tiny, moe-tiny on
# one rank, moe-tiny on two ranks with parallel.expert = 2), one "config step loss" line each, so a
# refactor can show that the numbers did not move: compare with scripts/compare-step-losses.py.
# Usage: scripts/step-losses.sh [BUILD_DIR] > losses.txt   (needs runs/data from scripts/main.sh)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
build=${1:-build}
moelaw="$build/moelaw"
if ! "$moelaw" shard-info runs/data/fineweb_*.bin >/dev/null 2>&1; then
  "$moelaw" tokenize --out runs/data --name fineweb --shard-tokens 50000 ../shared/data/fineweb-edu-sample.txt >/dev/null
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# Same schedule as the configuration's whole run; the trainer is cut off (SIGPIPE) after 24 steps.
run() {  # name, launcher..., config, extra sets...
  local name=$1; shift
  "$@" --set train.log_interval_steps=1 --set train.eval_interval_steps=0 --set checkpoint.interval_steps=1000 \
    --out "$tmp/$name" 2>/dev/null |
    awk -v n="$name" '/^step/ && kept < 24 { gsub(/\|/, " "); for (i = 1; i <= NF; i++) if ($i == "loss") { print n, $2, $(i+1); kept++ }
                     if (kept == 24) exit }' || true  # the trainer dies of SIGPIPE after step 25: enough
}
run dense-1  "$moelaw" train experiments/smoke/dense-tiny.toml
run moe-1    "$moelaw" train experiments/smoke/moe-tiny.toml
run moe-ep2  mpirun -np 2 "$moelaw" train experiments/smoke/moe-tiny.toml --set parallel.expert=2
