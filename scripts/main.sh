#!/usr/bin/env bash
# The main job on its built-in default, offline, in a few minutes on 2 cores: build; tokenize the
# FineWeb-Edu sample (../shared/data/fineweb-edu-sample.txt) with moelaw's GPT-2 tokenizer into
# llm.c-layout shards under runs/data; run the tiny grid of experiments/smoke/grid.toml (two
# dense models and one MoE model, three lengths each, cooldowns branching from constant-LR
# trunks) with the local executor into runs/smoke-grid; then collect the finished runs and fit
# the Chinchilla law to them, printing the coefficient table. Running it again finishes what an
# interrupted run left and redoes nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
bash scripts/build.sh
moelaw=build/moelaw
sample=../shared/data/fineweb-edu-sample.txt
[ -f "$sample" ] || { echo "main.sh: $sample not found (../shared must be beside the checkout)" >&2; exit 1; }
if ! "$moelaw" shard-info runs/data/fineweb_*.bin >/dev/null 2>&1; then
  "$moelaw" tokenize --out runs/data --name fineweb --shard-tokens 50000 "$sample"
fi
"$moelaw" shard-info runs/data/fineweb_*.bin
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
"$moelaw" plan experiments/smoke/grid.toml
"$moelaw" submit experiments/smoke/grid.toml --executor local --out runs/smoke-grid
"$moelaw" status runs/smoke-grid
"$moelaw" collect runs/smoke-grid --out runs/smoke-grid/runs.csv
# At these sizes the vocabulary embedding is 98% of the parameters: N is the non-embedding count.
"$moelaw" fit runs/smoke-grid/runs.csv --law chinchilla --n-column n_act_nonembedding --out runs/smoke-grid/fit
