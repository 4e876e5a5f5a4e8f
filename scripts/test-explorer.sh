#!/usr/bin/env bash
# The explorer's browser test (tests/web/explorer.test.js): installs what it needs (Emscripten,
# Chromium, npm: install-deps.sh --web; playwright-core from tests/web/package-lock.json), builds
# web/ (web/build.sh) and runs the test against the native binary. Closes with 'explorer: N passed,
# N failed'. Usage: scripts/test-explorer.sh [BUILD_DIR]   (default build; must hold mpcsim)
#                   scripts/test-explorer.sh --prepare     (install and build only; bench-explorer.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
[ "$dir" = --prepare ] || [ -x "$dir/mpcsim" ] ||
  { echo "test-explorer: $dir/mpcsim is missing; run scripts/build.sh first" >&2; exit 1; }
bash scripts/install-deps.sh --web
bash web/build.sh --quiet
if [ ! -d tests/web/node_modules/playwright-core ] || [ tests/web/package-lock.json -nt tests/web/node_modules/.package-lock.json ]; then
  (cd tests/web && npm ci --no-audit --no-fund --loglevel=error)
fi
[ "$dir" = --prepare ] && exit 0
MPCSIM_BIN="$PWD/$dir/mpcsim" node tests/web/explorer.test.js
