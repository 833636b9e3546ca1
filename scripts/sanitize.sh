#!/usr/bin/env bash
# Builds moelaw with AddressSanitizer and UndefinedBehaviorSanitizer into build-asan/ (CPU only,
# -O1 with debug information) and runs the unit tests there: any memory error, leak in our code or
# undefined behaviour fails the test that hit it. Extra arguments go to ctest (e.g. -R test_shards).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
gen=(); [ -f "$here/build-asan/CMakeCache.txt" ] || ! command -v ninja >/dev/null || gen=(-G Ninja)
launcher=(); ! command -v ccache >/dev/null || launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
cmake -S "$here" -B "$here/build-asan" "${gen[@]}" "${launcher[@]}" -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" -DCMAKE_C_FLAGS_DEBUG="-O1 -g" -DMOELAW_CUDA=OFF -DMOELAW_SANITIZE=ON >/dev/null
cmake --build "$here/build-asan" -j "$(nproc)"
# OpenMPI and HDF5 keep allocations until exit on purpose: leaks are checked, those libraries' not
# (scripts/lsan.supp). Their plugins have no frame pointers, so only the slow unwinder reaches the
# library that allocated; plugins stay loaded so that their frames keep a name.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:fast_unwind_on_malloc=0:strict_string_checks=1:detect_stack_use_after_return=1}"
export OMPI_MCA_mca_base_component_disable_dlclose=1
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$here/scripts/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
cd "$here/build-asan"
ctest --output-on-failure -j "$(nproc)" --timeout 1800 "$@"
