#!/usr/bin/env bash
# Install the prebuilt llama.cpp v0.5.0 shared libraries the worker loads through yzma.
#
#   scripts/llama-libs.sh [--variant x64] [--dir DIR]
#
# Installs only the npm package @node-llama-cpp/linux-x64@3.22.1 into DIR (default .llama at
# the repository root, git-ignored) and builds DIR/lib/<variant> with the names yzma opens
# (libllama.so, libggml.so, libggml-base.so) plus exactly one CPU kernel library, so the
# kernel variant of a determinism profile is pinned. x64 is the SSE2 baseline. Prints the lib
# path on stdout (use it as LibDir / SOVRA_LLAMA_LIB). Idempotent; writes only under DIR,
# which must be inside the repository or /tmp.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PKG="@node-llama-cpp/linux-x64"
PKG_VERSION="3.22.1"
LLAMA_VERSION="v0.5.0"
VARIANT="x64"
DIR="$ROOT/.llama"

usage() { sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
log() { echo "llama-libs: $*" >&2; }
die() { log "$*"; exit 1; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --variant) [[ $# -ge 2 ]] || usage; VARIANT="$2"; shift 2 ;;
    --dir) [[ $# -ge 2 ]] || usage; DIR="$2"; shift 2 ;;
    -h|--help) usage ;;
    *) log "unknown argument: $1"; usage ;;
  esac
done

[[ "$VARIANT" =~ ^[a-z0-9]+$ ]] || die "bad variant name: $VARIANT"

# Resolve DIR to an absolute path without creating it, and refuse anything outside ROOT or /tmp.
case "$DIR" in /*) ;; *) DIR="$PWD/$DIR" ;; esac
DIR="$(realpath -m "$DIR")"
case "$DIR/" in
  "$ROOT"/*|/tmp/*) ;;
  *) die "--dir must be inside $ROOT or /tmp (got $DIR)" ;;
esac
[[ "$DIR" != "$ROOT" ]] || die "--dir must be a sub-folder of $ROOT"

[[ "$(uname -s)-$(uname -m)" == "Linux-x86_64" ]] || die "only linux x86_64 is supported (got $(uname -s)-$(uname -m))"

# yzma calls into the libraries through libffi (no cgo) and dlopens libffi.so.8.
if ! ldconfig -p 2>/dev/null | grep -q 'libffi\.so\.8 ' && ! ls /usr/lib/x86_64-linux-gnu/libffi.so.8* >/dev/null 2>&1; then
  if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null; then
    log "installing libffi8"
    DEBIAN_FRONTEND=noninteractive apt-get install -y libffi8 >&2
  else
    die "libffi.so.8 is missing: run  sudo apt-get install -y libffi8"
  fi
fi

BINS="$DIR/node_modules/$PKG/bins/linux-x64"
installed_version() {
  local pj="$DIR/node_modules/$PKG/package.json"
  [[ -f "$pj" ]] || return 0
  sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' "$pj" | head -n1
}

if [[ "$(installed_version)" != "$PKG_VERSION" || ! -f "$BINS/libllama.$LLAMA_VERSION.so" ]]; then
  command -v npm >/dev/null || die "npm is needed (apt-get install npm)"
  mkdir -p "$DIR"
  log "installing $PKG@$PKG_VERSION into $DIR"
  npm install --no-save --no-audit --no-fund --ignore-scripts --loglevel=error \
    --prefix "$DIR" "$PKG@$PKG_VERSION" >&2
  [[ "$(installed_version)" == "$PKG_VERSION" ]] || die "npm did not install $PKG@$PKG_VERSION"
fi

KERNEL="libggml-cpu-$VARIANT.so"
if [[ ! -f "$BINS/$KERNEL" ]]; then
  avail="$(cd "$BINS" && ls libggml-cpu-*.so | sed 's/^libggml-cpu-//; s/\.so$//' | tr '\n' ' ')"
  die "unknown kernel variant $VARIANT; available: $avail"
fi

# name in lib/<variant>  ->  file in the package. The versioned names are the sonames the
# libraries link against; the plain names are what yzma opens. Only one libggml-cpu-*.so is
# linked so ggml cannot pick a faster (and numerically different) variant by itself.
LIB="$DIR/lib/$VARIANT"
REL="../../node_modules/$PKG/bins/linux-x64"
declare -A LINKS=(
  [libllama.so]="libllama.$LLAMA_VERSION.so"
  ["libllama.$LLAMA_VERSION.so"]="libllama.$LLAMA_VERSION.so"
  [libggml.so]="libggml.$LLAMA_VERSION.so"
  ["libggml.$LLAMA_VERSION.so"]="libggml.$LLAMA_VERSION.so"
  [libggml-base.so]="libggml-base.so"
  ["$KERNEL"]="$KERNEL"
)

lib_ok() {
  [[ -d "$LIB" ]] || return 1
  local name
  for name in "${!LINKS[@]}"; do
    [[ -L "$LIB/$name" && "$(readlink "$LIB/$name")" == "$REL/${LINKS[$name]}" && -e "$LIB/$name" ]] || return 1
  done
  # nothing else (in particular no other kernel variant) may sit in the folder
  [[ "$(find "$LIB" -mindepth 1 -maxdepth 1 | wc -l)" -eq "${#LINKS[@]}" ]]
}

if ! lib_ok; then
  log "linking $LIB"
  rm -rf "$LIB"
  mkdir -p "$LIB"
  for name in "${!LINKS[@]}"; do
    ln -s "$REL/${LINKS[$name]}" "$LIB/$name"
  done
  lib_ok || die "could not build $LIB"
fi

echo "$LIB"
