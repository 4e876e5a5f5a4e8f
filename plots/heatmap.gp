# Speedup of Quad+2Quad over GeLU+Softmax against bandwidth and one-way latency
# (results/plot_heatmap.csv from mpcsim report; BERT-base seq 512, LayerNorm, communication only).
load "plots/common.gp"
set logscale xy
set xlabel "bandwidth (bit/s)"
set ylabel "one-way latency (ms)"
set cblabel "speedup (x)"
set palette defined (0 "#f7fbff", 1 "#6baed6", 2 "#08306b")
set title "Quad+2Quad speedup over GeLU+Softmax, BERT-base seq 512"
set view map
set xrange [7e7:1.4e11]
set yrange [0.035:70]
do for [fmt in "png svg"] {
  if (fmt eq "png") { set terminal pngcairo noenhanced size 800,600 font ",10" } else { set terminal svg noenhanced size 800,600 }
  set output "plots/heatmap.".fmt
  plot "results/plot_heatmap.csv" using 1:($2*1000):5 with points pt 5 ps 5.5 palette, \
       "" using 1:($2*1000):(sprintf("%.1f", $5)) with labels font ",8"
}
