#!/usr/bin/env bash
# The explorer's recompute time in Chromium (bench/bench_explorer.js): BERT-base at seq 128, a changed
# control to new numbers on the page, into a CSV (never part of the tests; `cmake --build build
# --target bench` runs it). Installs and builds what it needs (scripts/test-explorer.sh --prepare).
# Usage: scripts/bench-explorer.sh [OUT_CSV [REPS]]   (default results/bench_explorer.csv, 11 reps)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-results/bench_explorer.csv}
bash scripts/test-explorer.sh --prepare
mkdir -p "$(dirname "$out")"
MPCSIM_BIN=${MPCSIM_BIN:-$PWD/build/mpcsim} node bench/bench_explorer.js "$out" "${2:-11}"
