#!/usr/bin/env bash
# make bench:
#  1. committed tx/s of MsgSend and MsgSubmitJob on one fresh single-validator localnet,
#     same load generator, same run, rounds interleaved so state growth hurts neither
#     kind more, and their ratio (target >= 0.8);
#  2. the keeper benchmark of the stake-weighted provider draw at 100 and 10,000
#     providers, and their ratio (target <= 2);
#  3. worker tok/s: the llama backend's Generate vs a minimal greedy loop on the same
#     llama.cpp library (worker/inference BenchmarkGenerate), ratio (target >= 0.95);
#  4. job latency on a fresh 1-validator localnet with the real worker in process, from
#     the submission's inclusion to the result's commit, p50/p95 against the inference
#     time (worker BenchmarkSubmitToCommit; target <= inference + 2 blocks);
#  5. re-scoring an audited job vs generating it, per kernel variant (worker/inference
#     BenchmarkRescore; target <= 0.10 at 128 tokens on the 5 M model).
# Sections 3 and 4 need the llama.cpp libraries (make llama-libs) and are skipped without;
# each ends with one summary line that is a Markdown row of README.md's benchmark table.
# BENCH_TXS (per round, default 10000), BENCH_ROUNDS (default 3), BENCH_ACCOUNTS (default 8),
# BENCH_JOBS (jobs per latency phase, default 20).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
export BUILD_DIR GOFLAGS="${GOFLAGS:--buildvcs=false}"
N="${BENCH_TXS:-10000}"; ROUNDS="${BENCH_ROUNDS:-3}"; K="${BENCH_ACCOUNTS:-8}"; JOBS="${BENCH_JOBS:-20}"

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

# The chain of section 1 is not needed any more; it would only load the machine.
bash "$ROOT/scripts/localnet.sh" stop --home "$NET" >/dev/null 2>&1 || true

# awk helper: 12345.6 -> 12,346
COMMAS='function commas(x,   s, r) { s = sprintf("%.0f", x); r = "";
  while (length(s) > 3) { r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) }
  return s r }'

LIB="${SOVRA_LLAMA_LIB:-$ROOT/.llama/lib/x64}"
echo
echo "== worker tok/s: llama backend vs llama.cpp called directly (BenchmarkGenerate, $ROUNDS rounds)"
if [ ! -e "$LIB/libllama.so" ]; then
  echo "skipped: no llama.cpp libraries in $LIB (make llama-libs)"
else
  out="$(cd "$ROOT" && go test -run '^$' -bench 'BenchmarkGenerate$' -benchtime 10s -count "$ROUNDS" ./worker/inference/)"
  echo "$out" | grep '^Benchmark'
  echo "$out" | awk "$COMMAS"'
    /^BenchmarkGenerate\/.*\/interleaved-/ {
      split($1, p, "/"); m = p[2]
      if (!(m in n)) order[++nm] = m
      for (i = 2; i < NF; i++) {
        if ($(i + 1) == "backend/direct") { r = $i; sr[m] += r; runs[m] = runs[m] (n[m] ? ", " : "") sprintf("%.2f", r); n[m]++ }
        if ($(i + 1) == "backend-tok/s") sb[m] += $i
        if ($(i + 1) == "direct-tok/s") sd[m] += $i
      }
    }
    END {
      if (!nm) { print "worker tok/s: no result"; exit 1 }
      line = "| worker tok/s vs llama.cpp called directly (greedy, 128 tokens, 1 thread, x64; backend / direct) | "
      for (k = 1; k <= nm; k++) {
        m = order[k]
        line = line (k > 1 ? "; " : "") sprintf("%s: %s / %s tok/s, ratio %.2f (runs: %s)", m, commas(sb[m] / n[m]), commas(sd[m] / n[m]), sr[m] / n[m], runs[m])
      }
      print line " | ≥ 0.95 |"
    }'
fi

echo
echo "== re-scoring vs generation, same job (BenchmarkRescore: one batched pass over prompt + claimed tokens vs generating them; 1 thread, x64 and haswell kernels)"
if [ ! -e "$LIB/libllama.so" ]; then
  echo "skipped: no llama.cpp libraries in $LIB (make llama-libs)"
else
  for variant in x64 haswell; do
    vlib="$(cd "$ROOT" && bash scripts/llama-libs.sh --variant "$variant" 2>/dev/null)" || { echo "$variant: no libraries"; continue; }
    out="$(cd "$ROOT" && SOVRA_LLAMA_LIB="$vlib" go test -run '^$' -bench 'BenchmarkRescore$' -benchtime 3x -count "$ROUNDS" ./worker/inference/)" || { echo "$variant: benchmark failed"; continue; }
    echo "$out" | grep '^Benchmark'
    echo "$out" | awk -v variant="$variant" '
      /^BenchmarkRescore\// {
        split($1, p, "/"); c = p[2] "/" p[3]; sub(/-[0-9]+$/, "", c)
        if (!(c in n)) order[++nc] = c
        for (i = 2; i < NF; i++) if ($(i + 1) == "rescore/generate") { v[c, ++n[c]] = $i }
      }
      END {
        if (!nc) { print variant ": no result"; exit 1 }
        line = "| re-scoring / generation time, same job, 1 thread, " variant " (median of runs) | "
        for (k = 1; k <= nc; k++) {
          c = order[k]; m = n[c]
          for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[c, j] < v[c, i]) { t = v[c, i]; v[c, i] = v[c, j]; v[c, j] = t }
          line = line (k > 1 ? "; " : "") sprintf("%s %.2f", c, v[c, int((m + 1) / 2)])
        }
        print line " | ≤ 0.10 at 128 tokens, 5 M model |"
      }'
  done
fi

echo
echo "== job latency: submission included → result committed, 1-validator localnet, worker in process (BenchmarkSubmitToCommit, $JOBS jobs per phase)"
if [ ! -e "$LIB/libllama.so" ]; then
  echo "skipped: no llama.cpp libraries in $LIB (make llama-libs)"
else
  out="$(cd "$ROOT" && SOVRAD_BIN="$BUILD_DIR/sovrad" SOVRA_BENCH_JOBS="$JOBS" \
    go test -run '^$' -bench 'BenchmarkSubmitToCommit$' -benchtime 1x -count 1 -timeout 30m ./worker/)"
  echo "$out" | grep -E '^Benchmark|jobs per commit'
  echo "$out" | awk "$COMMAS"'
    /^BenchmarkSubmitToCommit\// {
      split($1, p, "/"); ph = p[2]; sub(/-[0-9]+$/, "", ph)
      if (!(ph in n)) order[++np] = ph
      n[ph]++
      for (i = 2; i < NF; i++) v[ph, $(i + 1)] += $i
    }
    function get(ph, k) { return v[ph, k] / n[ph] }
    END {
      if (!np) { print "job latency: no result"; exit 1 }
      line = "| job latency, submit tx included → result committed (demo-tiny, 128 tokens; p50 / p95) | "
      inf = 0; blk = 0; over = 0; chain = 0; hmax = 0
      for (k = 1; k <= np; k++) {
        ph = order[k]
        line = line sprintf("%s%s %s / %s ms", (k > 1 ? ", " : ""), ph, commas(get(ph, "p50-ms")), commas(get(ph, "p95-ms")))
        inf += get(ph, "infer-ms") / np; blk += get(ph, "block-ms") / np
        if (get(ph, "over-p95-blocks") > over) over = get(ph, "over-p95-blocks")
        if (get(ph, "chain-p95-ms") > chain) chain = get(ph, "chain-p95-ms")
        if (get(ph, "blocks-p95") > hmax) hmax = get(ph, "blocks-p95")
      }
      line = line sprintf("; inference %.0f ms, block %s ms: latency = inference + %.2f blocks (p95); block to block p95 %s ms, commit − submit height p95: %d blocks (2 is the floor) | ≤ inference + 2 blocks |",
        inf, commas(blk), over, commas(chain), hmax)
      print line
    }'
fi

echo
echo "== verifier draw (keeper benchmark, n = 3 excluding the audited provider, ns/op)"
out="$(cd "$ROOT" && go test -run '^$' -bench 'BenchmarkDrawVerifiers$' -benchtime 20000x -count 3 ./x/provider/keeper/)"
echo "$out" | grep '^Benchmark'
echo "$out" | awk '/^BenchmarkDrawVerifiers\/providers=100-/ { a += $3; na++ }
  /^BenchmarkDrawVerifiers\/providers=10000-/ { b += $3; nb++ }
  END { if (na && nb) printf "verifier draw: %.0f ns/op at 100, %.0f ns/op at 10000 providers, ratio %.2f (target <= 2)\n", a/na, b/nb, (b/nb)/(a/na) }'

echo
echo "== verification overhead: verifiers' re-scoring / providers' inference, 4 honest providers with in-process workers (worker BenchmarkVerifierOverhead, ${BENCH_AUDIT_JOBS:-40} jobs)"
if [ ! -e "$LIB/libllama.so" ]; then
  echo "skipped: no llama.cpp libraries in $LIB (make llama-libs)"
else
  out="$(cd "$ROOT" && SOVRAD_BIN="$BUILD_DIR/sovrad" SOVRA_BENCH_AUDIT_JOBS="${BENCH_AUDIT_JOBS:-40}" \
    go test -run '^$' -bench 'BenchmarkVerifierOverhead$' -benchtime 1x -count 1 -timeout 30m ./worker/)"
  echo "$out" | grep -E '^Benchmark|jobs, .* audited'
  echo "$out" | awk '/^BenchmarkVerifierOverhead/ {
      for (i = 2; i < NF; i++) {
        if ($(i + 1) == "verifier/provider") r = $i
        if ($(i + 1) == "audit_rate×k") x = $i
      }
      found = 1
    }
    END {
      if (!found) { print "verification overhead: no result"; exit 1 }
      printf "| verification overhead end to end: verifiers'"'"' re-scoring / providers'"'"' inference (4 honest in-process workers, x64) | %.3f (audit_rate × k = %.2f) | ≤ audit_rate × k × 0.10 = %.3f |\n", r, x, x * 0.10
    }'
fi
