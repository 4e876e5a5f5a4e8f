# Speedup over GeLU+Softmax against sequence length (results/plot_seq.csv from mpcsim report).
load "plots/common.gp"
set xlabel "sequence length"
set ylabel "speedup over GeLU+Softmax (x)"
set key top left
set logscale x 2
set title "BERT-base, network 'paper', LayerNorm, compute v100 (modeled)"
do for [fmt in "png svg"] {
  if (fmt eq "png") { set terminal pngcairo noenhanced size 800,500 font ",10" } else { set terminal svg noenhanced size 800,500 }
  set output "plots/seq.".fmt
  plot for [i=2:5] "results/plot_seq.csv" using 1:i with linespoints lw 2 pt 7 title columnhead(i)
}
