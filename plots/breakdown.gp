# Stacked per-operator breakdown (compute, transfer, latency wait) of GeLU+Softmax and Quad+2Quad,
# BERT-base seq 512 (results/breakdown_*.csv from mpcsim infer --breakdown).
load "plots/common.gp"
set style data histograms
set style histogram rowstacked
set style fill solid 0.85 border -1
set boxwidth 0.8
set ylabel "time (s), summed over the model"
set xtics rotate by -35
set key top right
set yrange [0:*]
do for [fmt in "png svg"] {
  if (fmt eq "png") { set terminal pngcairo noenhanced size 1100,500 font ",10" } else { set terminal svg noenhanced size 1100,500 }
  set output "plots/breakdown.".fmt
  set multiplot layout 1,2 title "Per-operator time, BERT-base seq 512, network 'paper', compute v100 (modeled)"
  do for [f in "gelu-erf+softmax quad+2quad"] {
    set title f
    file = "results/breakdown_".f.".csv"
    # data rows 0-12 are the op-level tags (embed ... classifier)
    plot file every ::0::12 using (column("compute_s")):xtic(2) title "compute" lc rgb "#70ad47", \
         "" every ::0::12 using (column("transfer_s")) title "transfer" lc rgb "#4472c4", \
         "" every ::0::12 using (column("latency_wait_s")+column("other_wait_s")) title "latency + waiting" lc rgb "#ed7d31"
  }
  unset multiplot
}
