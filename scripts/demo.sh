#!/usr/bin/env bash
# The README's first command (`make demo`): starts a local network from config.yml and
# drives one job through its whole life with cmd/sovra-demo. The network keeps running.
#
# Until the worker sidecar lands, the provider's result is committed by hand with
# `sovrad tx task commit-result` (a fixed token list), exactly as the worker will post it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
NET="${DEMO_HOME:-$BUILD_DIR/demo}"
export BUILD_DIR GOFLAGS="${GOFLAGS:--buildvcs=false}"

echo "== Starting a local network in $NET"
bash "$ROOT/scripts/localnet.sh" start --validators "${VALIDATORS:-1}" --home "$NET" --reset
(cd "$ROOT" && go build -o "$BUILD_DIR/sovra-demo" ./cmd/sovra-demo)
"$BUILD_DIR/sovra-demo" --home "$NET"
