#!/usr/bin/env bash
# Installs dependencies, builds and runs the whole test suite (ctest over the Criterion tests), then
# the explorer's browser test (scripts/test-explorer.sh; not with --sanitize).
# Usage: scripts/test.sh [--sanitize]   (--sanitize: the same tests under ASan + UBSan)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
dir=$(bash scripts/build.sh "$@")
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
(cd "$dir" && ctest --output-on-failure --timeout 900)
# The explorer in a real browser (once: the sanitizer run tests the same C code through ctest).
[ "$dir" = build ] && bash scripts/test-explorer.sh "$dir"
exit 0
