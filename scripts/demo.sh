#!/usr/bin/env bash
# The README's first command (`make demo`): installs the llama.cpp libraries, writes the
# deterministic demo model, starts a local network from config.yml, and drives one job
# through its whole life with cmd/sovra-demo: a provider bonds, its sovra-worker runs real
# llama.cpp inference and commits the sealed result, the job settles and pays, the
# submitter decrypts the output. The network and the worker keep running.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
NET="${DEMO_HOME:-$BUILD_DIR/demo}"
export BUILD_DIR GOFLAGS="${GOFLAGS:--buildvcs=false}"
cd "$ROOT"

LIB_DIR="$(bash scripts/llama-libs.sh)"
for cmd in sovra-gguf sovra-worker sovra-demo; do go build -o "$BUILD_DIR/$cmd" "./cmd/$cmd"; done
"$BUILD_DIR/sovra-gguf" --out "$BUILD_DIR/models/demo-tiny.gguf" >/dev/null

# A worker left from an earlier demo would sign for a chain that is about to be reset.
if [[ -f "$NET/worker1/worker.pid" ]]; then kill "$(cat "$NET/worker1/worker.pid")" 2>/dev/null || true; fi
echo "== Starting a local network in $NET"
bash scripts/localnet.sh start --validators "${VALIDATORS:-1}" --home "$NET" --reset
"$BUILD_DIR/sovra-demo" --home "$NET" --worker "$BUILD_DIR/sovra-worker" \
  --model "$BUILD_DIR/models/demo-tiny.gguf" --lib-dir "$LIB_DIR"
