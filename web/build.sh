#!/usr/bin/env bash
# Builds the explorer's WebAssembly module from the simulator's C sources with Emscripten (Debian's
# `emscripten` package): web/mpcsim.js + web/mpcsim.wasm. Usage: web/build.sh [--quiet]
# The same sources as the command line, compiled into an archive so that only what `mpcsim infer`
# reaches is linked; sim_ctx_fiber.c replaces the threads backend (sim_ctx.h), web/sodium_wasm.c the
# three libsodium functions used, web/web_unavailable.c what the browser build leaves out, and, when the
# build has the fss family, web/web_fss_prg.c its AES PRG (phantom mode computes no block).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v emcc >/dev/null || { echo "web/build.sh: emcc not found; run scripts/install-deps.sh --web" >&2; exit 1; }
# Debian's node modules (acorn, for emcc's JS optimizer), also when another node is first on PATH.
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
out=build-web
mkdir -p "$out/obj" "$out/include"
# Headers only (declarations), from the Debian -dev packages: libsodium's and GSL's CBLAS.
ln -sfn /usr/include/sodium.h "$out/include/sodium.h"
ln -sfn /usr/include/sodium "$out/include/sodium"
ln -sfn /usr/include/gsl "$out/include/gsl"
CFLAGS=(-O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
        -Wno-unused-parameter -I"$out/include")
[ "${CI:-}" = "true" ] && CFLAGS+=(-Werror)
shopt -s nullglob
srcs=(common/*.c sim/sim.c sim/sim_ctx_fiber.c netmodel/*.c
      net/*.c protocols/*.c text/*.c models/*.c runtime/*.c experiments/xp_*.c web/sodium_wasm.c
      web/web_unavailable.c)
srcs+=(protocols/*/*.c models/*/*.c)
objs=()
for s in "${srcs[@]}"; do
  case $s in
    runtime/rt_op_tcp.c|experiments/xp_cmd_party.c|net/net_tcp*.c|runtime/rt_tcp*.c) continue ;; # real TCP: not in a browser
    netmodel/nm_pcap.c) continue ;;                                 # libpcap: web_unavailable.c
    protocols/fss/fss_prg.c) s=web/web_fss_prg.c ;;                # AES via OpenSSL: see web_fss_prg.c
  esac
  o="$out/obj/${s//\//_}.o"
  if [ ! -f "$o" ] || [ "$s" -nt "$o" ] || [ -n "$(find "$(dirname "$s")" common sim net netmodel protocols text models runtime experiments -name '*.h' -newer "$o" -print -quit)" ]; then
    emcc "${CFLAGS[@]}" -c "$s" -o "$o"
  fi
  objs+=("$o")
done
rm -f "$out/libmpcsim_web.a"
emar rcs "$out/libmpcsim_web.a" "${objs[@]}"
emcc "${CFLAGS[@]}" web/explorer_api.c "$out/libmpcsim_web.a" -o web/mpcsim.js \
  -sASYNCIFY -sASYNCIFY_STACK_SIZE=65536 -sALLOW_MEMORY_GROWTH -sMODULARIZE -sEXPORT_NAME=createMpcsim \
  -sENVIRONMENT=web,worker,node -sEXPORTED_FUNCTIONS=_explorer_infer,_explorer_catalog \
  -sEXPORTED_RUNTIME_METHODS=ccall,cwrap,FS,UTF8ToString -sFORCE_FILESYSTEM \
  --pre-js web/pre.js ${EMCC_EXTRA:-}
# The actors' trace program (tests/web/sim_ctx_trace.c) on the fiber backend, for the browser test.
emcc "${CFLAGS[@]}" tests/web/sim_ctx_trace.c "$out/libmpcsim_web.a" -o "$out/sim_ctx_trace.js" -sASYNCIFY \
  -sASYNCIFY_STACK_SIZE=65536 -sALLOW_MEMORY_GROWTH -sENVIRONMENT=node -sSINGLE_FILE
[ "${1:-}" = "--quiet" ] || ls -l web/mpcsim.js web/mpcsim.wasm >&2
