# Two-party timeline (Gantt) of one encoder layer, from mpcsim infer --timeline
# (results/timeline.csv: party, layer, tag, start_s, end_s); layer 0 of BERT-base seq 128, Quad+2Quad.
load "plots/common.gp"
set xlabel "virtual time within the layer (ms)"
set yrange [-0.7:1.7]
set ytics ("P0" 0, "P1" 1)
set style fill solid 0.8 border -1
set key outside right
tags = "qkv scores softmax context out_proj norm1 ffn1 act ffn2 norm2"
cols = "#4472c4 #a5a5a5 #ed7d31 #ffc000 #5b9bd5 #70ad47 #264478 #9e480e #636363 #997300"
stats "results/timeline.csv" using (strcol(2) eq "0" ? column(4) : 1/0) nooutput
t0 = STATS_min
stats "results/timeline.csv" using (strcol(2) eq "0" ? column(5) : 1/0) nooutput
t1 = STATS_max
set xrange [0:(t1-t0)*1000]
party(s) = (s eq "P0") ? 0 : 1
do for [fmt in "png svg"] {
  if (fmt eq "png") { set terminal pngcairo noenhanced size 1100,320 font ",10" } else { set terminal svg noenhanced size 1100,320 }
  set output "plots/timeline.".fmt
  set title "One encoder layer on the wire: P0 and P1 in lockstep"
  plot for [i=1:words(tags)] "results/timeline.csv" \
       using ((strcol(2) eq "0" && strcol(3) eq word(tags,i)) ? (column(4)-t0)*1000 : 1/0):(party(strcol(1))): \
             ((column(4)-t0)*1000):((column(5)-t0)*1000):(party(strcol(1))-0.3):(party(strcol(1))+0.3) \
       with boxxyerror lc rgb word(cols,i) title word(tags,i)
}
