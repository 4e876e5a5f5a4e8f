#!/usr/bin/env bash
# Fuzzes the parsers with libFuzzer under ASan + UBSan: the safetensors reader (fuzz/fuzz_safetensors.c),
# the TCP backend's handshake parser and frame decoder (fuzz/fuzz_tcp_handshake.c, fuzz/fuzz_tcp_frame.c)
# and the sweep file parser (fuzz/fuzz_sweep.c). Builds build-fuzz/ with clang, writes or picks the seed
# corpora, then runs single-process.
# Usage: scripts/fuzz.sh [all|safetensors|tcp|sweep] [RUNS] [libFuzzer options...]
#        (default all; RUNS per target, default 1000000)
# New inputs accumulate in build-fuzz/fuzz-corpus*; a crash leaves crash-* in the current directory and
# makes this script exit non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
target=all
case "${1:-}" in all|safetensors|tcp|sweep) target=$1; shift ;; esac
runs=${1:-1000000}
[ $# -gt 0 ] && shift
CC=clang cmake -S . -B build-fuzz -DMPCSIM_FUZZ=ON -DMPCSIM_TESTS=OFF >/dev/null
want() { [ "$target" = all ] || [ "$target" = "$1" ]; }
if want safetensors; then
  cmake --build build-fuzz -j"${JOBS:-1}" --target fuzz_safetensors fuzz_seeds
  seeds=build-fuzz/fuzz-seeds
  corpus=build-fuzz/fuzz-corpus
  mkdir -p "$seeds" "$corpus"
  ./build-fuzz/fuzz/fuzz_seeds "$seeds"
  ./build-fuzz/fuzz/fuzz_safetensors -runs="$runs" -dict=fuzz/safetensors.dict -print_final_stats=1 \
    "$@" "$corpus" "$seeds"
fi
if want tcp; then
  cmake --build build-fuzz -j"${JOBS:-1}" --target fuzz_tcp_handshake fuzz_tcp_frame fuzz_tcp_seeds
  for t in tcp_handshake tcp_frame; do
    mkdir -p "build-fuzz/fuzz-seeds-$t" "build-fuzz/fuzz-corpus-$t"
  done
  ./build-fuzz/fuzz/fuzz_tcp_seeds build-fuzz/fuzz-seeds-tcp_frame build-fuzz/fuzz-seeds-tcp_handshake
  for t in tcp_handshake tcp_frame; do
    ./build-fuzz/fuzz/fuzz_$t -runs="$runs" -print_final_stats=1 "$@" "build-fuzz/fuzz-corpus-$t" \
      "build-fuzz/fuzz-seeds-$t"
  done
fi
if want sweep; then
  cmake --build build-fuzz -j"${JOBS:-1}" --target fuzz_sweep
  corpus=build-fuzz/fuzz-corpus-sweep
  mkdir -p "$corpus"
  ./build-fuzz/fuzz/fuzz_sweep -runs="$runs" -dict=fuzz/sweep.dict -max_len=8192 -print_final_stats=1 \
    "$@" "$corpus" experiments/sweeps
fi
