#!/usr/bin/env bash
# Installs the node packages that tests/tools and bench/ use into .cache/node (git-ignored):
# js-tiktoken, an independent GPT-2 tokenizer, to make fixtures and to compare speed.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
version=1.0.21
dest="$here/.cache/node"
if [ -f "$dest/node_modules/js-tiktoken/package.json" ] &&
   grep -q "\"version\": \"$version\"" "$dest/node_modules/js-tiktoken/package.json"; then
  echo "node tools: js-tiktoken@$version already in $dest"
  exit 0
fi
mkdir -p "$dest"
npm install --silent --no-audit --no-fund --prefix "$dest" "js-tiktoken@$version"
echo "node tools: js-tiktoken@$version installed in $dest"
