#!/usr/bin/env bash
# Installs the reference tokenizer (js-tiktoken, npm) into .cache/node for fixture scripts and the
# tokenizer benchmark. Not needed to build or test: the fixtures it makes are committed.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
[ -d "$here/.cache/node/node_modules/js-tiktoken" ] ||
  npm install --silent --no-audit --no-fund --prefix "$here/.cache/node" js-tiktoken@1.0.21 >/dev/null
echo "$here/.cache/node/node_modules"
