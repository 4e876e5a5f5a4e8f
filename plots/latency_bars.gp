# Latency per approximation, paper style: BERT-base, seq 512 (results/plot_imdb.csv, from mpcsim report).
load "plots/common.gp"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set ylabel "latency (s, virtual)"
set yrange [0:*]
set title "BERT-base, seq 512, network 'paper' (fitted), compute v100 (modeled)"
set xtics rotate by -25
set key top right autotitle columnheader
do for [fmt in "png svg"] {
  if (fmt eq "png") { set terminal pngcairo noenhanced size 900,500 font ",10" } else { set terminal svg noenhanced size 900,500 }
  set output "plots/latency_bars.".fmt
  plot "results/plot_imdb.csv" using (column("batchnorm_latency_s")):xtic(1) title "as measured (BatchNorm stand-in)" lc rgb "#4472c4", \
       "" using (column("layernorm_latency_s")) title "faithful (LayerNorm)" lc rgb "#ed7d31"
}
