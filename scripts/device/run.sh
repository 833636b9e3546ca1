#!/usr/bin/env bash
# On a lent GPU machine (device tool, carrying .device from scripts/device/bundle.sh): unpack the
# bundle, then run the GPU tests and the benchmarks, the CUDA backend's and PyTorch's.
# Usage: bash scripts/device/run.sh [tests|bench|all|sanitize] [seconds]   (default: all, 540 s)
#   tests     the MPI and CPU checks, then every GPU test
#   all       the tests, then moelaw's own benchmarks (shorter limits than in `bench`)
#   bench     moelaw's benchmarks, then the PyTorch baseline (four torch.compile runs)
#   sanitize  compute-sanitizer memcheck and racecheck over the GPU tests' kernels (slow)
#
# A lease gives 15 minutes of device time in all (start-up and transfers included) and at most
# 600 s per command, so one call of `all` is what a session gets: call the device tool with
# timeout_s 580. The device tool brings back at most 8 files from $OUT and kills the whole command
# at its timeout. So everything goes to one log, $OUT/run.log, written as it runs; $OUT/summary.txt
# gets one line per step (exit status, seconds) as each ends; each step has a time limit of its
# own, and the limits of the steps chosen add up to at most the seconds given (checked and printed
# before anything runs), so a hang costs one step, not the session.
set -uo pipefail
what=${1:-all}
budget=${2:-540}
case $what in tests | bench | all | sanitize) ;; *) echo "usage: run.sh [tests|bench|all|sanitize] [seconds]" >&2; exit 2 ;; esac
out=${OUT:-$PWD/device-out}
root=/tmp/moelaw-bundle
boost=(--log_level=test_suite --report_level=short)
sanitizer=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
bundled=()  # env LD_LIBRARY_PATH=...: set below, once the libraries are found

# step NAME LIMIT COMMAND...: runs COMMAND for at most LIMIT seconds (less if the budget is
# nearly spent; skipped when under 10 s are left), its output into the log. While counting, it
# only adds LIMIT to the total.
counting=1 total=0
step() {
  local name=$1 limit=$2; shift 2
  if [ "$counting" = 1 ]; then
    total=$((total + limit))
    return
  fi
  local left=$((budget - ($(date +%s) - started)))
  [ "$left" -lt "$limit" ] && limit=$left
  if [ "$limit" -lt 10 ]; then
    echo "$name: skipped (budget of ${budget} s spent)" | tee -a "$summary" "$log"
    return
  fi
  echo "=== $name (limit ${limit} s): $*" | tee -a "$log"
  local t0 rc why=""
  t0=$(date +%s)
  timeout --kill-after=5 "$limit" "$@" >>"$log" 2>&1
  rc=$?
  { [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; } && why=" (timed out)"
  echo "$name: exit $rc$why, $(($(date +%s) - t0)) s" | tee -a "$summary" "$log"
}

# The steps of each mode, in order. The bundled binaries run under "${bundled[@]}" (the bundle's
# libraries first); python3 and the system's tools do not.
steps() {
  if [ "$what" = tests ] || [ "$what" = all ]; then
    # The bundled MPI on two ranks (the EP 2 test needs it), then the GPU tests in the order of
    # docs/gpu-bringup.md: the cheapest failures to read first.
    step mpi_two_ranks 20 "${bundled[@]}" mpirun -np 2 --oversubscribe bin/tests_mpi --run_test=test_mpi_communicator "${boost[@]}"
    # moelaw itself (HDF5 checkpoints, the test shards) on the CPU: an MoE model, experts split
    # over 2 ranks, 10 steps.
    step moelaw_cpu_two_ranks 40 "${bundled[@]}" OMP_NUM_THREADS=1 mpirun -np 2 --oversubscribe bin/moelaw train \
      /tmp/moelaw-tiny.toml --out /tmp/moelaw-tiny-run
    step test_gpu_device 15 "${bundled[@]}" bin/tests_gpu --run_test=test_gpu_device "${boost[@]}"
    step test_gpu_ops 30 "${bundled[@]}" bin/tests_gpu --run_test=test_gpu_ops "${boost[@]}"
    step test_gpu_bf16 25 "${bundled[@]}" bin/tests_gpu --run_test=test_gpu_bf16 "${boost[@]}"
    step test_gpu_grouped 25 "${bundled[@]}" bin/tests_gpu --run_test=test_gpu_grouped "${boost[@]}"
    step test_gpu_attention 40 "${bundled[@]}" bin/tests_gpu --run_test=test_gpu_attention "${boost[@]}"
    step test_gpu_moe 60 "${bundled[@]}" bin/tests_gpu --run_test=test_gpu_moe "${boost[@]}"
    # Three runs against the CPU reference, the last at head size 64 (flash attention in the model).
    step test_gpu_train 75 "${bundled[@]}" bin/tests_gpu --run_test=test_gpu_train "${boost[@]}"
    step test_gpu_nccl_exchange 20 "${bundled[@]}" bin/tests_gpu --run_test=test_gpu_nccl_exchange "${boost[@]}"
  fi
  if [ "$what" = bench ] || [ "$what" = all ]; then
    # Limits: after the tests in `all` (190 s in all), alone in `bench`, where PyTorch runs too.
    local b=(90 40 90 50)
    [ "$what" = all ] && b=(70 25 60 35)
    step gpu_step_bf16 "${b[0]}" "${bundled[@]}" bin/gpu_step bf16
    step gpu_attention "${b[1]}" "${bundled[@]}" bin/gpu_attention
    step gpu_moe_step_bf16 "${b[2]}" "${bundled[@]}" bin/gpu_moe_step --bf16 --expert-loop
    step gpu_step_fp32 "${b[3]}" "${bundled[@]}" bin/gpu_step fp32
  fi
  if [ "$what" = bench ]; then
    # Last: four torch.compile runs (~40-60 s each); it prints each shape as it ends.
    step pytorch_reference 270 python3 pytorch_reference.py
  fi
  if [ "$what" = sanitize ]; then
    # Every kernel the op-level GPU tests launch under memcheck (out-of-bounds and misaligned
    # accesses, leaks), the ones with shared memory under racecheck too (flash attention's tiles,
    # the block reductions). Not the tests that train through child processes (test_gpu_train,
    # the two-rank MoE run): under the sanitizer they would outlast any limit.
    # (Under the bundle's libraries too: compute-sanitizer starts the test itself.)
    local mem=("$sanitizer" --tool memcheck --error-exitcode 1)
    local race=("$sanitizer" --tool racecheck --error-exitcode 1)
    local moe_ops=--run_test=test_gpu_moe/moe_ops_cuda_against_cpu  # the op-level suite, not the training runs
    step memcheck_ops 80 "${bundled[@]}" "${mem[@]}" bin/tests_gpu --run_test=test_gpu_ops "${boost[@]}"
    step memcheck_bf16 50 "${bundled[@]}" "${mem[@]}" bin/tests_gpu --run_test=test_gpu_bf16 "${boost[@]}"
    step memcheck_grouped 50 "${bundled[@]}" "${mem[@]}" bin/tests_gpu --run_test=test_gpu_grouped "${boost[@]}"
    step memcheck_attention 80 "${bundled[@]}" "${mem[@]}" bin/tests_gpu --run_test=test_gpu_attention "${boost[@]}"
    step memcheck_moe_ops 60 "${bundled[@]}" "${mem[@]}" bin/tests_gpu "$moe_ops" "${boost[@]}"
    step racecheck_ops 100 "${bundled[@]}" "${race[@]}" bin/tests_gpu --run_test=test_gpu_ops "${boost[@]}"
    step racecheck_attention 120 "${bundled[@]}" "${race[@]}" bin/tests_gpu --run_test=test_gpu_attention "${boost[@]}"
  fi
}

steps
counting=0
echo "run: $what: the steps' limits add up to $total s (budget $budget s)"
if [ "$total" -gt "$budget" ]; then
  echo "run: over the budget: give at least $total s, or run fewer steps" >&2
  exit 2
fi

mkdir -p "$out"
log=$out/run.log summary=$out/summary.txt
: >"$log"; : >"$summary"
echo "run: $what: the steps' limits add up to $total s (budget $budget s)" >>"$log"
started=$(date +%s)
rm -rf "$root" && mkdir -p "$root"
tar -C "$root" -xzf .device/bundle.tar.gz || { echo "run: no bundle" | tee -a "$log" >&2; exit 1; }

# The libraries the bundle does not carry: cuBLAS and cuBLASLt (too large: 48 and 382 MB
# compressed), NCCL and cuDNN, and whatever else the binaries need that the system lacks. For each
# the first folder holding it among CUDA's (/usr/local/cuda/lib64) and PyTorch's wheels
# (site-packages/nvidia/*/lib, which nvidia-cublas, nvidia-nccl... install).
wheel_lib_dirs() {
  python3 -c 'import site; print("\n".join(site.getsitepackages() + [site.getusersitepackages()]))' 2>/dev/null |
    while read -r sp; do
      for d in "$sp"/nvidia/*/lib; do [ -d "$d" ] && echo "$d"; done
    done
}
mapfile -t search < <(echo /usr/local/cuda/lib64; echo /usr/local/cuda/targets/x86_64-linux/lib; wheel_lib_dirs)
missing=$(for f in "$root"/bin/*; do LD_LIBRARY_PATH="$root/lib" ldd "$f" 2>/dev/null; done |
  awk '$2 == "=>" && $3 == "not" {print $1}' | sort -u)
found_dirs=()
for lib in $missing; do
  dir=""
  for d in "${search[@]}"; do [ -e "$d/$lib" ] && { dir=$d; break; }; done
  if [ -n "$dir" ]; then
    echo "run: $lib from $dir" | tee -a "$log"
    [[ " ${found_dirs[*]} " == *" $dir "* ]] || found_dirs+=("$dir")
  else
    echo "run: $lib not found in /usr/local/cuda nor PyTorch's site-packages (binaries that need it will not start)" |
      tee -a "$log" >&2
  fi
done
# For the bundled binaries only: the bundle's Debian libraries first would break python3/torch.
bundle_path=$root/lib
for d in "${found_dirs[@]}"; do bundle_path+=":$d"; done
[ -n "${LD_LIBRARY_PATH:-}" ] && bundle_path+=":$LD_LIBRARY_PATH"
bundled=(env "LD_LIBRARY_PATH=$bundle_path")
echo "run: the bundled binaries run with LD_LIBRARY_PATH=$bundle_path" | tee -a "$log"

# The bundled OpenMPI, relocated: it looks for its plugins, help files and orted under
# OPAL_PREFIX, PMIx for its own under PMIX_PREFIX. The MCA settings are Debian's
# /etc/openmpi/openmpi-mca-params.conf (not in the bundle: its path is not relocated), plus no
# single-copy (CMA) transfers between ranks, which a sandboxed kernel (gVisor) may refuse.
export OPAL_PREFIX="$root/usr" PMIX_PREFIX="$root/usr/lib/x86_64-linux-gnu/pmix2" PATH="$root/usr/bin:$PATH"
export OMPI_MCA_ess_singleton_isolated=1 OMPI_MCA_btl_base_warn_component_unused=0 OMPI_MCA_mtl='^ofi'
export OMPI_MCA_btl='^uct,openib,ofi' OMPI_MCA_pml='^ucx' OMPI_MCA_osc='^ucx,pt2pt'
export OMPI_MCA_btl_vader_single_copy_mechanism=none PMIX_MCA_mca_base_component_path="$PMIX_PREFIX/lib/pmix"
export PYTHONUNBUFFERED=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 MOELAW_TEST_DATA="$root/test-data" MOELAW_BIN="$root/bin/moelaw"
{
  date -u; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv; nvcc --version | tail -1
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)'
} 2>&1 | tee -a "$log" >"$out/machine.txt"
cd "$root" || exit 1
cat >/tmp/moelaw-tiny.toml <<TOML
[model]
d_model = 32
head_dim = 16
n_blocks = 2
seq_len = 16
experts = 4
[data]
train = "$MOELAW_TEST_DATA/fineweb_train_*.bin"
val = "$MOELAW_TEST_DATA/fineweb_val_*.bin"
[train]
tokens = 1280
lr = 0.01
warmup_tokens = 256
batch_ramp_tokens = [0]
batch_ramp_sizes = [128]
eval_tokens = 256
backend = "cpu"
[parallel]
expert = 2
TOML
rm -rf /tmp/moelaw-tiny-run

steps
echo "run: $(($(date +%s) - started)) s in all" | tee -a "$log"
cat "$summary"
