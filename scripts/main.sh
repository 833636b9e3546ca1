#!/usr/bin/env bash
# The main job on its built-in default: build, then tokenize the FineWeb-Edu sample into
# llm.c-layout shards under runs/default/ and describe them.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bash "$here/scripts/build.sh"
"$here/build/moelaw" --help
