#!/usr/bin/env bash
# Issue 15 part 3: trained checkpoints of the accuracy pipeline under the `fss` protocol family.
#
# results/fss_eval.csv gets one `mpcsim eval --mpc --protocol fss` row (schema eval: mpcsim schema) per
# checkpoint and slice: real-mode private inference of FSS_EVAL_N examples (default 0 = the whole test
# split) starting at example FSS_EVAL_SKIP (default 0; each example keeps its seed, so slices add up to
# one run, as scripts/safety.sh). The checkpoint's own approximations and Quad/2Quad coefficients run
# under fss (ring 2^50, f = 12); frac_bits in the row is the fss family's f. The report adds a
# checkpoint's slices up (mpcsim report: "Trained checkpoints under fss"). FSS_EVAL_DATA: the data
# directory (data/spam); FSS_EVAL_RESULTS: the output directory (results). Slow: seconds of CPU per
# example (bert-mini-sized checkpoints, seq 128); run it niced.
#
# Usage: bash scripts/fss-eval.sh [--bin MPCSIM] WEIGHTS...
set -euo pipefail
cd "$(dirname "$0")/.."
M=build/mpcsim
ws=()
while [ $# -gt 0 ]; do
  case $1 in
    --bin) M=$2; shift ;;
    -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
    -*) echo "error: unknown option '$1' (try --help)" >&2; exit 2 ;;
    *) ws+=("$1") ;;
  esac
  shift
done
[ ${#ws[@]} -gt 0 ] || { echo "error: no checkpoint given (try --help)" >&2; exit 2; }
R=${FSS_EVAL_RESULTS:-results}
out=$R/fss_eval.csv
mkdir -p "$R"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for w in "${ws[@]}"; do
  [ -f "$w" ] || { echo "error: checkpoint '$w' not found" >&2; exit 2; }
  "$M" eval --data "${FSS_EVAL_DATA:-data/spam}" --weights "$w" --mpc --protocol fss --n "${FSS_EVAL_N:-0}" \
    --skip "${FSS_EVAL_SKIP:-0}" --csv "$tmp/one.csv"
  [ -s "$out" ] || head -1 "$tmp/one.csv" >"$out"
  tail -1 "$tmp/one.csv" >>"$out"
done
echo "fss-eval: rows appended to $out" >&2
