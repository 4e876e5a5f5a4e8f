#!/usr/bin/env bash
# The main job: installs dependencies, builds, and reproduces MPCFormer's latency results:
# calibration of the unpublished network, the paper's tables and per-operator figure, BERT-Large and
# RoBERTa rows, what-if sweeps (network, sequence length, dealer), plots and paper/REPORT.md.
# Usage: scripts/reproduce.sh               (about a minute on 2 cores after the build)
#        scripts/reproduce.sh --accuracy    also reruns the accuracy pipeline (scripts/accuracy.sh:
#                                           data, teacher, 15 students, evaluation in plaintext and
#                                           under MPC; about 23 minutes more). Without it, the report
#                                           uses the committed results/accuracy*.csv.
set -euo pipefail
accuracy=0
for a in "$@"; do
  case $a in
    --accuracy) accuracy=1 ;;
    -h | --help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "error: unknown option '$a' (try --help)" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."
if [ "$accuracy" = 1 ]; then bash scripts/install-deps.sh --with-data; else bash scripts/install-deps.sh; fi
dir=$(bash scripts/build.sh)
M="$dir/mpcsim"
mkdir -p results plots
step() { echo "== $*" >&2; }

step "calibrating the paper's network to its per-operator communication times"
"$M" calibrate --out results/calibration.csv
for s in paper_imdb paper_glue paper_models whatif_seq whatif_dealer whatif_network fss_families fss_sigma fss_network; do
  step "sweep $s"
  "$M" sweep "experiments/sweeps/$s.ini"
done
step "per-operator breakdowns (BERT-base, seq 512, as measured)"
for a in gelu-erf+softmax quad+2relu quad+2quad; do
  "$M" infer --model bert-base --seq 512 --norm batchnorm --gelu "${a%+*}" --softmax "${a#*+}" \
    --net paper --compute profile:v100 --breakdown "results/breakdown_$a.csv" --out "results/infer_$a.csv"
done
step "two-party timeline of one layer (BERT-base, seq 128, Quad+2Quad)"
"$M" infer --model bert-base --seq 128 --gelu quad --softmax 2quad --net paper --compute profile:v100 \
  --timeline results/timeline.csv --out results/infer_timeline.csv
step "what the safe truncation costs (issue 21: BERT-base, paper and wan networks, local vs safe)"
bash scripts/safety.sh --bin "$M"
if [ "$accuracy" = 1 ]; then
  step "accuracy pipeline (scripts/accuracy.sh, about 23 minutes)"
  bash scripts/accuracy.sh "$M"
fi
step "deployed-runtime model: fit to the per-operator figure, predictions (CrypTen over gloo, about 4 minutes)"
"$M" fit-deployed --out results/deployed_fit.csv --predict results/deployed_predictions.csv
step "report and plots"
"$M" report
for g in latency_bars breakdown heatmap network_lines seq timeline validation; do gnuplot "plots/$g.gp"; done
[ -s results/plot_accuracy.csv ] && gnuplot plots/accuracy_latency.gp
echo
echo "Done. Report: paper/REPORT.md (figures in plots/, data in results/)."
