# Latency of every point of any `infer` sweep, as bars labelled gelu+softmax (and net).
# Usage: gnuplot -e "csv='results/NAME.csv'; out='plots/NAME'" plots/sweep_latency.gp  -> out.png, out.svg
load "plots/common.gp"
if (!exists("csv")) csv = "results/smoke.csv"
if (!exists("out")) out = "plots/sweep_latency"
set style data histograms
set style fill solid 0.85 border -1
set boxwidth 0.8
set ylabel "latency (s, virtual)"
set yrange [0:*]
set xtics rotate by -35
set title csv
do for [fmt in "png svg"] {
  if (fmt eq "png") { set terminal pngcairo noenhanced size 900,500 font ",10" } else { set terminal svg noenhanced size 900,500 }
  set output out.".".fmt
  plot csv using (column("latency_s")):xtic(strcol("gelu")."+".strcol("softmax")." ".strcol("net")) lc rgb "#4472c4"
}
