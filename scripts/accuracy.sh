#!/usr/bin/env bash
# The accuracy pipeline (issue: train and distill in C; accuracy measured under MPC).
#
#   teacher    BERT classifier, GeLU + softmax, trained on the task
#   students   for each of the paper's approximations (Quad+Softmax, GeLU+2ReLU, Quad+2ReLU,
#              GeLU+2Quad, Quad+2Quad):
#                mpcformer  distilled from the teacher (stage 1 + stage 2, best dev checkpoint)
#                wo_d       initialised from the teacher, task loss
#                wo_pd      random init, task loss
#              all with the same budget of epochs (reported in results/accuracy.csv)
#   evaluation every model in plaintext and under 2-party MPC (real mode, the trained weights) on
#              the whole test split (ACC_MPC_N=0, the default; N = the first N examples)
#   latency    `mpcsim infer` for the same model shape, per approximation (paper network,
#              V100 compute profile, as Table 1), for the accuracy-against-latency figure
#
# Outputs: results/accuracy.csv (one row per model), results/accuracy_latency.csv,
# results/accuracy_train.csv (one row per training run); checkpoints and logs in runs/accuracy/
# (git-ignored). Runs two single-threaded jobs at a time.
# Time, measured on the 2-core box (Intel Xeon with AVX-512 and AMX, OPENBLAS_CORETYPE=Haswell as set
# here, nothing else running, main aa674c2, 2026-12-08 05:46 UTC): 22 min 31 s wall, 2,664 CPU s (user +
# system). The 16 whole-split MPC evaluations (16 x 608 private inferences) take 1,507 s of it (from
# 56 s a model for the Quad+2Quad students, 0.09 s an inference, to 144 s for the teacher, 0.24 s,
# each with about 2 s for its plaintext evaluation and calibration), training, distillation and the
# rest about 1,150 s. Issue 16 asks for 20 minutes: not met on this machine (11% over). Earlier runs
# of the same pipeline, every result the same bits (only the measured seconds per step differ):
# main 6b2d705 22 min 53 s (MPC evaluations 1,690 s); main d548087 23 min 45 s in an hour when the
# box ran about 10% slower (training, unchanged, 1,155 CPU s against 1,050); on the AMD Zen 5 box of
# an earlier session (its AVX-512 ring matmul and ChaCha20 2-3x faster than this Xeon's) main 544b64e
# 22 min 24 s. What is left, measured (perf, eval --mpc of the accuracy models): a private inference
# is ChaCha20 keystream 11-19% (every block computed once, at the vector ports' limit), the one-hot
# embedding (its matmul triple at the AMX kernel's 30 GMAC/s, sharings, openings) 24% (teacher) to 57%
# (Quad+2Quad), the AND circuits' memory-bound passes; a training step is about half OpenBLAS sgemm
# (near its Haswell kernel's peak) and 13% libm erf/exp. The levers left change the numbers this script writes: OpenBLAS's
# SkylakeX sgemm (12% less CPU for an 80-step training run here, other bits, and only on AVX-512 machines), vectorised
# erf/exp in training, a faster PRG (every MPC result of the repository changes), each example at
# its own length (16% of the test texts are shorter than 128 tokens).
#
# Usage: bash scripts/accuracy.sh [MPCSIM]      (MPCSIM: the built binary, default build/mpcsim)
# Knobs (environment): ACC_EPOCHS (2 per student; distillation: 1 stage-1 epoch + the rest in
#   stage 2; the teacher always trains 3), ACC_MPC_N (0 = the whole test split for every model; N: the first N examples), ACC_JOBS (2), ACC_SEQ (128),
#   ACC_TRAIN_ARGS (extra options for train/distill, e.g. "--limit 64 --max-steps 4" for a smoke run),
#   ACC_MPC_FULL (with ACC_MPC_N > 0, models still evaluated on the whole split: "teacher mpcformer-quad+2quad"),
#   ACC_SHAPE (the model shape given to train: "--layers 2 --hidden 128 --heads 2 --ffn 512"),
#   ACC_DATA (a directory with train.tsv, dev.tsv, test.tsv and vocab.txt; default data/spam, fetched
#   and prepared when missing), ACC_RESULTS (results), ACC_RUNS (runs/accuracy).
set -euo pipefail
cd "$(dirname "$0")/.."
M=${1:-build/mpcsim}
EPOCHS=${ACC_EPOCHS:-2}
MPC_N=${ACC_MPC_N:-0}
JOBS=${ACC_JOBS:-2}
SEQ=${ACC_SEQ:-128}
SHAPE=${ACC_SHAPE:---layers 2 --hidden 128 --heads 2 --ffn 512}
DATA=${ACC_DATA:-data/spam}
W=${ACC_RUNS:-runs/accuracy}
R=${ACC_RESULTS:-results}
[ "$EPOCHS" -ge 2 ] || { echo "error: ACC_EPOCHS must be >= 2 (distillation has two stages)" >&2; exit 2; }
mkdir -p "$W" "$R"
export OPENBLAS_NUM_THREADS=1 MPCSIM_THREADS=1 # two single-threaded jobs at a time use the two cores best (BLAS and ring kernels)
# OpenBLAS's Haswell (AVX2) sgemm on every x86-64 machine unless the caller chose: the trained weights,
# and so every number below, are then the same bits on any machine (its per-CPU choice, e.g. SkylakeX
# on an AVX-512 Xeon, sums in another order; there about 15% faster, other results).
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}
t0=$(date +%s)
log() { printf '[accuracy %4ds] %s\n' $(($(date +%s) - t0)) "$*" >&2; }

# ---- data ----
if [ ! -s "$DATA/test.tsv" ] || [ ! -s "$DATA/vocab.txt" ]; then
  [ "$DATA" = data/spam ] || { echo "error: $DATA lacks test.tsv or vocab.txt" >&2; exit 2; }
  log "fetching and preparing the SpamAssassin data"
  bash scripts/fetch-data.sh
  "$M" data prepare
  "$M" data vocab --in data/spam/train.tsv --out data/spam/vocab.txt
fi

# ---- jobs ----
# A job is a name; job_run NAME trains (or distills) and evaluates that model. Students that need the
# teacher wait for its checkpoint. Logs: runs/accuracy/NAME.log.
PAIRS="quad+softmax gelu-erf+2relu quad+2relu gelu-erf+2quad quad+2quad"
read -r -a extra <<<"${ACC_TRAIN_ARGS:-}"
read -r -a shape <<<"$SHAPE"
common=(--data "$DATA" --seq "$SEQ" --seed 1 "${extra[@]}")
job_run() {
  local name=$1 kind=${1%%-*} pair=${1#*-} g s n=$MPC_N
  g=${pair%+*}; s=${pair#*+}
  case $kind in
    teacher)
      "$M" train "${common[@]}" "${shape[@]}" --epochs 3 --out "$W/teacher.safetensors" --csv "$W/teacher.train.csv" ;;
    mpcformer|wod)
      while [ ! -e "$W/teacher.done" ]; do
        [ -e "$W/teacher.failed" ] && { echo "error: the teacher failed" >&2; return 1; }
        sleep 1
      done
      if [ "$kind" = mpcformer ]; then
        "$M" distill "${common[@]}" --teacher "$W/teacher.safetensors" --gelu "$g" --softmax "$s" \
          --stage1-epochs 1 --stage2-epochs $((EPOCHS - 1)) --out "$W/$name.safetensors" --csv "$W/$name.train.csv"
      else
        "$M" train "${common[@]}" --init "$W/teacher.safetensors" --gelu "$g" --softmax "$s" --epochs "$EPOCHS" \
          --out "$W/$name.safetensors" --csv "$W/$name.train.csv"
      fi ;;
    wopd)
      "$M" train "${common[@]}" "${shape[@]}" --gelu "$g" --softmax "$s" --epochs "$EPOCHS" \
        --out "$W/$name.safetensors" --csv "$W/$name.train.csv" ;;
  esac
  [ "$name" = teacher ] && touch "$W/teacher.done"
  case " ${ACC_MPC_FULL-teacher mpcformer-quad+2quad} " in *" $name "*) n=0 ;; esac
  "$M" eval --data "$DATA" --weights "$W/$name.safetensors" --mpc --n "$n" --csv "$W/$name.eval.csv"
}

# Long jobs first, short ones last (so that neither core idles long at the end): the teacher, beside
# it a random-init student (it needs no teacher), then the approximations from the dearest under MPC
# (GeLU's comparisons) to the cheapest (Quad+2Quad), each as wo/pd, MPCFormer (distillation: the
# longest training) and wo/d.
names="teacher"
for p in gelu-erf+2relu gelu-erf+2quad quad+softmax quad+2relu quad+2quad; do
  case " $PAIRS " in *" $p "*) names="$names wopd-$p mpcformer-$p wod-$p" ;; esac
done
[ "$(echo $names | wc -w)" = $((1 + 3 * $(echo $PAIRS | wc -w))) ] || { echo "error: job order misses a pair of PAIRS" >&2; exit 2; }
# The rows of the results keep one order whatever the jobs' (the teacher, the random-init students,
# then the headline student and each approximation's MPCFormer and wo/d students).
rows="teacher"
for p in $PAIRS; do rows="$rows wopd-$p"; done
rows="$rows mpcformer-quad+2quad"
for p in $PAIRS; do [ "$p" = quad+2quad ] || rows="$rows mpcformer-$p"; rows="$rows wod-$p"; done
rm -f "$W"/teacher.done "$W"/teacher.failed "$W"/*.eval.csv "$W"/*.train.csv
log "training 1 teacher (3 epochs) and 15 students ($EPOCHS epochs each), $JOBS at a time; logs in $W/"
failed=0
running=0
for name in $names; do
  while [ "$running" -ge "$JOBS" ]; do
    wait -n || failed=1
    running=$((running - 1))
  done
  ( if job_run "$name" >"$W/$name.log" 2>&1; then log "done: $name"; else
      [ "$name" = teacher ] && touch "$W/teacher.failed"
      log "FAILED: $name (see $W/$name.log)"; exit 1; fi ) &
  running=$((running + 1))
  log "started: $name"
done
while [ "$running" -gt 0 ]; do
  wait -n || failed=1
  running=$((running - 1))
done
[ "$failed" = 0 ] || { echo "error: some jobs failed; nothing written to $R/" >&2; exit 1; }

# ---- latency of the same shape (phantom mode: same messages) ----
opt() { # opt NAME: the value of --NAME in ACC_SHAPE
  local i
  for ((i = 0; i < ${#shape[@]} - 1; i++)); do [ "${shape[i]}" = "--$1" ] && { echo "${shape[i + 1]}"; return; }; done
  echo "error: ACC_SHAPE lacks --$1" >&2; exit 2
}
V=$(wc -l <"$DATA/vocab.txt")
cat >"$W/config.json" <<EOF
{"model_type": "bert", "vocab_size": $V, "hidden_size": $(opt hidden), "num_hidden_layers": $(opt layers),
 "num_attention_heads": $(opt heads), "intermediate_size": $(opt ffn), "max_position_embeddings": 512,
 "type_vocab_size": 2, "layer_norm_eps": 1e-12, "num_labels": 2}
EOF
log "latency of the trained shape per approximation (mpcsim infer)"
lat="$W/latency.csv.tmp"
: >"$lat"
for p in gelu-erf+softmax $PAIRS; do
  g=${p%+*}
  [ "$g" = gelu-erf ] && g=gelu-tanh # the form eval --mpc runs (erf's Taylor series fails beyond |x| ~ 2)
  "$M" infer --config "$W/config.json" --seq "$SEQ" --gelu "$g" --softmax "${p#*+}" --net paper \
    --compute profile:v100 --out "$W/infer.csv"
  if [ -s "$lat" ]; then tail -n 1 "$W/infer.csv" >>"$lat"; else cat "$W/infer.csv" >"$lat"; fi
done
mv "$lat" "$R/accuracy_latency.csv"

# ---- results/accuracy.csv: the eval row of each model with its training budget ----
col() { # col FILE NAME: the value of column NAME in FILE's data row
  awk -F, -v c="$2" 'NR==1{for(i=1;i<=NF;i++) if($i==c) k=i} NR==2{print $k}' "$1"
}
acc="$R/accuracy.csv.tmp"
train="$R/accuracy_train.csv.tmp"
first=1
for name in $rows; do
  e="$W/$name.eval.csv" t="$W/$name.train.csv"
  if [ "$first" = 1 ]; then
    echo "$(head -n 1 "$e"),train_command,train_epochs,train_steps,train_sec_per_step,best_dev_accuracy" >"$acc"
    head -n 1 "$t" >"$train"
    first=0
  fi
  echo "$(tail -n 1 "$e"),$(col "$t" command),$(col "$t" epochs),$(col "$t" steps),$(col "$t" sec_per_step),$(col "$t" best_dev_accuracy)" >>"$acc"
  tail -n 1 "$t" >>"$train"
done
mv "$acc" "$R/accuracy.csv"
mv "$train" "$R/accuracy_train.csv"
log "wrote $R/accuracy.csv, $R/accuracy_train.csv, $R/accuracy_latency.csv"
