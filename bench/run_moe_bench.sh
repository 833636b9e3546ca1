#!/usr/bin/env bash
# MoE against the dense model of equal active parameters on the CPU (experiments/smoke/moe-tiny
# vs dense-tiny: same shape, 4 top-1 experts in place of each feed-forward), and the share of
# time the MoE run spends in the expert all-to-all on 2 and 4 ranks.
#   bash bench/run_moe_bench.sh
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
bash scripts/build.sh >/dev/null
[ -f runs/data/fineweb_val_000000.bin ] ||
  build/moelaw tokenize --out runs/data --name fineweb --shard-tokens 50000 ../shared/data/fineweb-edu-sample.txt >/dev/null
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
run() {  # LABEL RANKS CONFIG SETTINGS...
  local label=$1 ranks=$2 config=$3; shift 3
  local out; out=$(mktemp -d)
  local start end
  start=$(date +%s.%N)
  mpirun -np "$ranks" --oversubscribe build/moelaw train "$config" --out "$out/run" --set train.tokens=32768 \
    --set train.eval_interval_steps=0 --set train.eval_tokens=1024 --set checkpoint.interval_steps=0 \
    --set train.log_interval_steps=1000000 "$@" >"$out/log"
  end=$(date +%s.%N)
  printf '%-44s %d rank(s): %.3f s/step (32 steps, whole process %.1f s)\n' "$label" "$ranks" \
    "$(awk "BEGIN {print ($end - $start) / 32}")" "$(awk "BEGIN {print $end - $start}")"
  grep -h "all-to-all" "$out/log" | sed 's/^/    /' || true
  rm -rf "$out"
}
run "dense-tiny" 1 experiments/smoke/dense-tiny.toml
run "moe-tiny (E=4, top-1)" 1 experiments/smoke/moe-tiny.toml
run "moe-tiny, expert parallelism 2" 2 experiments/smoke/moe-tiny.toml --set parallel.expert=2
run "moe-tiny, 4 ranks, expert parallelism 4" 4 experiments/smoke/moe-tiny.toml --set parallel.expert=4
