#!/usr/bin/env bash
# Fuzzes the readers of untrusted input with libFuzzer under ASan + UBSan:
#   safetensors  the safetensors reader, index and config.json (fuzz/fuzz_safetensors.c; default)
#   dataset      the TSV/JSONL dataset reader and the e-mail body extractor (fuzz/fuzz_dataset.c)
#   vocab        the vocab.txt reader (fuzz/fuzz_vocab.c)
#   tokenizer    BERT's BasicTokenizer and WordPiece over arbitrary bytes (fuzz/fuzz_tokenizer.c)
#   tcp          the TCP backend's handshake parser and frame decoder (fuzz/fuzz_tcp_handshake.c,
#                fuzz/fuzz_tcp_frame.c)
#   sweep        the sweep file parser and the argv of a point (fuzz/fuzz_sweep.c)
#   all          all of them, one after the other
# Builds build-fuzz/ with clang, writes the seed corpus, then runs single-process.
# Usage: scripts/fuzz.sh [TARGET] [RUNS] [libFuzzer options...]   (RUNS per target, default 1000000)
# New inputs accumulate in build-fuzz/fuzz-corpus[-TARGET]; a crash leaves crash-* in the current
# directory and makes this script exit non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
target=safetensors
case ${1:-} in
  safetensors | dataset | vocab | tokenizer | tcp | sweep | all) target=$1; shift ;;
esac
runs=${1:-1000000}
[ $# -gt 0 ] && shift
if [ "$target" = all ]; then
  for t in safetensors dataset vocab tokenizer tcp sweep; do bash "$0" "$t" "$runs" "$@"; done
  exit 0
fi
CC=clang cmake -S . -B build-fuzz -DMPCSIM_FUZZ=ON -DMPCSIM_TESTS=OFF >/dev/null
case $target in
  safetensors)
    cmake --build build-fuzz -j"${JOBS:-1}" --target fuzz_safetensors fuzz_seeds
    seeds=build-fuzz/fuzz-seeds
    corpus=build-fuzz/fuzz-corpus
    mkdir -p "$seeds" "$corpus"
    ./build-fuzz/fuzz/fuzz_seeds "$seeds"
    exec ./build-fuzz/fuzz/fuzz_safetensors -runs="$runs" -dict=fuzz/safetensors.dict -print_final_stats=1 \
      "$@" "$corpus" "$seeds" ;;
  tcp)
    cmake --build build-fuzz -j"${JOBS:-1}" --target fuzz_tcp_handshake fuzz_tcp_frame fuzz_tcp_seeds
    for t in tcp_handshake tcp_frame; do
      mkdir -p "build-fuzz/fuzz-seeds-$t" "build-fuzz/fuzz-corpus-$t"
    done
    ./build-fuzz/fuzz/fuzz_tcp_seeds build-fuzz/fuzz-seeds-tcp_frame build-fuzz/fuzz-seeds-tcp_handshake
    for t in tcp_handshake tcp_frame; do
      ./build-fuzz/fuzz/fuzz_$t -runs="$runs" -print_final_stats=1 "$@" "build-fuzz/fuzz-corpus-$t" \
        "build-fuzz/fuzz-seeds-$t"
    done
    exit 0 ;;
  sweep)
    cmake --build build-fuzz -j"${JOBS:-1}" --target fuzz_sweep
    corpus=build-fuzz/fuzz-corpus-sweep
    mkdir -p "$corpus"
    exec ./build-fuzz/fuzz/fuzz_sweep -runs="$runs" -dict=fuzz/sweep.dict -max_len=8192 -print_final_stats=1 \
      "$@" "$corpus" experiments/sweeps ;;
esac
cmake --build build-fuzz -j"${JOBS:-1}" --target "fuzz_$target"
seeds=build-fuzz/fuzz-seeds-$target
corpus=build-fuzz/fuzz-corpus-$target
mkdir -p "$seeds" "$corpus"
case $target in
  dataset) # first byte: format (0 auto, 1 TSV, 2 JSONL) + 4 for the label set {ham, spam}
    printf '\001spam\tWin money\tnow\r\nham\tMeeting at 3\n' >"$seeds/tsv"
    printf '\006{"label": "spam", "text": "Free \\u00e9 \\ud83d\\ude00"}\n{"label": "ham", "text": "hi", "x": [1, {"y": null}]}\n' >"$seeds/jsonl"
    printf '\000{"label": 3, "text": "a"}\n{"label": 10, "text": "b"}\n' >"$seeds/jsonl-int"
    printf '\000From: a@b\nContent-Type: multipart/alternative; boundary="XX"\n\n--XX\nContent-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\nHi =C3=A9=\nthere\n--XX\nContent-Type: text/html\nContent-Transfer-Encoding: base64\n\nPGI+aGk8L2I+ICZhbXA7\n--XX--\n' >"$seeds/mail" ;;
  vocab)
    printf '[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\n##llo\nworld\n,\n!\ncaf\n##\xc3\xa9\n\xe4\xb8\xad\n' >"$seeds/vocab"
    printf '[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\n' >"$seeds/crlf" ;;
  tokenizer)
    printf 'Hello, World! unaffable caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 \xea\xb0\x80 A\xcc\x81 ##x\t\x01\xff' >"$seeds/text" ;;
esac
exec ./build-fuzz/fuzz/fuzz_"$target" -runs="$runs" -print_final_stats=1 "$@" "$corpus" "$seeds"
