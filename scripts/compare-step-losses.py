#!/usr/bin/env python3
"""Compares two outputs of scripts/step-losses.sh: every (config, step) of the reference must be
present in the candidate with a loss equal within a relative tolerance (default 1e-5).
Usage: compare-step-losses.py REFERENCE CANDIDATE [--rtol R]; exit 1 on any difference."""
import sys


def load(path):
    out = {}
    for line in open(path):
        name, step, loss = line.split()
        out[(name, int(step))] = float(loss)
    return out


args = [a for a in sys.argv[1:] if not a.startswith("--")]
rtol = float(sys.argv[sys.argv.index("--rtol") + 1]) if "--rtol" in sys.argv else 1e-5
if "--rtol" in sys.argv:
    args.remove(sys.argv[sys.argv.index("--rtol") + 1])
ref, cand = load(args[0]), load(args[1])
bad = 0
worst = 0.0
for key, value in sorted(ref.items()):
    if key not in cand:
        print(f"missing: {key[0]} step {key[1]}")
        bad += 1
        continue
    rel = abs(cand[key] - value) / abs(value)
    worst = max(worst, rel)
    if rel > rtol:
        print(f"{key[0]} step {key[1]}: {cand[key]} vs reference {value} (relative {rel:.2e})")
        bad += 1
print(f"{len(ref)} reference losses, {bad} differ beyond {rtol:g}, worst relative difference {worst:.2e}")
sys.exit(1 if bad or not ref else 0)
