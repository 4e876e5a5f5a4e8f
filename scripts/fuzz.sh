#!/usr/bin/env bash
# Fuzzes one parser with libFuzzer under ASan + UBSan: the safetensors reader
# (fuzz/fuzz_safetensors.c, the default) or the sweep file parser (fuzz/fuzz_sweep.c).
# Builds build-fuzz/ with clang, writes or picks the seed corpus, then runs single-process.
# Usage: scripts/fuzz.sh [safetensors|sweep] [RUNS] [libFuzzer options...]   (RUNS default 1000000)
# New inputs accumulate in build-fuzz/fuzz-corpus[-sweep]; a crash leaves crash-* in the current
# directory and makes this script exit non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
target=safetensors
case "${1:-}" in safetensors|sweep) target=$1; shift ;; esac
runs=${1:-1000000}
[ $# -gt 0 ] && shift
CC=clang cmake -S . -B build-fuzz -DMPCSIM_FUZZ=ON -DMPCSIM_TESTS=OFF >/dev/null
if [ "$target" = sweep ]; then
  cmake --build build-fuzz -j"${JOBS:-1}" --target fuzz_sweep
  corpus=build-fuzz/fuzz-corpus-sweep
  mkdir -p "$corpus"
  ./build-fuzz/fuzz/fuzz_sweep -runs="$runs" -dict=fuzz/sweep.dict -max_len=8192 -print_final_stats=1 \
    "$@" "$corpus" experiments/sweeps
  exit
fi
cmake --build build-fuzz -j"${JOBS:-1}" --target fuzz_safetensors fuzz_seeds
seeds=build-fuzz/fuzz-seeds
corpus=build-fuzz/fuzz-corpus
mkdir -p "$seeds" "$corpus"
./build-fuzz/fuzz/fuzz_seeds "$seeds"
./build-fuzz/fuzz/fuzz_safetensors -runs="$runs" -dict=fuzz/safetensors.dict -print_final_stats=1 \
  "$@" "$corpus" "$seeds"
