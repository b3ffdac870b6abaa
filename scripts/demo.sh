#!/usr/bin/env bash
# The README's first command (`make demo`): builds, installs the llama.cpp libraries,
# writes the deterministic demo model, starts a local network from config.yml with three
# providers and their three sovra-workers (real llama.cpp inference), submits a few jobs
# with a line per state change, then prints each job's decrypted output, provider and
# settlement, every account's pending rewards and the workers' stats (cmd/sovra-demo).
# The network and the workers keep running; the last line says how to stop them.
#
#   MODEL=path/to/model.gguf  serve that GGUF model instead of demo-tiny (it is added to
#                             the demo network's genesis with its sha256)
#   VALIDATORS=N              validators (default 1)
#   STREAM_PROVIDERS=N        only the first N providers stream tokens at an endpoint
#                             (default all; the others register none)
#   DEMO_HOME=dir             the network's home (default build/demo)
#
# Rerunning stops the previous demo network and its workers and starts a new one.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
NET="${DEMO_HOME:-$BUILD_DIR/demo}"
MODEL="${MODEL:-}"
export BUILD_DIR GOFLAGS="${GOFLAGS:--buildvcs=false}"

die() { echo "demo: $*" >&2; exit 1; }

# A missing model fails at once, before any build; sovra-demo checks the file in full below.
if [[ -n "$MODEL" ]]; then
  [[ -e "$MODEL" ]] || die "MODEL=$MODEL: no such file"
  [[ -f "$MODEL" && -r "$MODEL" ]] || die "MODEL=$MODEL: not a readable file"
  MODEL="$(realpath "$MODEL")"
fi
NET="$(realpath -m "$NET")"
cd "$ROOT"

echo "== Building sovrad, sovra-worker and the demo tools into ${BUILD_DIR#"$ROOT"/}"
mkdir -p "$BUILD_DIR"
go build -ldflags '-s -w' -o "$BUILD_DIR/" ./cmd/sovrad ./cmd/sovra-localnet ./cmd/sovra-worker ./cmd/sovra-demo ./cmd/sovra-gguf ./cmd/sovra-gateway

CONFIG="$ROOT/config.yml"
RUN_ARGS=()
if [[ -n "$MODEL" ]]; then
  CONFIG="$BUILD_DIR/demo-config.yml"
  RUN_ARGS=(--deadline 300 --timeout 10m) # a real model on a CPU may need more than 20 blocks
  MODEL_ID="$("$BUILD_DIR/sovra-demo" model --model "$MODEL" --config "$ROOT/config.yml" --out "$CONFIG")"
else
  MODEL="$BUILD_DIR/models/demo-tiny.gguf"
  MODEL_ID=demo-tiny
  "$BUILD_DIR/sovra-gguf" --out "$MODEL" >/dev/null
fi
LIB_DIR="$(bash scripts/llama-libs.sh)"
if [[ -n "${STREAM_PROVIDERS:-}" ]]; then
  RUN_ARGS+=(--stream-providers "$STREAM_PROVIDERS")
fi

# The previous demo's workers and validators (its home is about to be reset).
if [[ -f "$NET/localnet.json" || -d "$NET/workers" || -f "$NET/worker1/worker.pid" ]]; then
  echo "== Stopping the previous demo network in ${NET#"$ROOT"/}"
  bash scripts/localnet.sh stop --home "$NET" >/dev/null 2>&1 || true
fi

echo "== Starting a local network in ${NET#"$ROOT"/} (${VALIDATORS:-1} validator(s), model $MODEL_ID)"
START_LOG="$BUILD_DIR/demo-localnet.log"
if ! bash scripts/localnet.sh start --validators "${VALIDATORS:-1}" --home "$NET" --reset \
    --config "$CONFIG" >"$START_LOG" 2>&1; then
  cat "$START_LOG" >&2
  die "the local network did not start (output above, also in $START_LOG)"
fi
exec "$BUILD_DIR/sovra-demo" run --home "$NET" --worker "$BUILD_DIR/sovra-worker" --gateway "$BUILD_DIR/sovra-gateway" \
  --model "$MODEL" --model-id "$MODEL_ID" --lib-dir "$LIB_DIR" "${RUN_ARGS[@]}"
