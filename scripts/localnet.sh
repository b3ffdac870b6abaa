#!/usr/bin/env bash
# Start, stop or inspect a local Sovra network built from config.yml.
#
#   scripts/localnet.sh start  [--validators N] [--home DIR] [--reset] [--base-port P]
#   scripts/localnet.sh stop   [--home DIR]
#   scripts/localnet.sh status [--home DIR]
#
# Builds build/sovrad and build/sovra-localnet when missing or older than the sources,
# then runs sovra-localnet with --binary build/sovrad --config config.yml. The default
# home is build/localnet (BUILD_DIR=dir moves both); nothing is written to ~/.sovra.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
GO="${GO:-go}"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"

if [[ $# -lt 1 ]]; then
  sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit 2
fi

# needs_build BIN: true when BIN is missing or any Go source, go.mod or go.sum is newer.
needs_build() {
  local bin="$1"
  [[ ! -x "$bin" ]] && return 0
  [[ -n "$(find "$ROOT" -path "$ROOT/build" -prune -o -path "$ROOT/.git" -prune -o \
      \( \( -name '*.go' ! -name '*_test.go' \) -o -name go.mod -o -name go.sum \) -newer "$bin" -print -quit)" ]]
}

mkdir -p "$BUILD_DIR"
if needs_build "$BUILD_DIR/sovrad"; then
  echo "localnet.sh: building $BUILD_DIR/sovrad" >&2
  (cd "$ROOT" && "$GO" build -ldflags '-s -w' -o "$BUILD_DIR/sovrad" ./cmd/sovrad)
fi
if needs_build "$BUILD_DIR/sovra-localnet"; then
  echo "localnet.sh: building $BUILD_DIR/sovra-localnet" >&2
  (cd "$ROOT" && "$GO" build -o "$BUILD_DIR/sovra-localnet" ./cmd/sovra-localnet)
fi

verb="$1"
shift
args=(--binary "$BUILD_DIR/sovrad" --config "$ROOT/config.yml")
# The network lives beside the binaries unless --home says otherwise.
case " $* " in
  *" --home "* | *" --home="* | *" -home "* | *" -home="*) ;;
  *) args+=(--home "$BUILD_DIR/localnet") ;;
esac
exec "$BUILD_DIR/sovra-localnet" "$verb" "${args[@]}" "$@"
