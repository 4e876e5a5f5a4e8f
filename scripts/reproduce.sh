#!/usr/bin/env bash
# The main job: installs dependencies, builds, and reproduces MPCFormer's latency results:
# calibration of the unpublished network, the paper's tables and per-operator figure, BERT-Large and
# RoBERTa rows, what-if sweeps (network, sequence length, dealer), plots and paper/REPORT.md.
# Usage: scripts/reproduce.sh            (about a minute on 2 cores after the build)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
dir=$(bash scripts/build.sh)
M="$dir/mpcsim"
mkdir -p results plots
step() { echo "== $*" >&2; }

step "calibrating the paper's network to its per-operator communication times"
"$M" calibrate --out results/calibration.csv
for s in paper_imdb paper_glue paper_models whatif_seq whatif_dealer whatif_network; do
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
step "report and plots"
"$M" report
for g in latency_bars breakdown heatmap network_lines seq timeline; do gnuplot "plots/$g.gp"; done
echo
echo "Done. Report: paper/REPORT.md (figures in plots/, data in results/)."
