#!/usr/bin/env bash
# Builds, then runs every registered test with CTest. Where clang 14 and its libFuzzer are
# installed, also builds the fuzz targets (build-fuzz/), which CTest's fuzz_smoke then runs briefly.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bash "$here/scripts/build.sh"
if command -v clang++-14 >/dev/null && ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  bash "$here/scripts/fuzz.sh" --build
fi
cd "$here/build"
ctest --output-on-failure -j "$(nproc)" --timeout 900
