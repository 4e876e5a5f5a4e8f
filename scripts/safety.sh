#!/usr/bin/env bash
# Issue 21 (silent failures): what the safe truncation costs, and, on request, the measurement runs.
#
#   always      results/safety_latency.csv: BERT-base (seq 128 and 512; GeLU+Softmax and Quad+2Quad with
#               the BatchNorm stand-in, as the paper's tables) on the paper's network and on `wan`, V100
#               compute profile, phantom mode, --trunc local and --trunc safe (a few seconds)
#   --real NAME results/safety_real.csv: one real-mode inference of zoo model NAME (seq 128, random-init
#               weights, GeLU+Softmax and Quad+2Quad) per truncation: the analytic p_fail from the
#               magnitudes seen (bert-base: minutes and several GB of memory; bert-mini: a minute)
#   --eval W    results/safety_eval.csv gets `eval --mpc` rows of checkpoint W on its whole test split, for
#               the truncations in SAFETY_TRUNCS ("local safe"), in SAFETY_SLICES (1) slices run
#               SAFETY_JOBS (2) at a time (--skip: each example keeps its seed, so slices add up to one run)
#   --stress W  ... and a stress run of SAFETY_STRESS (10000) random inputs on checkpoint W in chunks of
#               SAFETY_CHUNK (500; chunk i uses --seed 1+500i: disjoint inputs and share seeds), for the
#               truncations in SAFETY_STRESS_TRUNCS ("safe"), SAFETY_JOBS at a time. The report adds
#               slices and chunks up. SAFETY_DATA: the data directory (data/spam). --eval and --stress
#               may be repeated; hours on a loaded 2-core machine. Catastrophic examples:
#               results/safety_failures.csv (schema eval_failures plus weights, split, trunc). SAFETY_RESULTS:
#               the output directory (results).
#
# Usage: bash scripts/safety.sh [--bin MPCSIM] [--real MODEL] [--eval WEIGHTS]... [--stress WEIGHTS]...
set -euo pipefail
cd "$(dirname "$0")/.."
M=build/mpcsim real=
evals=() stresses=()
while [ $# -gt 0 ]; do
  case $1 in
    --bin) M=$2; shift ;;
    --real) real=$2; shift ;;
    --eval) evals+=("$2"); shift ;;
    --stress) stresses+=("$2"); shift ;;
    -h | --help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "error: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
R=${SAFETY_RESULTS:-results}
mkdir -p "$R"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Appends infer's CSV row to body; a phantom --trunc local row lacks infer's optional columns (schema
# infer): they are added empty, with trunc = local. The header is the safe rows' (all columns).
row() { # body trunc args...
  local out=$1 t=$2; shift 2
  "$M" infer "$@" --trunc "$t" --out "$tmp/one.csv" 2>/dev/null
  if [ "$t" = safe ]; then head -1 "$tmp/one.csv" >"$tmp/header.csv"; tail -1 "$tmp/one.csv" >>"$out"
  else tail -1 "$tmp/one.csv" | sed 's/$/,,,,,,local/' >>"$out"; fi
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
cat "$tmp/header.csv" "$out" >"$tmp/latency_all.csv"
mv "$tmp/latency_all.csv" "$R/safety_latency.csv"
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

if [ ${#evals[@]} -gt 0 ] || [ ${#stresses[@]} -gt 0 ]; then
  data=${SAFETY_DATA:-data/spam} total=${SAFETY_STRESS:-10000} chunk=${SAFETY_CHUNK:-500}
  slices=${SAFETY_SLICES:-1} jobs=${SAFETY_JOBS:-2}
  read -r -a truncs <<<"${SAFETY_TRUNCS:-local safe}"
  read -r -a struncs <<<"${SAFETY_STRESS_TRUNCS:-safe}"
  n=0 running=0
  run() { # one eval --mpc job: n-th output
    while [ "$running" -ge "$jobs" ]; do wait -n; running=$((running - 1)); done
    n=$((n + 1))
    ( "$M" eval --data "$data" --mpc "$@" --csv "$tmp/e$n.csv" --failures "$tmp/f$n.csv" >"$tmp/e$n.log" 2>&1 ||
        { echo "error: eval $* failed (see below)" >&2; tail -5 "$tmp/e$n.log" >&2; exit 1; } ) &
    running=$((running + 1))
  }
  for w in "${evals[@]}"; do
    nex=$(wc -l <"$data/test.tsv") # examples, one a line
    per=$(((nex + slices - 1) / slices))
    for t in "${truncs[@]}"; do
      for ((s = 0; s < slices; s++)); do run --weights "$w" --trunc "$t" --skip $((s * per)) --n "$per"; done
    done
  done
  for w in "${stresses[@]}"; do
    for t in "${struncs[@]}"; do
      for ((i = 0; i * chunk < total; i++)); do
        c=$((total - i * chunk < chunk ? total - i * chunk : chunk))
        run --weights "$w" --stress "$c" --seed $((1 + chunk * i)) --trunc "$t"
      done
    done
  done
  while [ "$running" -gt 0 ]; do wait -n || exit 1; running=$((running - 1)); done
  out=$tmp/eval.csv fails=$tmp/fails.csv
  head -1 "$tmp/e1.csv" >"$out"
  echo "$(head -1 "$tmp/f1.csv"),weights,split,trunc" >"$fails"
  for ((k = 1; k <= n; k++)); do
    tail -1 "$tmp/e$k.csv" >>"$out"
    key=$(tail -1 "$tmp/e$k.csv" | awk -F, -v OFS=, '{ print $1, $7, $20 }') # weights, split, trunc
    tail -n +2 "$tmp/f$k.csv" | sed "s|\$|,$key|" >>"$fails"
  done
  mv "$out" "$R/safety_eval.csv"
  mv "$fails" "$R/safety_failures.csv"
  echo "wrote $R/safety_eval.csv, $R/safety_failures.csv" >&2
fi
