# Accuracy against latency (results/plot_accuracy.csv, from mpcsim report after scripts/accuracy.sh):
# test accuracy of the teacher and of each student kind, against the private-inference latency of the
# same (trained) model shape per approximation.
load "plots/common.gp"
set xlabel "latency of one private inference (s, virtual; trained shape, network 'paper', compute v100 modeled)"
set ylabel "test accuracy (%, plaintext)"
set key bottom right
set offsets graph 0.05, graph 0.15, graph 0.15, graph 0.05
do for [fmt in "png svg"] {
  if (fmt eq "png") { set terminal pngcairo noenhanced size 900,560 font ",10" } else { set terminal svg noenhanced size 900,560 }
  set output "plots/accuracy_latency.".fmt
  plot "results/plot_accuracy.csv" using (column("latency_s")):(column("mpcformer")) with points pt 7 ps 1.4 lc rgb "#c00000" title "MPCFormer (distilled)", \
       "" using (column("latency_s")):(column("wo_d")) with points pt 5 ps 1.1 lc rgb "#4472c4" title "w/o{d} (teacher init, task loss)", \
       "" using (column("latency_s")):(column("wo_pd")) with points pt 9 ps 1.2 lc rgb "#70ad47" title "w/o{p,d} (random init)", \
       "" using (column("latency_s")):(column("teacher")) with points pt 13 ps 1.8 lc rgb "#000000" title "teacher (GeLU+Softmax)", \
       "" using (column("latency_s")):(column("mpcformer")):(stringcolumn("approx")) with labels left rotate by 35 offset 0.6,0.6 font ",9" notitle, \
       "" using (column("latency_s")):(column("teacher")):(stringcolumn("approx")) with labels left rotate by 35 offset 0.6,0.6 font ",9" notitle
}
