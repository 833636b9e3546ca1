#!/usr/bin/env bash
# On a lent GPU machine (device tool, carrying .device from scripts/device/bundle.sh): unpack the
# bundle, then run the GPU tests and the benchmarks, the CUDA backend's and PyTorch's, writing
# everything to $OUT (or ./device-out). Usage: bash scripts/device/run.sh [tests|bench|all]
set -uo pipefail
what=${1:-all}
out=${OUT:-$PWD/device-out}
mkdir -p "$out"
root=/tmp/moelaw-bundle
rm -rf "$root" && mkdir -p "$root"
zstd -dc .device/bundle.tar.zst | tar -C "$root" -xf - || { echo "run: no bundle" >&2; exit 1; }
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
    echo "run: lib$pkg from $dir"
  else
    echo "run: lib$pkg not found in PyTorch's site-packages (binaries that need it will not start)" >&2
  fi
done
export OPAL_PREFIX="$root/usr" OMPI_MCA_ess_singleton_isolated=1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 MOELAW_TEST_DATA="$root/test-data" MOELAW_BIN="$root/bin/moelaw"
{
  date -u; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv; nvcc --version | tail -1
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)'
} 2>&1 | tee "$out/machine.txt"
cd "$root"
if [ "$what" = tests ] || [ "$what" = all ]; then
  # test_gpu_device first: it says whether the GPU is usable at all.
  for t in bin/test_gpu_device $(ls bin/test_gpu_* | grep -v test_gpu_device); do
    "$t" --log_level=test_suite --report_level=short 2>&1 | tee "$out/${t##*/}.txt"
  done
fi
if [ "$what" = bench ] || [ "$what" = all ]; then
  for b in bin/gpu_*; do "$b" 2>&1 | tee "$out/${b##*/}.txt"; done
  python3 pytorch_reference.py 2>&1 | tee "$out/pytorch_reference.txt"
fi
