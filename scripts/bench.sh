#!/usr/bin/env bash
# make bench:
#  1. committed tx/s of MsgSend and MsgSubmitJob on one fresh single-validator localnet,
#     same load generator, same run, rounds interleaved so state growth hurts neither
#     kind more, and their ratio (target >= 0.8);
#  2. the keeper benchmark of the stake-weighted provider draw at 100 and 10,000
#     providers, and their ratio (target <= 2).
# BENCH_TXS (per round, default 10000), BENCH_ROUNDS (default 3), BENCH_ACCOUNTS (default 8).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
export BUILD_DIR GOFLAGS="${GOFLAGS:--buildvcs=false}"
N="${BENCH_TXS:-10000}"; ROUNDS="${BENCH_ROUNDS:-3}"; K="${BENCH_ACCOUNTS:-8}"

WORK="$(mktemp -d)"
NET="$WORK/net"
cleanup() { bash "$ROOT/scripts/localnet.sh" stop --home "$NET" >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT

echo "== tx throughput: 1-validator localnet, $ROUNDS rounds of $N txs per kind, $K accounts"
bash "$ROOT/scripts/localnet.sh" start --validators 1 --home "$NET" >/dev/null
(cd "$ROOT" && go build -o "$BUILD_DIR/sovra-loadgen" ./cmd/sovra-loadgen)
B="$BUILD_DIR/sovrad"; CLIENT="$NET/client"
# Three providers with room for every job of the run, so no job waits for capacity.
for p in provider1 provider2 provider3; do
  "$B" --home "$CLIENT" tx provider register --models demo-tiny --bond 10000000000usovra \
    --price-per-token 1usovra --worker "$("$B" --home "$CLIENT" keys show "$p" -a --keyring-backend test)" \
    --profile cpu-x64-f32-greedy-v1 --max-jobs 65536 --from "$p" --keyring-backend test --yes --output json >/dev/null
done
sleep 3
kinds=""
for _ in $(seq 1 "$ROUNDS"); do kinds="$kinds,send,submit-job"; done
node="$(sed -n "s/^node = [\"']\(.*\)[\"']/\1/p" "$CLIENT/config/client.toml")"
"$BUILD_DIR/sovra-loadgen" --node "${node/tcp:/http:}" \
  --home "$CLIENT" --funder alice --kind "${kinds#,}" -n "$N" -k "$K" --quiet --strict

echo
echo "== provider draw (keeper benchmark, ns/op)"
out="$(cd "$ROOT" && go test -run '^$' -bench 'BenchmarkDrawProvider$' -benchtime 20000x -count 3 ./x/provider/keeper/)"
echo "$out" | grep '^Benchmark'
echo "$out" | awk '/^BenchmarkDrawProvider\/providers=100-/ { a += $3; na++ }
  /^BenchmarkDrawProvider\/providers=10000-/ { b += $3; nb++ }
  END { if (na && nb) printf "draw: %.0f ns/op at 100, %.0f ns/op at 10000 providers, ratio %.2f (target <= 2)\n", a/na, b/nb, (b/nb)/(a/na) }'

echo
echo "== verifier draw (keeper benchmark, n = 3 excluding the audited provider, ns/op)"
out="$(cd "$ROOT" && go test -run '^$' -bench 'BenchmarkDrawVerifiers$' -benchtime 20000x -count 3 ./x/provider/keeper/)"
echo "$out" | grep '^Benchmark'
echo "$out" | awk '/^BenchmarkDrawVerifiers\/providers=100-/ { a += $3; na++ }
  /^BenchmarkDrawVerifiers\/providers=10000-/ { b += $3; nb++ }
  END { if (na && nb) printf "verifier draw: %.0f ns/op at 100, %.0f ns/op at 10000 providers, ratio %.2f (target <= 2)\n", a/na, b/nb, (b/nb)/(a/na) }'
