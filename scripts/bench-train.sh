#!/usr/bin/env bash
# bench-train.sh -- training-step time of the C trainer (bench/bench_train.c, through models/tfm_train.h)
# against PyTorch on CPU (scripts/bench_train_torch.py, Debian's python3-torch) for the same shapes,
# into a CSV written atomically (temporary file, then rename). Never part of the tests; `cmake --build
# build --target bench` runs it after bench/bench.c.
#
#   scripts/bench-train.sh [--bin PATH] [OUT_CSV]       (defaults: build/mpcsim_bench_train, built if
#                                                        missing; results/train_step.csv)
#   THREADS="1 2" WARMUP=2 STEPS=5 PYTHON=/usr/bin/python3 scripts/bench-train.sh
#
# Shapes (SPECS, L:C:NH:F:T:B:ACT:ATTN): `mpcsim train`'s default (2 layers, hidden 128, 2 heads, FFN
# 512, seq 128, batch 16) and the teacher bert-mini (4 layers, hidden 256, 4 heads, FFN 1024) at seq 256,
# batch 16, each as teacher (gelu-erf + softmax) and MPCFormer student (quad + 2quad). Every shape runs
# at each thread count of THREADS (default "1 <nproc>"): the C side sets OpenBLAS's threads (the rest of
# its step is single-threaded), PyTorch sets torch.set_num_threads and the same OpenBLAS threads. The
# PyTorch run gets OMP_WAIT_POLICY=PASSIVE unless the caller set it (see bench_train_torch.py --help).
# About 2-3 minutes on 2 cores.
#
# Columns: impl (c|pytorch), layers, hidden, heads, ffn, seq, batch, act, attn, threads,
# step_ms_median, step_ms_min (ms per optimiser step over `steps` timed steps after WARMUP),
# steps, blas (library, the core OpenBLAS chose, OPENBLAS_CORETYPE and for PyTorch OMP_WAIT_POLICY as
# set in the environment), torch_version (empty for c). Without an importable torch the script says so
# on stderr and in a comment line of the CSV and writes the C rows only (exit 0).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

bin=""
while [ $# -gt 0 ]; do
    case "$1" in
    --bin) bin="$2"; shift 2 ;;
    --bin=*) bin="${1#--bin=}"; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "bench-train: unknown option '$1' (try --help)" >&2; exit 2 ;;
    *) break ;;
    esac
done
out="${1:-$root/results/train_step.csv}"
ncores="$(nproc)"
THREADS="${THREADS:-$( [ "$ncores" -gt 1 ] && echo "1 $ncores" || echo 1 )}"
WARMUP="${WARMUP:-2}"
STEPS="${STEPS:-5}"
PYTHON="${PYTHON:-/usr/bin/python3}"
SPECS="${SPECS:-2:128:2:512:128:16:gelu-erf:softmax 2:128:2:512:128:16:quad:2quad 4:256:4:1024:256:16:gelu-erf:softmax 4:256:4:1024:256:16:quad:2quad}"

if [ -z "$bin" ]; then
    bin="$root/build/mpcsim_bench_train"
    if [ ! -x "$bin" ]; then
        [ -f "$root/build/CMakeCache.txt" ] || cmake -S "$root" -B "$root/build" >&2
        cmake --build "$root/build" --target mpcsim_bench_train >&2
    fi
fi
[ -x "$bin" ] || { echo "bench-train: $bin is not an executable" >&2; exit 1; }

torch_ok=1
if ! torch_err="$("$PYTHON" -c 'import torch' 2>&1)"; then
    torch_ok=0
    torch_err="$(printf '%s' "$torch_err" | tail -n 1)"
    echo "bench-train: PyTorch is NOT available ($PYTHON: ${torch_err:-import torch failed}); install Debian's" \
         "python3-torch. Writing the C rows only." >&2
fi

mkdir -p "$(dirname "$out")"
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
{
    echo "# mpcsim training-step time, C (bench/bench_train.c) vs PyTorch (scripts/bench_train_torch.py): one" \
         "optimiser step = forward with hidden dropout 0.1 + cross-entropy + backward + clip 1.0 + AdamW (lr 1e-3," \
         "wd 0.01); float32; vocab 8192, 512 positions, 2 labels, random tokens (seed 1), no padding;" \
         "$WARMUP warm-up + $STEPS timed steps (CLOCK_MONOTONIC); threads = OpenBLAS threads (= torch threads);" \
         "${cpu:-unknown CPU}, $ncores cores, load average at start $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)" \
         "(other load on the cores distorts mostly the multi-thread rows)"
    [ "$torch_ok" = 1 ] || echo "# pytorch rows missing: torch not importable ($PYTHON: ${torch_err:-import failed})"
    echo "impl,layers,hidden,heads,ffn,seq,batch,act,attn,threads,step_ms_median,step_ms_min,steps,blas,torch_version"
} >"$tmp"

# shellcheck disable=SC2086 # SPECS is a word list
for t in $THREADS; do
    OPENBLAS_NUM_THREADS="$t" "$bin" --threads "$t" --warmup "$WARMUP" --steps "$STEPS" --no-header $SPECS >>"$tmp"
    if [ "$torch_ok" = 1 ]; then
        OPENBLAS_NUM_THREADS="$t" OMP_NUM_THREADS="$t" OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}" \
            "$PYTHON" "$root/scripts/bench_train_torch.py" --threads "$t" --warmup "$WARMUP" --steps "$STEPS" --no-header \
            $SPECS >>"$tmp"
    fi
done
mv -f "$tmp" "$out"
trap - EXIT
echo "bench-train: wrote $out" >&2
