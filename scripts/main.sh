#!/usr/bin/env bash
# The main job on its built-in default, offline: build; tokenize the FineWeb-Edu sample
# (../shared/data/fineweb-edu-sample.txt) with moelaw's GPT-2 tokenizer into llm.c-layout shards
# under runs/data; train the tiny dense model of experiments/smoke/dense-tiny.toml on them on the
# CPU; print what the run did.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
bash scripts/build.sh
moelaw=build/moelaw
sample=../shared/data/fineweb-edu-sample.txt
[ -f "$sample" ] || { echo "main.sh: $sample not found (../shared must be beside the checkout)" >&2; exit 1; }
"$moelaw" tokenize --out runs/data --name fineweb --shard-tokens 50000 "$sample"
"$moelaw" shard-info runs/data/fineweb_*.bin
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
"$moelaw" train experiments/smoke/dense-tiny.toml --out runs/dense-tiny --resume auto
"$moelaw" runinfo runs/dense-tiny
