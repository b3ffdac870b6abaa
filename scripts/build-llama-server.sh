#!/usr/bin/env bash
# Build llama.cpp's llama-server from source, with the baseline x64 CPU kernels.
#
#   scripts/build-llama-server.sh [--dir DIR] [--jobs N]
#
# Takes the llama.cpp source (v0.5.0) from the npm package node-llama-cpp@3.22.1 (only its
# llama/gitRelease.bundle, a git bundle; the package is packed, never installed), clones it
# into DIR/src and builds only the llama-server target into DIR/server/bin/llama-server:
# llama.cpp linked in, GGML_NATIVE and every x86 SIMD extension off, i.e. the kernels of
# the x64 variant that scripts/llama-libs.sh installs for the in-process backend. A stamp
# records source commit and flags, so a rerun is instant and a flag change rebuilds. Needs
# cmake (installed with apt-get when running as root), git, npm and a C++ compiler; about
# 6 min on 2 cores. Prints the binary path on stdout. Writes only under DIR (default .llama
# at the repository root, git-ignored), which must be inside the repository or /tmp.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PKG="node-llama-cpp"
PKG_VERSION="3.22.1"
BUNDLE="package/llama/gitRelease.bundle"
DIR="$ROOT/.llama"
JOBS="$(nproc 2>/dev/null || echo 1)"

usage() { sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
log() { echo "build-llama-server: $*" >&2; }
die() { log "$*"; exit 1; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --dir) [[ $# -ge 2 ]] || usage; DIR="$2"; shift 2 ;;
    --jobs) [[ $# -ge 2 ]] || usage; JOBS="$2"; shift 2 ;;
    -h|--help) usage ;;
    *) log "unknown argument: $1"; usage ;;
  esac
done

[[ "$JOBS" =~ ^[1-9][0-9]*$ ]] || die "bad --jobs: $JOBS"

# Resolve DIR to an absolute path without creating it, and refuse anything outside ROOT or /tmp.
case "$DIR" in /*) ;; *) DIR="$PWD/$DIR" ;; esac
DIR="$(realpath -m "$DIR")"
case "$DIR/" in
  "$ROOT"/*|/tmp/*) ;;
  *) die "--dir must be inside $ROOT or /tmp (got $DIR)" ;;
esac
[[ "$DIR" != "$ROOT" ]] || die "--dir must be a sub-folder of $ROOT"

[[ "$(uname -s)-$(uname -m)" == "Linux-x86_64" ]] || die "only linux x86_64 is supported (got $(uname -s)-$(uname -m))"

for tool in git c++; do
  command -v "$tool" >/dev/null || die "$tool is needed (apt-get install -y git g++)"
done
if ! command -v cmake >/dev/null; then
  if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null; then
    log "installing cmake"
    DEBIAN_FRONTEND=noninteractive apt-get install -y cmake >&2
  else
    die "cmake is missing: run  sudo apt-get install -y cmake"
  fi
fi

SRC="$DIR/src"
OUT="$DIR/server"
BIN="$OUT/bin/llama-server"
STAMP="$OUT/stamp"

# 1. The source bundle, extracted from the packed npm package (no install scripts run).
PACK="$DIR/pack/$PKG-$PKG_VERSION"
if [[ ! -s "$PACK/gitRelease.bundle" ]]; then
  command -v npm >/dev/null || die "npm is needed (apt-get install npm)"
  rm -rf "$PACK"
  mkdir -p "$PACK"
  log "packing $PKG@$PKG_VERSION into $PACK"
  (cd "$PACK" && npm pack --silent "$PKG@$PKG_VERSION" >/dev/null)
  tgz="$PACK/$PKG-$PKG_VERSION.tgz"
  [[ -f "$tgz" ]] || die "npm pack did not write $tgz"
  tar -xzf "$tgz" -C "$PACK" "$BUNDLE"
  mv "$PACK/$BUNDLE" "$PACK/gitRelease.bundle.tmp"
  rm -rf "$PACK/package" "$tgz"
  mv "$PACK/gitRelease.bundle.tmp" "$PACK/gitRelease.bundle"
fi
COMMIT="$(git bundle list-heads "$PACK/gitRelease.bundle" | awk '$2 == "HEAD" { print $1 }')"
[[ "$COMMIT" =~ ^[0-9a-f]{40}$ ]] || die "no HEAD in $PACK/gitRelease.bundle"

# 2. A clone of the bundle at its HEAD.
if [[ "$(git -C "$SRC" rev-parse HEAD 2>/dev/null)" != "$COMMIT" ]] || [[ -n "$(git -C "$SRC" status --porcelain 2>/dev/null)" ]]; then
  log "cloning llama.cpp $COMMIT into $SRC"
  rm -rf "$SRC"
  git clone --quiet "$PACK/gitRelease.bundle" "$SRC" >&2
  git -C "$SRC" -c advice.detachedHead=false checkout --quiet "$COMMIT"
fi

# 3. Flags. Every x86 instruction-set option this ggml version declares is turned off, as
# ggml_add_cpu_backend_variant(x64) does for the prebuilt x64 kernel library: the same
# kernels give bit-identical logits, other variants do not (see the determinism notes).
isa_opts="$(sed -n 's/^[[:space:]]*option(GGML_\(SSE[0-9]*\|AVX[A-Z0-9_]*\|FMA\|F16C\|BMI[0-9]*\|AMX_[A-Z0-9_]*\)[[:space:]].*/\1/p' \
  "$SRC/ggml/CMakeLists.txt" | sort -u)"
[[ -n "$isa_opts" ]] || die "no instruction-set options found in $SRC/ggml/CMakeLists.txt"
FLAGS=(
  -DCMAKE_BUILD_TYPE=Release
  -DBUILD_SHARED_LIBS=OFF # one self-contained binary
  -DGGML_NATIVE=OFF
  -DGGML_BACKEND_DL=OFF
  -DGGML_CPU_ALL_VARIANTS=OFF
  -DGGML_OPENMP=OFF # as node-llama-cpp's release builds
  -DGGML_CCACHE=OFF
  -DLLAMA_OPENSSL=OFF
  -DLLAMA_USE_PREBUILT_UI=OFF
  -DLLAMA_BUILD_UI=OFF
  -DLLAMA_BUILD_TESTS=OFF
  -DLLAMA_BUILD_EXAMPLES=OFF
  -DLLAMA_BUILD_TOOLS=ON
  -DLLAMA_BUILD_SERVER=ON
)
for opt in $isa_opts; do FLAGS+=("-DGGML_$opt=OFF"); done

want_stamp="$(printf 'commit %s\n' "$COMMIT"; printf '%s\n' "${FLAGS[@]}")"
if [[ -x "$BIN" && -f "$STAMP" && "$(cat "$STAMP")" == "$want_stamp" ]]; then
  echo "$BIN"
  exit 0
fi

# 4. Configure and build only llama-server. An interrupted build resumes; a build folder
# configured with other flags or source is started afresh.
BUILD="$OUT/build"
rm -f "$STAMP" "$BIN"
if [[ "$(cat "$BUILD/sovra-flags" 2>/dev/null)" != "$want_stamp" ]]; then
  rm -rf "$BUILD"
fi
mkdir -p "$BUILD" "$OUT/bin"
printf '%s\n' "$want_stamp" >"$BUILD/sovra-flags"
log "configuring ($(printf '%s ' "${FLAGS[@]}"))"
cmake -S "$SRC" -B "$BUILD" "${FLAGS[@]}" >&2
log "building llama-server with $JOBS job(s)"
started=$SECONDS
cmake --build "$BUILD" --target llama-server -j "$JOBS" >&2
[[ -x "$BUILD/bin/llama-server" ]] || die "the build did not produce $BUILD/bin/llama-server"
cp "$BUILD/bin/llama-server" "$BIN.tmp"
mv "$BIN.tmp" "$BIN"
"$BIN" --version >&2 || die "$BIN does not run"
printf '%s\n' "$want_stamp" >"$STAMP"
log "built in $((SECONDS - started)) s"
echo "$BIN"
