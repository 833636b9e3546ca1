#!/usr/bin/env bash
# Tries the device bundle HERE, as a bare device machine would see it: scripts/device/run.sh runs
# in a private mount namespace where the system's OpenMPI and PMIx trees, mpirun, orted and every
# library the bundle carries are hidden, so that whatever the bundle lacks fails here, not in the
# 15 minutes of a lent GPU. There is no GPU here: the GPU tests must skip cleanly and the two-rank
# MPI check must pass. Needs root (unshare -m). Usage: bash scripts/device/check-bundle.sh
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here"
[ -f .device/bundle.tar.gz ] || bash scripts/device/bundle.sh
out=$(mktemp -d)
# Libraries the tools around the run need (the shell, tar, python3...): hiding those would break
# the check itself, and a device image has its own.
keep=$(for t in bash tar gzip timeout date tee python3 mktemp; do ldd "$(command -v "$t")"; done |
  awk '$3 ~ /^\// {n=$3; sub(/.*\//, "", n); print n}' | sort -u)
carried=$(tar -tzf .device/bundle.tar.gz | sed -n 's|^\./lib/||p' | grep . || true)
unshare -m bash -s "$here" "$out" "$keep" "$carried" <<'EOF'
set -euo pipefail
here=$1 out=$2 keep=$3 carried=$4
mount --make-rprivate /
empty=$(mktemp -d)
hidden=0
hide() {  # bind an empty directory over a directory, /dev/null over a file
  [ -e "$1" ] || return 0
  if [ -d "$1" ]; then mount --bind "$empty" "$1"; else mount --bind /dev/null "$1"; fi
  hidden=$((hidden + 1))
}
for d in /usr/lib/x86_64-linux-gnu/openmpi /usr/lib/x86_64-linux-gnu/pmix2 /usr/share/openmpi /etc/openmpi; do hide "$d"; done
for f in /usr/bin/orterun /usr/bin/orted /usr/bin/mpirun /usr/bin/mpiexec; do hide "$(readlink -f "$f")"; done
for name in $carried; do
  grep -qxF "$name" <<<"$keep" && continue
  for dir in /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu /usr/lib /usr/local/cuda/lib64; do
    for f in "$dir/${name%%.so*}.so"*; do [ -f "$f" ] && hide "$f"; done
  done
done
echo "check-bundle: $hidden system paths hidden"
cd "$here"
OUT=$out bash scripts/device/run.sh tests >/dev/null 2>&1 || true
EOF
echo "--- $out/summary.txt"
cat "$out/summary.txt"
failed=$(grep -v -E ': exit 0, ' "$out/summary.txt" || true)
if [ -n "$failed" ] || ! grep -q '^mpi_two_ranks: exit 0' "$out/summary.txt"; then
  echo "check-bundle: FAILED; the log: $out/run.log" >&2
  exit 1
fi
grep -q 'no GPU here' "$out/run.log" || { echo "check-bundle: the GPU tests did not say they skipped ($out/run.log)" >&2; exit 1; }
echo "check-bundle: every step passed, the GPU tests skipped (log: $out/run.log)"
