#!/usr/bin/env bash
# moelaw's tokenizer beside js-tiktoken on the same text in the same run.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
file=${1:-$here/../shared/data/fineweb-edu-sample.txt}
bash "$here/scripts/build.sh" >/dev/null
"$here/build/bench/bench_tokenizer" "$file" 5
NODE_PATH=$(bash "$here/scripts/install-node-tools.sh") node "$here/bench/tokenizer_js.js" "$file" 5
