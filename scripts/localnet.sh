#!/usr/bin/env bash
# Start, stop or inspect a local Sovra network built from config.yml.
#
#   scripts/localnet.sh start  [--validators N] [--home DIR] [--reset] [--base-port P]
#   scripts/localnet.sh stop   [--home DIR]      (also stops the workers and the gateway `make demo` started)
#   scripts/localnet.sh status [--home DIR]
#   scripts/localnet.sh add-node [--home DIR] [--state-sync] [--validator KEY] [--name NAME] [--stake COIN]
#       add a node to the running network (block sync, or state sync from the validators'
#       snapshots), started like the others (stop stops it too); --validator KEY also
#       creates and funds an operator key and writes validator.json. Prints how to make
#       it a validator (README, "Join the testnet").
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
  sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
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

# stop_workers HOME: stop the sovra-workers that `make demo` started for the network in
# HOME (HOME/workers/*/worker.pid), first, so none is left signing for a stopped or reset
# chain. A pid counts only while it is alive and its command line names its worker home.
alive() { [[ -r "/proc/$1/status" ]] && ! grep -q '^State:[[:space:]]*[ZX]' "/proc/$1/status"; }
is_worker() {
  local pid="$1" want arg
  want="$(realpath -m -- "$2")"
  alive "$pid" || return 1
  while IFS= read -r -d '' arg; do
    [[ "$arg" == /* && "$(realpath -m -- "$arg")" == "$want" ]] && return 0
  done <"/proc/$pid/cmdline"
  return 1
}
stop_workers() {
  local home="$1" pidfile pid pids=()
  for pidfile in "$home"/workers/*/worker.pid "$home"/worker1/worker.pid "$home"/gateway/gateway.pid; do
    [[ -f "$pidfile" ]] || continue
    pid="$(cat "$pidfile")"
    if [[ "$pid" =~ ^[0-9]+$ ]] && is_worker "$pid" "$(dirname "$pidfile")"; then
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
    rm -f "$pidfile"
  done
  ((${#pids[@]} > 0)) || return 0
  for pid in "${pids[@]}"; do
    for _ in $(seq 75); do alive "$pid" || break; sleep 0.2; done
    if alive "$pid"; then kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; fi
  done
  echo "stopped ${#pids[@]} process(es) (workers, gateway) of $home"
}

home="$BUILD_DIR/localnet" reset=0
prev=""
for a in "$@"; do
  case "$a" in --home=* | -home=*) home="${a#*=}" ;; --reset | -reset) reset=1 ;; esac
  if [[ "$prev" == "--home" || "$prev" == "-home" ]]; then home="$a"; fi
  prev="$a"
done
if [[ "$verb" == "stop" || ("$verb" == "start" && "$reset" == 1) ]]; then
  stop_workers "$home"
fi
exec "$BUILD_DIR/sovra-localnet" "$verb" "${args[@]}" "$@"
