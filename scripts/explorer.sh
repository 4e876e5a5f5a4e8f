#!/usr/bin/env bash
# The explorer: builds the simulator for the browser (web/build.sh, Emscripten) and serves web/ on
# localhost. Works offline; no special headers (the simulator's actors are fibers on one thread).
# Usage: scripts/explorer.sh [--port N] [--no-build] [--build-only]
#   --port N      port on 127.0.0.1 (default 8019)
#   --no-build    serve what web/ has (web/mpcsim.js and .wasm must exist)
#   --build-only  build and exit
set -euo pipefail
cd "$(dirname "$0")/.."
port=8019 build=1 serve=1
while [ $# -gt 0 ]; do
  case $1 in
    --port) port=${2:?--port needs a number}; shift ;;
    --no-build) build=0 ;;
    --build-only) serve=0 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "explorer: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
case $port in ''|*[!0-9]*) echo "explorer: --port: '$port' is not a port number" >&2; exit 2 ;; esac
if [ $build = 1 ]; then
  command -v emcc >/dev/null 2>&1 || bash scripts/install-deps.sh --web
  bash web/build.sh
fi
[ -f web/mpcsim.wasm ] || { echo "explorer: web/mpcsim.wasm is missing; run without --no-build" >&2; exit 1; }
[ $serve = 1 ] || exit 0
echo "explorer: serving http://127.0.0.1:$port/ (Ctrl-C stops)" >&2
exec python3 -m http.server "$port" --bind 127.0.0.1 --directory web
