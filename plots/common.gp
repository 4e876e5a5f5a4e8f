# Shared settings: CSV input with headers, and a helper to write both PNG and SVG.
set datafile separator ","
set datafile commentschars "#"
set key noautotitle
set grid ytics lc rgb "#dddddd"
set border lc rgb "#444444"
