#!/usr/bin/env bash
# Builds, then runs every registered test with CTest.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bash "$here/scripts/build.sh"
cd "$here/build"
ctest --output-on-failure -j "$(nproc)" --timeout 900
