#!/usr/bin/env bash
# The main job: installs dependencies, builds, and runs the default reproduction.
# (Today: a short demo of the simulator and one protocol op under a named network; the paper
# reproduction -- sweeps, plots, report -- replaces it as those parts land.)
# Usage: scripts/reproduce.sh [--net PROFILE]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
dir=$(bash scripts/build.sh)
"$dir/mpcsim" demo "$@"
