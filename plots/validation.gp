# Predicted against measured latency of the three link models (ideal FIFO, tcp, packet) over real kernel TCP on
# emulated links: results/validation.csv from scripts/validate.sh (one row per point, congestion
# control and model; both congestion controls are drawn). Log-log, with y = x and a +/-10% band.
load "plots/common.gp"
set logscale xy
set xrange [0.003:4]
set yrange [0.003:4]
set format x "%g"
set format y "%g"
set xlabel "measured latency over kernel TCP (s)"
set ylabel "predicted latency (s)"
set key top left
set grid xtics ytics lc rgb "#dddddd"
set samples 200
set title "mpcsim link models against kernel TCP (validate.sh: netns, relay as the link)"
do for [fmt in "png svg"] {
  if (fmt eq "png") { set terminal pngcairo noenhanced size 700,600 font ",10" } else { set terminal svg noenhanced size 700,600 }
  set output "plots/validation.".fmt
  plot '+' using 1:(0.9*$1):(1.1*$1) with filledcurves lc rgb "#e8e8e8" title "within 10%", \
       x with lines lc rgb "#888888" dt 2 title "y = x", \
       "results/validation.csv" using 9:(strcol(7) eq "ideal" ? $8 : NaN) with points pt 6 ps 1.4 lc rgb "#d95f02" title "ideal FIFO model", \
       "results/validation.csv" using 9:(strcol(7) eq "tcp" ? $8 : NaN) with points pt 7 ps 1.1 lc rgb "#1b9e77" title "tcp round model (--link-model tcp)", \
       "results/validation.csv" using 9:(strcol(7) eq "packet" ? $8 : NaN) with points pt 5 ps 0.9 lc rgb "#7570b3" title "packet model (--link-model packet)"
}
