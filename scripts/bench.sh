#!/usr/bin/env bash
# make bench:
#  1. throughput on one fresh single-validator localnet, same load generator, same run,
#     rounds interleaved (send, submit-job, job) so state growth hurts no kind more:
#     committed tx/s of MsgSend and MsgSubmitJob and their ratio (target >= 0.8), and
#     jobs settled per second beside MsgSend tx/s (target >= 0.7): jobs submitted from the
#     load accounts, their results committed by scripted workers of the three providers in
#     MsgCommitResult batches, settled by the chain (sovra-loadgen --kind job). The network
#     is config.yml with x/verify auditing as little as its params allow (audit_rate 0.001
#     with collateral_multiplier 1000, since audit_rate x multiplier >= 1) and giving an
#     audited provider 10,000 blocks to open: an audit needs real verifiers, so an audited
#     job stays open through the run and is counted apart;
#  2. the keeper benchmark of the stake-weighted provider draw at 100 and 10,000
#     providers, and their ratio (target <= 2);
#  3. block hooks: empty blocks on chains of 100 and 100,000 open jobs, idle and with a
#     fixed due work, blocks alternated between the chains (app BenchmarkBlockHooks;
#     target: FinalizeBlock's cost ratio about 1);
#  4. worker tok/s: the llama backend's Generate vs a minimal greedy loop on the same
#     llama.cpp library (worker/inference BenchmarkGenerate), ratio (target >= 0.95);
#  5. job latency on a fresh 1-validator localnet with the real worker in process, from
#     the submission's inclusion to the result's commit, p50/p95 against the inference
#     time (worker BenchmarkSubmitToCommit; target <= inference + 2 blocks);
#  6. re-scoring an audited job vs generating it, per kernel variant (worker/inference
#     BenchmarkRescore; target <= 0.10 at 128 tokens on the 5 M model);
#  7. the verifier draw and the verification overhead end to end;
#  8. the gateway's latency: chat completions through sovra-gateway from a plain HTTP
#     client, one at a time, streamed (time to the first content text, to [DONE]) and
#     whole, on a fresh 1-validator localnet with provider1's streaming worker in process,
#     p50/p95 against the model's own time to first token and inference time (gateway
#     BenchmarkGatewayLatency; target: streaming TTFT <= model TTFT + 2 blocks).
# The worker and gateway sections need the llama.cpp libraries (make llama-libs) and are
# skipped without; sections 1, 3 and the worker and gateway ones end with summary lines
# that are Markdown rows of README.md's benchmark table.
# BENCH_TXS (per round and kind, default 10000), BENCH_ROUNDS (default 3), BENCH_ACCOUNTS
# (default 8), BENCH_JOBS (jobs per latency phase, default 20), BENCH_HOOKS_BLOCKS (timed
# block pairs per block-hooks case, default 100), BENCH_GATEWAY_JOBS (requests per gateway
# phase, default 20), BENCH_SECTIONS (space-separated subset of: throughput draw hooks
# generate rescore latency verifier gateway; default all).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
export BUILD_DIR GOFLAGS="${GOFLAGS:--buildvcs=false}"
N="${BENCH_TXS:-10000}"; ROUNDS="${BENCH_ROUNDS:-3}"; K="${BENCH_ACCOUNTS:-8}"; JOBS="${BENCH_JOBS:-20}"
HOOKS_BLOCKS="${BENCH_HOOKS_BLOCKS:-100}"
SECTIONS=" ${BENCH_SECTIONS:-throughput draw hooks generate rescore latency verifier gateway} "
want() { [[ "$SECTIONS" == *" $1 "* ]]; }

# awk helper: 12345.6 -> 12,346
COMMAS='function commas(x,   s, r) { s = sprintf("%.0f", x); r = "";
  while (length(s) > 3) { r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) }
  return s r }'

WORK="$(mktemp -d)"
NET="$WORK/net"
cleanup() { bash "$ROOT/scripts/localnet.sh" stop --home "$NET" >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT

if want throughput; then
echo "== throughput: 1-validator localnet, $ROUNDS rounds of $N txs (send, submit-job) or jobs (job) per kind, $K accounts"
# config.yml with x/verify auditing as little as its params allow, and an audited provider
# given longer than the run to open (see the top of this file); the demo's values stay.
CONFIG="$WORK/bench-config.yml"
sed -e 's/^\(\s*audit_rate:\).*/\1 "0.001000000000000000"/' \
  -e 's/^\(\s*collateral_multiplier:\).*/\1 "1000"/' \
  -e 's/^\(\s*open_phase_blocks:\).*/\1 "10000"/' "$ROOT/config.yml" >"$CONFIG"
for key in audit_rate collateral_multiplier open_phase_blocks; do
  [ "$(grep -c "^\s*$key:" "$CONFIG")" = 1 ] || { echo "bench: $key is not set exactly once in config.yml" >&2; exit 1; }
done
bash "$ROOT/scripts/localnet.sh" start --validators 1 --home "$NET" --config "$CONFIG" >/dev/null
(cd "$ROOT" && go build -o "$BUILD_DIR/sovra-loadgen" ./cmd/sovra-loadgen)
B="$BUILD_DIR/sovrad"; CLIENT="$NET/client"
# Three providers, each its own worker, with room for every job of the run, so no job
# waits for capacity; each publishes an audit key, without which it is never drawn as a
# verifier, and a job is assigned only when others could verify it (sovra-worker does
# both at its start; here the load generator's scripted workers commit the results).
for p in provider1 provider2 provider3; do
  "$B" --home "$CLIENT" tx provider register --models demo-tiny --bond 10000000000usovra \
    --price-per-token 1usovra --worker "$("$B" --home "$CLIENT" keys show "$p" -a --keyring-backend test)" \
    --profile cpu-x64-f32-greedy-v1 --max-jobs 65536 --from "$p" --keyring-backend test --yes --output json >/dev/null
done
sleep 3
for p in provider1 provider2 provider3; do
  "$B" --home "$CLIENT" tx provider set-audit-key --from "$p" --keyring-backend test --yes --output json >/dev/null
done
sleep 3
kinds=""
for _ in $(seq 1 "$ROUNDS"); do kinds="$kinds,send,submit-job,job"; done
node="$(sed -n "s/^node = [\"']\(.*\)[\"']/\1/p" "$CLIENT/config/client.toml")"
out="$("$BUILD_DIR/sovra-loadgen" --node "${node/tcp:/http:}" \
  --home "$CLIENT" --funder alice --kind "${kinds#,}" -n "$N" -k "$K" \
  --workers provider1,provider2,provider3 --quiet --strict)"
echo "$out"
echo "$out" | awk "$COMMAS"'
  /^send: / { for (i = 1; i < NF; i++) if ($(i + 1) == "tx/s,") send[++ns] = $i }
  /^submit-job: / { for (i = 1; i < NF; i++) if ($(i + 1) == "tx/s,") sub_[++nj] = $i }
  /^MsgSend: .*MsgSubmitJob:/ { s = $2; j = $5; r = $10; sub(/;$/, "", r); sr = $0; sub(/.*rounds: /, "", sr) }
  /^MsgSend: .*jobs settled:/ { js = $6; sub(/\/s,$/, "", js); jr = $11; sub(/;$/, "", jr); jrr = $0; sub(/.*rounds: /, "", jrr); sub(/;.*/, "", jrr)
    aud = $0; sub(/.*rounds: [^;]*; /, "", aud); sub(/ audited.*/, "", aud)
    lat = $0; sub(/.*settlement p50: /, "", lat); sub(/ blocks.*/, "", lat) }
  /^job: / { for (i = 1; i < NF; i++) if ($(i + 1) == "jobs" && $(i + 2) == "settled/s") jobs[++nb] = $i
             for (i = 1; i < NF; i++) if ($(i + 1) == "from" && $(i + 2) == "the" && $(i + 3) == "first") { x = $i; sub(/^\(/, "", x); sub(/\/s$/, "", x); steady[++nst] = x } }
  function runs(a, n,   k, out) { out = ""; for (k = 1; k <= n; k++) out = out (k > 1 ? ", " : "") commas(a[k]); return out }
  END {
    if (s == "") { print "throughput: no result"; exit 1 }
    printf "| MsgSend, committed tx/s | %s (runs: %s) | |\n", commas(s), runs(send, ns)
    printf "| MsgSubmitJob, committed tx/s (assignment included: it runs in the next block) | %s (runs: %s) | |\n", commas(j), runs(sub_, nj)
    printf "| ratio MsgSubmitJob / MsgSend | %s (rounds: %s) | ≥ 0.8 |\n", r, sr
    if (js != "")
      printf "| jobs settled/s (submitted, committed by scripted workers in batches, settled; from the block before the first submission to the last settlement) vs MsgSend tx/s, same run | %s / %s = %s (rounds: %s; from the first settlement on: %s jobs/s; submission to settlement p50 %s blocks; %s audited) | ≥ 0.7 |\n", commas(js), commas(s), jr, jrr, runs(steady, nst), lat, aud
  }'

# The chain of section 1 is not needed any more; it would only load the machine.
bash "$ROOT/scripts/localnet.sh" stop --home "$NET" >/dev/null 2>&1 || true
fi

if want draw; then
echo
echo "== provider draw (keeper benchmark, ns/op)"
out="$(cd "$ROOT" && go test -run '^$' -bench 'BenchmarkDrawProvider$' -benchtime 20000x -count 3 ./x/provider/keeper/)"
echo "$out" | grep '^Benchmark'
echo "$out" | awk '/^BenchmarkDrawProvider\/providers=100-/ { a += $3; na++ }
  /^BenchmarkDrawProvider\/providers=10000-/ { b += $3; nb++ }
  END { if (na && nb) printf "draw: %.0f ns/op at 100, %.0f ns/op at 10000 providers, ratio %.2f (target <= 2)\n", a/na, b/nb, (b/nb)/(a/na) }'
fi

if want hooks; then
echo
echo "== block hooks: empty blocks on chains of 100 and 100,000 open jobs, alternated (app BenchmarkBlockHooks, $HOOKS_BLOCKS pairs per case)"
out="$(cd "$ROOT" && go test -run '^$' -bench 'BenchmarkBlockHooks$' -benchtime "${HOOKS_BLOCKS}x" -count 1 -timeout 60m ./app/)"
echo "$out" | grep -E '^Benchmark|built'
echo "$out" | awk "$COMMAS"'
  /^BenchmarkBlockHooks\/(idle|due)-/ {
    c = $1; sub(/^BenchmarkBlockHooks\//, "", c); sub(/-[0-9]+$/, "", c)
    for (i = 2; i < NF; i++) v[c, $(i + 1)] = $i
    seen[c] = 1
  }
  function cell(c) {
    return sprintf("%s: FinalizeBlock %s / %s µs, ratio %.2f; Commit %s / %s µs, ratio %.2f", c,
      commas(v[c, "finalize-ns@100"] / 1000), commas(v[c, "finalize-ns@100000"] / 1000), v[c, "finalize-ratio"],
      commas(v[c, "commit-ns@100"] / 1000), commas(v[c, "commit-ns@100000"] / 1000), v[c, "commit-ratio"])
  }
  END {
    if (!seen["idle"] || !seen["due"]) { print "block hooks: no result"; exit 1 }
    printf "| block cost at 100 / 100,000 open jobs (BenchmarkBlockHooks: empty blocks alternated between the chains, median ratio of the pairs; due = 20 settlements, 20 expiries and their prunes a block) | %s; %s | FinalizeBlock ratio ≈ 1 |\n", cell("idle"), cell("due")
  }'
fi

LIB="${SOVRA_LLAMA_LIB:-$ROOT/.llama/lib/x64}"
echo
echo "== worker tok/s: llama backend vs llama.cpp called directly (BenchmarkGenerate, $ROUNDS rounds)"
if ! want generate; then
  echo "skipped: not in BENCH_SECTIONS"
elif [ ! -e "$LIB/libllama.so" ]; then
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
if ! want rescore; then
  echo "skipped: not in BENCH_SECTIONS"
elif [ ! -e "$LIB/libllama.so" ]; then
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
if ! want latency; then
  echo "skipped: not in BENCH_SECTIONS"
elif [ ! -e "$LIB/libllama.so" ]; then
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

if want verifier; then
echo
echo "== verifier draw (keeper benchmark, n = 3 excluding the audited provider, ns/op)"
out="$(cd "$ROOT" && go test -run '^$' -bench 'BenchmarkDrawVerifiers$' -benchtime 20000x -count 3 ./x/provider/keeper/)"
echo "$out" | grep '^Benchmark'
echo "$out" | awk '/^BenchmarkDrawVerifiers\/providers=100-/ { a += $3; na++ }
  /^BenchmarkDrawVerifiers\/providers=10000-/ { b += $3; nb++ }
  END { if (na && nb) printf "verifier draw: %.0f ns/op at 100, %.0f ns/op at 10000 providers, ratio %.2f (target <= 2)\n", a/na, b/nb, (b/nb)/(a/na) }'
fi

echo
echo "== verification overhead: verifiers' re-scoring / providers' inference, 4 honest providers with in-process workers (worker BenchmarkVerifierOverhead, ${BENCH_AUDIT_JOBS:-40} jobs)"
if ! want verifier; then
  echo "skipped: not in BENCH_SECTIONS"
elif [ ! -e "$LIB/libllama.so" ]; then
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

echo
echo "== gateway latency: chat completions through sovra-gateway, one at a time, streamed and whole, 1-validator localnet, streaming worker in process (BenchmarkGatewayLatency, ${BENCH_GATEWAY_JOBS:-20} requests per phase)"
if ! want gateway; then
  echo "skipped: not in BENCH_SECTIONS"
elif [ ! -e "$LIB/libllama.so" ]; then
  echo "skipped: no llama.cpp libraries in $LIB (make llama-libs)"
else
  out="$(cd "$ROOT" && SOVRAD_BIN="$BUILD_DIR/sovrad" SOVRA_BENCH_GATEWAY_JOBS="${BENCH_GATEWAY_JOBS:-20}" \
    go test -run '^$' -bench 'BenchmarkGatewayLatency$' -benchtime 1x -count 1 -timeout 30m ./gateway/)"
  echo "$out" | grep -E '^Benchmark|streaming TTFT|requests \('
  echo "$out" | awk "$COMMAS"'
    /^BenchmarkGatewayLatency\/(stream|whole)-/ {
      ph = $1; sub(/^BenchmarkGatewayLatency\//, "", ph); sub(/-[0-9]+$/, "", ph)
      for (i = 2; i < NF; i++) v[ph, $(i + 1)] = $i
      seen[ph] = 1
    }
    END {
      if (!seen["stream"] || !seen["whole"]) { print "gateway latency: no result"; exit 1 }
      printf "| gateway latency through a plain HTTP client, one request at a time (demo-tiny, chat, 64 tokens, temperature 0; p50 / p95): streamed, to the first content text and to [DONE]; whole answer | TTFT %s / %s ms = model TTFT %.0f ms + %.2f blocks (p95: %.2f); [DONE] %s / %s ms; whole %s / %s ms = inference + %.2f / %.2f blocks; model TTFT %.0f / %.0f ms, inference %.0f / %.0f ms, block %s ms; %d of %d streams relayed from the provider; submission included %s ms after the request (p50), assignment block → first token %s / %s ms, result block → [DONE] %s / %s ms, → whole answer %s / %s ms | streaming TTFT ≤ model TTFT + 2 blocks |\n",
        commas(v["stream", "ttft-p50-ms"]), commas(v["stream", "ttft-p95-ms"]), v["stream", "model-ttft-p50-ms"], v["stream", "k-p50"], v["stream", "k-p95"],
        commas(v["stream", "done-p50-ms"]), commas(v["stream", "done-p95-ms"]),
        commas(v["whole", "total-p50-ms"]), commas(v["whole", "total-p95-ms"]), v["whole", "over-p50-blocks"], v["whole", "over-p95-blocks"],
        v["stream", "model-ttft-p50-ms"], v["stream", "model-ttft-p95-ms"], v["stream", "infer-p50-ms"], v["stream", "infer-p95-ms"],
        commas((v["stream", "block-ms"] + v["whole", "block-ms"]) / 2), v["stream", "verified"], ENVIRON["BENCH_GATEWAY_JOBS"] ? ENVIRON["BENCH_GATEWAY_JOBS"] : 20,
        commas(v["stream", "incl-p50-ms"]), commas(v["stream", "assign-first-p50-ms"]), commas(v["stream", "assign-first-p95-ms"]),
        commas(v["stream", "commit-end-p50-ms"]), commas(v["stream", "commit-end-p95-ms"]),
        commas(v["whole", "commit-end-p50-ms"]), commas(v["whole", "commit-end-p95-ms"])
    }'
fi
