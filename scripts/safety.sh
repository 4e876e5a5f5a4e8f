#!/usr/bin/env bash
# Issue 21 (silent failures): what the safe truncation costs, and, on request, the measurement runs.
#
#   always      results/safety_latency.csv: BERT-base (seq 128 and 512; GeLU+Softmax and Quad+2Quad with
#               the BatchNorm stand-in, as the paper's tables) on the paper's network and on `wan`, V100
#               compute profile, phantom mode, --trunc local and --trunc safe (a few seconds)
#   --real NAME results/safety_real.csv: one real-mode inference of zoo model NAME (seq 128, random-init
#               weights, GeLU+Softmax and Quad+2Quad) per truncation: the analytic p_fail from the
#               magnitudes seen (bert-base: minutes and several GB of memory; bert-mini: a minute)
#   --eval W    results/safety_eval.csv: `eval --mpc` of checkpoint W on its whole test split and on a
#               stress run of SAFETY_STRESS (10000) random inputs in chunks of SAFETY_CHUNK (500; chunk i
#               uses --seed 1+500i: disjoint inputs and share seeds; the report adds chunks up), each for
#               the truncations in SAFETY_TRUNCS ("local safe"). SAFETY_DATA: the data directory
#               (data/spam); SAFETY_SKIP_TEST=1 skips the test split. Hours on a loaded 2-core machine.
#
# Usage: bash scripts/safety.sh [--bin MPCSIM] [--real MODEL] [--eval WEIGHTS]
set -euo pipefail
cd "$(dirname "$0")/.."
M=build/mpcsim real= weights=
while [ $# -gt 0 ]; do
  case $1 in
    --bin) M=$2; shift ;;
    --real) real=$2; shift ;;
    --eval) weights=$2; shift ;;
    -h | --help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "error: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
R=results
mkdir -p "$R"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Appends infer's CSV row with a trunc column (the local row has none in phantom mode).
row() { # out trunc args...
  local out=$1 t=$2; shift 2
  "$M" infer "$@" --trunc "$t" --out "$tmp/one.csv" 2>/dev/null
  if [ ! -s "$out" ]; then head -1 "$tmp/one.csv" | sed 's/,trunc$//; s/$/,trunc/' >"$out"; fi
  tail -1 "$tmp/one.csv" | awk -v t="$t" -F, -v OFS=, '{ if ($NF == t) NF--; print $0, t }' >>"$out"
}

out=$tmp/latency.csv
for seq in 128 512; do
  for a in gelu-erf+softmax quad+2quad; do
    for net in paper wan; do
      for t in local safe; do
        row "$out" "$t" --model bert-base --seq "$seq" --norm batchnorm --gelu "${a%+*}" --softmax "${a#*+}" \
          --net "$net" --compute profile:v100
      done
    done
  done
done
mv "$out" "$R/safety_latency.csv"
echo "wrote $R/safety_latency.csv" >&2

if [ -n "$real" ]; then
  out=$tmp/real.csv
  for a in gelu-erf+softmax quad+2quad; do
    for t in local safe; do
      "$M" infer --model "$real" --seq 128 --mode real --gelu "${a%+*}" --softmax "${a#*+}" --trunc "$t" --out "$tmp/one.csv"
      [ -s "$out" ] || head -1 "$tmp/one.csv" >"$out"
      tail -1 "$tmp/one.csv" >>"$out"
    done
  done
  mv "$out" "$R/safety_real.csv"
  echo "wrote $R/safety_real.csv" >&2
fi

if [ -n "$weights" ]; then
  out=$tmp/eval.csv
  data=${SAFETY_DATA:-data/spam} total=${SAFETY_STRESS:-10000} chunk=${SAFETY_CHUNK:-500}
  read -r -a truncs <<<"${SAFETY_TRUNCS:-local safe}"
  add() { [ -s "$out" ] || head -1 "$tmp/one.csv" >"$out"; tail -1 "$tmp/one.csv" >>"$out"; }
  for t in "${truncs[@]}"; do
    if [ "${SAFETY_SKIP_TEST:-0}" != 1 ]; then
      "$M" eval --data "$data" --weights "$weights" --mpc --n 0 --trunc "$t" --csv "$tmp/one.csv" \
        --failures "$R/safety_failures_test_$t.csv"
      add
    fi
    for ((i = 0; i * chunk < total; i++)); do
      "$M" eval --data "$data" --weights "$weights" --mpc --stress "$chunk" --seed $((1 + chunk * i)) --trunc "$t" \
        --csv "$tmp/one.csv" --failures "$tmp/fail.csv"
      add
      tail -n +2 "$tmp/fail.csv" >>"$tmp/stress_fail_$t.csv"
    done
    { echo "example,label,mpc_pred,plain_pred,logit_error,p_fail,wraps,domain,first_event"
      cat "$tmp/stress_fail_$t.csv" 2>/dev/null || true; } >"$R/safety_failures_stress_$t.csv"
  done
  mv "$out" "$R/safety_eval.csv"
  echo "wrote $R/safety_eval.csv" >&2
fi
