#!/usr/bin/env bash
# Packs what a lent GPU machine needs to run moelaw's GPU tests and benchmarks, built HERE (the
# device has nvcc and CUDA's libraries but not OpenMPI, HDF5, toml++, Boost, OpenBLAS or Ceres):
# the binaries, the shared libraries they load (CUDA's and the C library's excepted), OpenMPI's
# plugins, test shards and the PyTorch baseline script, into .device/bundle.tar.zst (ignored by
# git; carry `.device` in the device tool's run). Then on the device: bash scripts/device/run.sh
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here"
bash scripts/build.sh >/dev/null
[ -x build/tests/test_gpu_ops ] || { echo "bundle: no CUDA build (nvcc not found?)" >&2; exit 1; }
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/lib" "$stage/usr/lib/x86_64-linux-gnu/openmpi" "$stage/test-data"
bins=(build/moelaw build/tests/test_gpu_* build/bench/gpu_*)
cp "${bins[@]}" "$stage/bin/"
cp -r /usr/lib/x86_64-linux-gnu/openmpi/lib "$stage/usr/lib/x86_64-linux-gnu/openmpi/"
# The libraries of the binaries and of OpenMPI's plugins, but not the ones the device has. NCCL
# (over 200 MB) and cuDNN come from PyTorch's wheels there (scripts/device/run.sh finds them).
{ for f in "${bins[@]}" /usr/lib/x86_64-linux-gnu/openmpi/lib/openmpi3/*.so; do ldd "$f"; done; } |
  awk '$3 ~ /^\// {print $3}' | sort -u |
  grep -v -E '/(libcuda|libcublas|libcublasLt|libcudart|libc|libm|libpthread|libdl|librt|ld-linux-x86-64|libgcc_s|libstdc\+\+|libnccl|libcudnn[a-z_]*)\.so' |
  while read -r lib; do cp -L "$lib" "$stage/lib/"; done
build/moelaw tokenize --out "$stage/test-data" --name fineweb --shard-tokens 40000 \
  ../shared/data/fineweb-edu-sample.txt >/dev/null
cp bench/pytorch_reference.py "$stage/"
mkdir -p .device
tar -C "$stage" -cf - . | zstd -19 -T0 -q -o .device/bundle.tar.zst -f
echo "bundle: .device/bundle.tar.zst, $(du -h .device/bundle.tar.zst | cut -f1) (carry .device; limit 64 MiB)"
