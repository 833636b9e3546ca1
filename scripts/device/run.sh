#!/usr/bin/env bash
# On a lent GPU machine (device tool, carrying .device from scripts/device/bundle.sh): unpack the
# bundle, then run the GPU tests and the benchmarks, the CUDA backend's and PyTorch's.
# Usage: bash scripts/device/run.sh [tests|bench|all] [seconds]   (default: all, 540 s)
#
# The device tool brings back at most 8 files from $OUT, and kills the whole command at its
# timeout. So everything goes to one log, $OUT/run.log, written as it runs; $OUT/summary.txt gets
# one line per step (exit status, seconds) as each ends; each step has a time limit of its own and
# the steps together stay within the seconds given, so a hang costs one step, not the session.
set -uo pipefail
what=${1:-all}
budget=${2:-540}
out=${OUT:-$PWD/device-out}
mkdir -p "$out"
log=$out/run.log summary=$out/summary.txt
: >"$log"; : >"$summary"
started=$(date +%s)
root=/tmp/moelaw-bundle
rm -rf "$root" && mkdir -p "$root"
tar -C "$root" -xzf .device/bundle.tar.gz || { echo "run: no bundle" | tee -a "$log" >&2; exit 1; }
export LD_LIBRARY_PATH="$root/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}"
# NCCL and cuDNN are not on the device's system paths (nor in the bundle): PyTorch's wheels bring
# them (nvidia-nccl-*, nvidia-cudnn-*). Their lib directories, from the package or by a search.
wheel_lib_dir() {  # $1: nccl | cudnn
  local dir
  dir=$(python3 -c "import os, nvidia.$1 as m; print(os.path.join(list(m.__path__)[0], 'lib'))" 2>/dev/null)
  if [ -z "$dir" ] || [ ! -d "$dir" ]; then
    dir=$(python3 -c 'import site; print("\n".join(site.getsitepackages() + [site.getusersitepackages()]))' 2>/dev/null |
      while read -r sp; do [ -d "$sp" ] && find "$sp" -name "lib$1.so*" -print 2>/dev/null; done | head -1)
    dir=${dir%/*}
  fi
  [ -n "$dir" ] && [ -d "$dir" ] && echo "$dir"
}
for pkg in nccl cudnn; do
  if dir=$(wheel_lib_dir "$pkg"); then
    export LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$dir"
    echo "run: lib$pkg from $dir" | tee -a "$log"
  else
    echo "run: lib$pkg not found in PyTorch's site-packages (binaries that need it will not start)" | tee -a "$log" >&2
  fi
done
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
cd "$root"

# step NAME LIMIT COMMAND...: runs COMMAND for at most LIMIT seconds (less if the budget is
# nearly spent; skipped when under 10 s are left), its output into the log.
step() {
  local name=$1 limit=$2; shift 2
  local left=$((budget - ($(date +%s) - started)))
  [ "$left" -lt "$limit" ] && limit=$left
  if [ "$limit" -lt 10 ]; then
    echo "$name: skipped (budget of ${budget} s spent)" | tee -a "$summary" "$log"
    return
  fi
  echo "=== $name (limit ${limit} s): $*" | tee -a "$log"
  local t0=$(date +%s)
  timeout --kill-after=5 "$limit" "$@" >>"$log" 2>&1
  local rc=$?
  local why=""; [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] && why=" (timed out)"
  echo "$name: exit $rc$why, $(($(date +%s) - t0)) s" | tee -a "$summary" "$log"
}

boost=(--log_level=test_suite --report_level=short)
if [ "$what" = tests ] || [ "$what" = all ]; then
  # The bundled MPI on two ranks (the EP 2 test needs it), then the GPU tests in the order of
  # docs/gpu-bringup.md: the cheapest failures to read first.
  step mpi_two_ranks 30 mpirun -np 2 --oversubscribe bin/test_mpi_communicator "${boost[@]}"
  # moelaw itself (HDF5 checkpoints, the test shards) on the CPU: an MoE model, experts split
  # over 2 ranks, 10 steps.
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
backend = "cpu"
[parallel]
expert = 2
TOML
  rm -rf /tmp/moelaw-tiny-run
  step moelaw_cpu_two_ranks 60 env OMP_NUM_THREADS=1 mpirun -np 2 --oversubscribe bin/moelaw train /tmp/moelaw-tiny.toml \
    --out /tmp/moelaw-tiny-run
  step test_gpu_device 30 bin/test_gpu_device "${boost[@]}"
  step test_gpu_ops 60 bin/test_gpu_ops "${boost[@]}"
  step test_gpu_bf16 60 bin/test_gpu_bf16 "${boost[@]}"
  step test_gpu_grouped 60 bin/test_gpu_grouped "${boost[@]}"
  step test_gpu_attention 90 bin/test_gpu_attention "${boost[@]}"
  step test_gpu_moe 120 bin/test_gpu_moe "${boost[@]}"
  step test_gpu_train 120 bin/test_gpu_train "${boost[@]}"
  step test_gpu_nccl_exchange 60 bin/test_gpu_nccl_exchange "${boost[@]}"
fi
if [ "$what" = bench ] || [ "$what" = all ]; then
  step gpu_step_bf16 120 bin/gpu_step bf16
  step gpu_attention 60 bin/gpu_attention
  step gpu_moe_step_bf16 180 bin/gpu_moe_step --bf16 --expert-loop
  step gpu_step_fp32 90 bin/gpu_step fp32
  # Last: four torch.compile runs (~40-60 s each); it prints each shape as it ends.
  step pytorch_reference 300 python3 pytorch_reference.py
fi
if [ "$what" = sanitize ]; then  # the flash kernels under compute-sanitizer (slow: run on its own)
  sanitizer=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
  step memcheck 240 "$sanitizer" --tool memcheck --error-exitcode 1 bin/test_gpu_attention
  step racecheck 240 "$sanitizer" --tool racecheck --error-exitcode 1 bin/test_gpu_attention
fi
echo "run: $(($(date +%s) - started)) s in all" | tee -a "$log"
cat "$summary"
