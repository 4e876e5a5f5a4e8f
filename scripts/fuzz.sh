#!/usr/bin/env bash
# Fuzzes the safetensors reader (fuzz/fuzz_safetensors.c), then the TCP backend's handshake parser and
# frame decoder (fuzz/fuzz_tcp_handshake.c, fuzz/fuzz_tcp_frame.c) with libFuzzer under ASan + UBSan.
# Builds build-fuzz/ with clang, writes the seed corpus, then runs single-process.
# Usage: scripts/fuzz.sh [RUNS] [libFuzzer options...]   (RUNS default 1000000)
# New inputs accumulate in build-fuzz/fuzz-corpus; a crash leaves crash-* in the current directory
# and makes this script exit non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-1000000}
[ $# -gt 0 ] && shift
CC=clang cmake -S . -B build-fuzz -DMPCSIM_FUZZ=ON -DMPCSIM_TESTS=OFF >/dev/null
cmake --build build-fuzz -j"${JOBS:-1}" --target fuzz_safetensors fuzz_seeds fuzz_tcp_handshake fuzz_tcp_frame fuzz_tcp_seeds
seeds=build-fuzz/fuzz-seeds
corpus=build-fuzz/fuzz-corpus
mkdir -p "$seeds" "$corpus"
./build-fuzz/fuzz/fuzz_seeds "$seeds"
./build-fuzz/fuzz/fuzz_safetensors -runs="$runs" -dict=fuzz/safetensors.dict -print_final_stats=1 \
  "$@" "$corpus" "$seeds"
for t in tcp_handshake tcp_frame; do
  mkdir -p "build-fuzz/fuzz-seeds-$t" "build-fuzz/fuzz-corpus-$t"
done
./build-fuzz/fuzz/fuzz_tcp_seeds build-fuzz/fuzz-seeds-tcp_frame build-fuzz/fuzz-seeds-tcp_handshake
for t in tcp_handshake tcp_frame; do
  ./build-fuzz/fuzz/fuzz_$t -runs="$runs" -print_final_stats=1 "$@" "build-fuzz/fuzz-corpus-$t" "build-fuzz/fuzz-seeds-$t"
done
