#!/usr/bin/env bash
# CPU training throughput and peak memory of `moelaw train` (whole optimizer steps, evaluation
# off) for the smoke config and a larger one, on the FineWeb-Edu sample's shards.
#   bash bench/run_train_bench.sh [RANKS]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
ranks=${1:-1}
cd "$here"
bash scripts/build.sh >/dev/null
[ -f runs/data/fineweb_val_000000.bin ] ||
  build/moelaw tokenize --out runs/data --name fineweb --shard-tokens 50000 ../shared/data/fineweb-edu-sample.txt >/dev/null
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
bench() {  # NAME TOKENS SETTINGS...
  local name=$1 tokens=$2; shift 2
  local out; out=$(mktemp -d)
  /usr/bin/time -f "%M" -o "$out/rss" mpirun -np "$ranks" --oversubscribe build/moelaw train \
    experiments/smoke/dense-tiny.toml --out "$out/run" --set train.tokens="$tokens" \
    --set train.eval_interval_steps=0 --set train.eval_tokens=1024 --set checkpoint.interval_steps=0 \
    --set train.log_interval_steps=1000000 "$@" >"$out/log"
  build/moelaw runinfo --json "$out/run" | python3 -c "
import json, sys
info = json.load(sys.stdin)
print('$name: $ranks rank(s), %d steps, %s tokens' % (info['steps'], info['tokens']))
" 
  grep -E '^step' "$out/log" | tail -1 | sed 's/^/  last progress line: /'
  echo "  peak resident memory per rank: $(( $(cat "$out/rss") / 1024 )) MiB"
  rm -rf "$out"
}
bench "smoke (d_model 64, 2 blocks, seq 64, 1024 tokens/step)" 32768
bench "larger (d_model 256, 4 blocks, seq 256, 4096 tokens/step)" 32768 \
  --set model.d_model=256 --set model.n_blocks=4 --set model.seq_len=256 \
  --set 'train.batch_ramp_sizes=[4096]'
