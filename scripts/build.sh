#!/usr/bin/env bash
# Configures and builds mpcsim. Usage: scripts/build.sh [--sanitize] ; prints the build directory.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build; opts=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
if [ "${1:-}" = "--sanitize" ]; then dir=build-asan; opts=(-DCMAKE_BUILD_TYPE=Debug -DMPCSIM_SANITIZE=ON); fi
[ "${CI:-}" = "true" ] && opts+=(-DMPCSIM_WERROR=ON)
cmake -S . -B "$dir" "${opts[@]}" >&2
cmake --build "$dir" -j"$(nproc)" >&2
echo "$dir"
