# Speedup of each approximation over GeLU+Softmax against bandwidth (at 1.5 ms one way) and against
# one-way latency (at 3 Gbit/s): results/plot_network_{bandwidth,latency}.csv from mpcsim report.
load "plots/common.gp"
set logscale x
set ylabel "speedup over GeLU+Softmax (x)"
set yrange [1:*]
set key bottom left
do for [fmt in "png svg"] {
  if (fmt eq "png") { set terminal pngcairo noenhanced size 1100,450 font ",10" } else { set terminal svg noenhanced size 1100,450 }
  set output "plots/network_lines.".fmt
  set multiplot layout 1,2 title "BERT-base, seq 512, LayerNorm, communication only"
  set xlabel "bandwidth (bit/s), one-way latency 1.5 ms"
  plot for [i=2:6] "results/plot_network_bandwidth.csv" using 1:i with linespoints lw 2 pt 7 title columnhead(i)
  set xlabel "one-way latency (ms), bandwidth 3 Gbit/s"
  plot for [i=2:6] "results/plot_network_latency.csv" using ($1*1000):i with linespoints lw 2 pt 7 title columnhead(i)
  unset multiplot
}
