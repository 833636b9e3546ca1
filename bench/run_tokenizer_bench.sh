#!/usr/bin/env bash
# Tokenizer throughput: moelaw's C++ tokenizer (one thread and every core) and js-tiktoken (one
# thread) on the same text, in the same run, and the single-thread ratio.
#   bash bench/run_tokenizer_bench.sh [TEXT]     (default ../shared/data/fineweb-edu-sample.txt)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
text=${1:-$here/../shared/data/fineweb-edu-sample.txt}
[ -x "$here/build/bench/bench_tokenizer" ] || bash "$here/scripts/build.sh" >/dev/null
bash "$here/scripts/install-node-tools.sh" >/dev/null
cpp=$("$here/build/bench/bench_tokenizer" "$text")
js=$(node "$here/bench/tokenizer_js.js" "$text")
echo "$cpp"
echo "$js"
one=$(echo "$cpp" | sed -n 's/.*, 1 thread: \([0-9.]*\) MB\/s.*/\1/p')
ref=$(echo "$js" | sed -n 's/.*1 thread: \([0-9.]*\) MB\/s.*/\1/p')
awk -v a="$one" -v b="$ref" 'BEGIN { printf "single-thread ratio moelaw / js-tiktoken: %.1fx\n", a / b }'
