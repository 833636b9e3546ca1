#!/usr/bin/env bash
# Packs what a lent GPU machine needs to run moelaw's GPU tests and benchmarks, built HERE (the
# device has nvcc and CUDA's libraries but not OpenMPI, HDF5, toml++, Boost, OpenBLAS or Ceres):
# the binaries, the shared libraries they load (the C library's, the driver's and the ones too
# large to carry excepted), OpenMPI's plugins, test shards and the PyTorch baseline script, into
# .device/bundle.tar.gz (ignored by git; carry `.device` in the device tool's run). Then on the
# device: bash scripts/device/run.sh
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here"
bash scripts/build.sh >/dev/null
[ -x build/tests/tests_gpu ] || { echo "bundle: no CUDA build (nvcc not found?)" >&2; exit 1; }
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
ompi=/usr/lib/x86_64-linux-gnu/openmpi pmix=/usr/lib/x86_64-linux-gnu/pmix2
mkdir -p "$stage/bin" "$stage/lib" "$stage/usr/bin" "$stage/usr/share" "$stage$ompi" "$stage$pmix" "$stage/test-data"
# tests_mpi (suite test_mpi_communicator): two real ranks through the bundled mpirun, first.
bins=(build/moelaw build/tests/tests_gpu build/tests/tests_mpi build/bench/gpu_*)
cp "${bins[@]}" "$stage/bin/"
# OpenMPI relocated under usr/ (OPAL_PREFIX): its plugins, help texts, mpirun and orted; PMIx
# (which mpirun's ranks connect through) under its own prefix (PMIX_PREFIX).
cp -r "$ompi/lib" "$stage$ompi/"
# Not the network plugins that run.sh turns off (InfiniBand, UCX, libfabric): they bring 20 MB of
# libraries, and a lent machine is one node.
find "$stage$ompi/lib" -name '*.so' | grep -E '(ofi|ucx|openib|uct|verbs)' | xargs rm -f
cp -r "$pmix/lib" "$pmix/share" "$stage$pmix/"
cp -r /usr/share/openmpi "$stage/usr/share/"
cp -L /usr/bin/orterun /usr/bin/orted "$stage/usr/bin/"
ln -s orterun "$stage/usr/bin/mpirun"
# The libraries of the binaries and of the plugins, the CUDA runtime (libcudart, 0.2 MB packed)
# among them, but not:
# - glibc's own (libc, libm, libpthread, libdl, librt, libresolv, libnss_*, libanl, libutil...):
#   they must match the device's ld-linux and its /etc/nsswitch.conf, and the device has them;
#   nor GCC's runtime (libgcc_s, libstdc++), which every image has;
# - the driver (libcuda): the device's own, always;
# - cuBLAS and cuBLASLt (48 and 382 MB packed: over the 64 MiB that may travel), NCCL (218 MB)
#   and cuDNN: scripts/device/run.sh finds them in /usr/local/cuda or PyTorch's wheels.
glibc='libc|libm|libmvec|libpthread|libdl|librt|libresolv|libnss_[a-z0-9_]+|libanl|libutil|libnsl|libBrokenLocale|libthread_db|libc_malloc_debug|ld-linux-x86-64'
{ for f in "${bins[@]}" /usr/bin/orterun /usr/bin/orted $(find "$stage$ompi/lib" -name '*.so' -type f) "$pmix"/lib/pmix/*.so; do ldd "$f"; done; } |
  awk '$3 ~ /^\// {print $3}' | sort -u |
  grep -v -E "/($glibc|libgcc_s|libstdc\+\+|libcuda|libcublas|libcublasLt|libnccl|libcudnn[a-z_]*)\.so" |
  while read -r lib; do cp -L "$lib" "$stage/lib/"; done
compgen -G "$stage/lib/libcudart.so.*" >/dev/null || { echo "bundle: the binaries' libcudart was not found" >&2; exit 1; }
build/moelaw tokenize --out "$stage/test-data" --name fineweb --shard-tokens 40000 \
  ../shared/data/fineweb-edu-sample.txt >/dev/null
cp bench/pytorch_reference.py "$stage/"
mkdir -p .device
# gzip, not zstd: the device image is not known to have zstd, and every image has gzip.
rm -f .device/bundle.tar.*
tar -C "$stage" -cf - . | gzip -9 >.device/bundle.tar.gz
echo "bundle: .device/bundle.tar.gz, $(du -h .device/bundle.tar.gz | cut -f1) (carry .device; limit 64 MiB)"
