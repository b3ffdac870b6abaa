package worker_test

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"cosmossdk.io/math"
	"github.com/stretchr/testify/require"

	"github.com/sovra-network/sovra/internal/gguf"
	"github.com/sovra-network/sovra/worker"
	"github.com/sovra-network/sovra/worker/config"
	"github.com/sovra-network/sovra/worker/inference"
	"github.com/sovra-network/sovra/worker/store"
	providertypes "github.com/sovra-network/sovra/x/provider/types"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

// Kernel variants of the cross-variant run, and the q8_0 substitute (x64 kernels).
const (
	variantX64     = "x64"
	variantHaswell = "haswell"
	variantQ8      = "q8_0/x64"
)

// Stop rule and caps of TestCrossVariantAuditsE2E.
const (
	// crossWantHonestAudits: audits of honest providers' jobs the run waits for.
	crossWantHonestAudits = 40
	// crossWantAcross: of those, audits with an honest verifier on the other kernel variant.
	crossWantAcross = 10
	// crossMaxCheaterAudits: audits of the substitute's jobs after which the run stops
	// waiting for it to be caught (and fails).
	crossMaxCheaterAudits = 20
	// crossMaxJobs caps the jobs submitted.
	crossMaxJobs = 400
)

// TestCrossVariantAuditsE2E: the acceptance test of re-scoring audits across hardware.
// Four honest providers served by real `sovra-worker` processes, two on llama.cpp's x64
// (SSE2 baseline) kernels and two on its haswell (AVX2) kernels, whose greedy outputs and
// traces are not bit-identical (notes/inference.md); a fifth provider that registers the
// demo model (the chain knows the f32 file's sha256, which its worker checks at start) but
// serves the same model quantized to Q8_0 (an in-process worker whose backend opens the
// q8_0 file, on x64 kernels; it re-scores with it too when drawn as a verifier). The
// localnet's audit params and the demo model's trace tolerances as config.yml sets them
// (logged at the start). Greedy jobs with varied prompts and 16–32 output tokens, from
// alice and bob, until at least 40 jobs of honest providers are audited and the substitute
// is jailed (or has had 20 audits). Then:
//   - every audit of an honest provider passes, nobody honest is slashed, no honest
//     verifier goes unpaid, and honest providers verify each other across variants (at
//     least 10 audits with an honest verifier on the other variant);
//   - the substitute is slashed and jailed at its first failed audit (the log says how
//     many of its audits passed before it);
//   - the money adds up as in the other audit tests (checkMoney);
//   - a table: audits by (provider variant, verifier variant) with outcomes, the traces'
//     differences per pair, and the verifiers' re-scoring time against the providers'
//     inference time (store.Record.InferenceMs medians).
func TestCrossVariantAuditsE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("starts sovrad, four sovra-worker processes and a fifth worker")
	}
	start := time.Now()
	x64 := llamaLibDir(t)
	haswell := haswellLibDir(t)
	q8Cfg := gguf.DefaultConfig()
	q8Cfg.Type = "q8_0"
	if err := q8Cfg.Validate(); err != nil {
		t.Fatalf("internal/gguf cannot write the q8_0 substitute of the demo model: %v", err)
	}
	q8Path := filepath.Join(t.TempDir(), "demo-tiny-q8_0.gguf")
	_, err := gguf.WriteFile(q8Path, q8Cfg)
	require.NoError(t, err)
	bin := buildWorker(t)

	variants := []string{variantX64, variantHaswell, variantX64, variantHaswell, variantQ8}
	const cheaterIdx = 4
	r := startAuditRun(t, auditSetup{
		providers: len(variants),
		libDirs:   map[int]string{0: x64, 1: haswell, 2: x64, 3: haswell, cheaterIdx: x64},
		// The profile is descriptive (verifiers are drawn whatever it says); the
		// substitute claims the f32 one.
		profiles: map[int]string{
			0: "cpu-x64-f32-greedy-v1", 1: "cpu-haswell-f32-greedy-v1", 2: "cpu-x64-f32-greedy-v1",
			3: "cpu-haswell-f32-greedy-v1", cheaterIdx: "cpu-x64-f32-greedy-v1",
		},
		timeout: 15 * time.Minute,
	})
	variantOf := map[string]string{}
	for i, p := range r.provs {
		variantOf[p.operator] = variants[i]
	}
	cheater := r.provs[cheaterIdx]
	params, tol := r.verifyParams(), r.tolerances()
	t.Logf("verify params: audit_rate %s, %d verifier(s), escalation_k %d, phases %d/%d/%d blocks, tolerances %+v",
		params.AuditRate, params.VerifiersPerAudit, params.EscalationK, params.OpenPhaseBlocks, params.CommitPhaseBlocks,
		params.RevealPhaseBlocks, tol)

	// The honest workers: one process each (one llama.cpp library per process), one
	// inference thread each on this 2-core machine.
	for i := range cheaterIdx {
		cfg := r.workerConfig(i)
		apiHTTP := freeAddr(t)
		startWorkerProcess(t, bin, cfg.Home, apiHTTP, false, "SOVRA_WORKER_THREADS=1")
		waitHealthy(t, "http://"+apiHTTP+"/healthz", 2*time.Minute)
	}
	// The substitute, in process on x64 kernels: its config names the registered f32 file
	// (checked against the chain at start), its backend opens the q8_0 file.
	r.startWorker(cheaterIdx, worker.Options{NewBackend: func(cfg *config.Config, _, _ string) (inference.Backend, error) {
		return inference.NewLlama(inference.LlamaConfig{LibDir: cfg.LibDir, ModelPath: q8Path, Threads: cfg.Threads, Context: cfg.Context})
	}})
	for _, p := range r.provs {
		require.Len(t, r.provider(p.operator).AuditKey, verifytypes.AuditKeySize, "%s published its audit key", p.name)
	}
	before := r.snapshot(r.height())
	t.Logf("five workers up at height %d, %s into the test", before.height, time.Since(start).Round(time.Second))

	// Jobs: one from alice and one from bob per block, greedy, varied prompts, 16–32
	// output tokens. A prompt whose greedy output is empty (the model's first token ends
	// the generation) is not submitted: the chain refuses a result without output tokens
	// (TestWorkerCommitsEmptyOutput), which is not what this test is about.
	screen, err := inference.NewLlama(inference.LlamaConfig{LibDir: x64, ModelPath: r.modelPath, Threads: 1})
	require.NoError(t, err)
	defer screen.Close()
	rng := rand.New(rand.NewPCG(2026, 12))
	nextPrompt := func() (string, uint64) {
		for {
			prompt, maxTokens := crossPrompt(rng)
			out, err := screen.Generate(r.ctx, inference.Request{Prompt: prompt, MaxTokens: int(maxTokens)})
			require.NoError(t, err)
			if len(out.OutputTokens) > 0 {
				return prompt, maxTokens
			}
			t.Logf("prompt %q skipped: its greedy output is empty", prompt)
		}
	}
	audited := map[uint64]string{} // job id → provider, for the jobs drawn for audit
	decided := map[uint64]bool{}
	for {
		var wg sync.WaitGroup
		for _, s := range r.submitters {
			prompt, maxTokens := nextPrompt()
			wg.Add(1)
			go func() {
				defer wg.Done()
				r.submitJobs(s, []string{prompt}, []uint64{maxTokens})
			}()
		}
		wg.Wait()
		honest, bySubstitute := 0, 0
		r.mu.Lock()
		ids := slices.Clone(r.jobIDs)
		r.mu.Unlock()
		for _, id := range ids {
			if !decided[id] {
				j := r.job(id)
				if j.Status != tasktypes.JOB_STATUS_AUDITING && !terminal(j.Status) {
					continue
				}
				decided[id] = true
				if _, err := r.client.Audit(r.ctx, id); err == nil {
					audited[id] = j.Provider
				}
			}
		}
		for _, p := range audited {
			if p == cheater.operator {
				bySubstitute++
			} else {
				honest++
			}
		}
		jailed := r.provider(cheater.operator).Status == providertypes.PROVIDER_STATUS_JAILED
		if honest >= crossWantHonestAudits && (jailed || bySubstitute >= crossMaxCheaterAudits) {
			t.Logf("after %d jobs (%s into the test): %d audits of honest providers' jobs, %d of the substitute's; substitute jailed: %v",
				len(r.jobIDs), time.Since(start).Round(time.Second), honest, bySubstitute, jailed)
			break
		}
		if len(r.jobIDs) >= crossMaxJobs {
			t.Logf("job cap: %d jobs, %d audits of honest providers' jobs, %d of the substitute's; substitute jailed: %v",
				len(r.jobIDs), honest, bySubstitute, jailed)
			break
		}
	}
	jobs := r.waitTerminal(r.jobIDs, 3*time.Minute)
	after := r.snapshot(r.height())
	t.Logf("all %d jobs ended by height %d, %s into the test", len(jobs), after.height, time.Since(start).Round(time.Second))

	// Every audit, with who was paid, per (provider variant, verifier variant).
	audits := r.audits(jobs)
	type cell struct {
		audits, passed, failed, undecided int // by audit, counted once per provider/verifier variant pair
		paid, unpaid                      int // verifiers
		maxDiff                           int64
		meanDiffs                         []float64 // per verifier: mean |Δ| of chosen and top, vs the provider's trace
	}
	table := map[[2]string]*cell{}
	get := func(pv, vv string) *cell {
		k := [2]string{pv, vv}
		if table[k] == nil {
			table[k] = &cell{}
		}
		return table[k]
	}
	var honestAudits, across, substituteAudits int
	var cheaterAudits []verifytypes.Audit
	verifierSlashStakes := math.ZeroInt() // stakes the substitute lost as a verifier
	for _, a := range audits {
		j := jobs[a.JobId]
		pv := variantOf[a.Provider]
		paid := paidVerifiers(a, j.Sampling, tol)
		seen := map[string]bool{}
		isAcross := false
		for i, v := range a.Verifiers {
			vv := variantOf[v.Operator]
			c := get(pv, vv)
			if !seen[vv] {
				seen[vv] = true
				c.audits++
				switch a.Status {
				case verifytypes.AUDIT_STATUS_PASSED:
					c.passed++
				case verifytypes.AUDIT_STATUS_FAILED:
					c.failed++
				case verifytypes.AUDIT_STATUS_UNDECIDED:
					c.undecided++
				}
			}
			if paid[i] {
				c.paid++
			} else {
				c.unpaid++
			}
			if v.Revealed && a.ProviderRevealed && v.Trace.Len() == a.ProviderTrace.Len() {
				mx, mean := traceDiff(a.ProviderTrace, v.Trace)
				c.maxDiff = max(c.maxDiff, mx)
				c.meanDiffs = append(c.meanDiffs, mean)
			}
			if len(v.Opening) == 0 {
				continue // never opened to: not judged (neither paid nor slashed)
			}
			if v.Operator == cheater.operator {
				if !paid[i] {
					verifierSlashStakes = verifierSlashStakes.Add(v.Stake)
				}
				continue
			}
			// An honest verifier: never on the losing side, whoever the provider is.
			require.True(t, paid[i], "honest verifier %s (%s) unpaid in the audit of job %d (provider %s, %s): %s",
				v.Operator, vv, a.JobId, a.Provider, pv, a.Reason)
			if a.Provider != cheater.operator && vv != pv {
				isAcross = true
			}
		}
		if a.Provider == cheater.operator {
			substituteAudits++
			cheaterAudits = append(cheaterAudits, a)
			continue
		}
		honestAudits++
		if isAcross {
			across++
		}
		require.Equal(t, verifytypes.AUDIT_STATUS_PASSED, a.Status, "audit of the honest (%s) result of job %d: %s", pv, a.JobId, a.Reason)
		require.Equal(t, tasktypes.JOB_STATUS_SETTLED, j.Status, "job %d", a.JobId)
	}

	// The table.
	var b strings.Builder
	fmt.Fprintf(&b, "audits by (provider variant, verifier variant): %d audits, %d of honest providers (%d with an honest verifier on the other variant), %d of the q8_0 substitute\n",
		len(audits), honestAudits, across, substituteAudits)
	fmt.Fprintf(&b, "%-10s %-10s %7s %7s %7s %7s %6s %7s %9s %10s %10s\n", "provider", "verifier", "audits", "passed", "failed", "undec.", "paid", "unpaid", "max|Δ|", "median", "max mean")
	keys := make([][2]string, 0, len(table))
	for k := range table {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i][0] < keys[j][0] || (keys[i][0] == keys[j][0] && keys[i][1] < keys[j][1])
	})
	for _, k := range keys {
		c := table[k]
		fmt.Fprintf(&b, "%-10s %-10s %7d %7d %7d %7d %6d %7d %9d %10.2f %10.2f\n", k[0], k[1], c.audits, c.passed, c.failed, c.undecided,
			c.paid, c.unpaid, c.maxDiff, medianF(c.meanDiffs), maxF(c.meanDiffs))
	}
	fmt.Fprintf(&b, "(|Δ|: chosen and top log-probabilities of the verifier's trace against the provider's, in 1/%d nat; "+
		"tolerances: each ≤ %d, mean ≤ %.2f)\n", verifytypes.TraceScale, tol.Logprob, float64(tol.MeanMilli)/1000)
	b.WriteString(r.computeTable(variants))
	t.Logf("%s", b.String())

	// The honest providers: never slashed, no failed or missed audit; their jobs settled.
	for i, p := range r.provs[:cheaterIdx] {
		pa, pb := after.providers[p.operator], before.providers[p.operator]
		require.Equal(t, providertypes.PROVIDER_STATUS_ACTIVE, pa.Status, "%s (%s)", p.name, variants[i])
		require.Equal(t, pb.Bond, pa.Bond, "%s (%s) was slashed", p.name, variants[i])
		require.Zero(t, pa.AuditsFailed, "%s (%s) audits_failed", p.name, variants[i])
		require.Zero(t, pa.AuditsMissed, "%s (%s) audits_missed", p.name, variants[i])
	}
	for id, j := range jobs {
		if j.Provider != cheater.operator {
			require.Equal(t, tasktypes.JOB_STATUS_SETTLED, j.Status, "job %d of honest %s", id, j.Provider)
		}
	}
	require.GreaterOrEqual(t, honestAudits, crossWantHonestAudits, "audits of honest providers' jobs")
	require.GreaterOrEqual(t, across, crossWantAcross, "audits of honest providers verified across kernel variants")

	// The substitute: caught at its first failed audit, slashed and jailed there.
	sort.Slice(cheaterAudits, func(i, j int) bool { return cheaterAudits[i].VerdictHeight < cheaterAudits[j].VerdictHeight })
	firstFail := -1
	for i, a := range cheaterAudits {
		if a.Status == verifytypes.AUDIT_STATUS_FAILED {
			firstFail = i
			break
		}
	}
	var outcomes []string
	for _, a := range cheaterAudits {
		outcomes = append(outcomes, fmt.Sprintf("job %d %s (round %d)", a.JobId, strings.TrimPrefix(a.Status.String(), "AUDIT_STATUS_"), a.Round))
	}
	t.Logf("the q8_0 substitute's audits in verdict order: %s", strings.Join(outcomes, ", "))
	c := after.providers[cheater.operator]
	require.GreaterOrEqual(t, firstFail, 0, "the q8_0 substitute passed all %d of its audits: the tolerances do not separate it from honest re-scoring", len(cheaterAudits))
	caught := cheaterAudits[firstFail]
	t.Logf("the q8_0 substitute was caught at its audit %d of %d (job %d, %d passed before it), slashed %s, bond %s -> %s, status %s",
		firstFail+1, len(cheaterAudits), caught.JobId, firstFail, caught.Slashed, before.providers[cheater.operator].Bond, c.Bond, c.Status)
	require.Equal(t, providertypes.PROVIDER_STATUS_JAILED, c.Status, "the substitute is jailed")
	require.Positive(t, caught.Slashed.Amount.Int64(), "the substitute was slashed at its first failed audit")
	cj := jobs[caught.JobId]
	require.Equal(t, tasktypes.JOB_STATUS_SLASHED, cj.Status)
	require.Equal(t, cj.MaxFee, cj.Refunded, "the submitter gets max_fee back")
	// Its bond shrank by exactly what its failed audits slashed and the stakes it lost as
	// a verifier; every audit of its jobs either passed or failed.
	providerSlashed := math.ZeroInt()
	failed := 0
	for _, a := range cheaterAudits {
		require.Contains(t, []verifytypes.AuditStatus{verifytypes.AUDIT_STATUS_PASSED, verifytypes.AUDIT_STATUS_FAILED}, a.Status, "audit of job %d", a.JobId)
		if a.Status == verifytypes.AUDIT_STATUS_FAILED {
			providerSlashed = providerSlashed.Add(a.Slashed.Amount)
			failed++
		}
	}
	lostRevealed, lostSilent := countUnpaid(audits, cheater.operator, jobs, tol)
	cb := before.providers[cheater.operator]
	require.Equal(t, uint64(failed+lostRevealed), c.AuditsFailed-cb.AuditsFailed,
		"the substitute's audits_failed: %d failed audits as provider, %d lost verifications", failed, lostRevealed)
	require.Equal(t, uint64(lostSilent), c.AuditsMissed-cb.AuditsMissed, "the substitute's audits_missed")
	require.Equal(t, before.providers[cheater.operator].Bond.Amount.Sub(providerSlashed).Sub(verifierSlashStakes), c.Bond.Amount,
		"the substitute's bond: provider slashes %s, verifier stakes lost %s", providerSlashed, verifierSlashStakes)
	r.checkMoney(before, after, jobs)
	stats := r.stats()
	require.Equal(t, uint64(failed), stats.ProviderSlashes, "only the substitute is slashed as a provider")
	t.Logf("verify stats %+v; %s", stats, time.Since(start).Round(time.Second))
}

// haswellLibDir returns the folder of llama.cpp's haswell kernels (SOVRA_LLAMA_LIB_HASWELL,
// or <repo>/.llama/lib/haswell: scripts/llama-libs.sh --variant haswell). It skips when
// this CPU cannot run them (AVX2, FMA, F16C) or, unless SOVRA_REQUIRE_LLAMA is set, when
// they are not installed.
func haswellLibDir(t *testing.T) string {
	t.Helper()
	if flags := cpuFlags(); !flags["avx2"] || !flags["fma"] || !flags["f16c"] {
		t.Skipf("this CPU cannot run llama.cpp's haswell kernels (needs avx2, fma and f16c; has avx2=%v fma=%v f16c=%v): "+
			"the cross-variant test needs two kernel variants", flags["avx2"], flags["fma"], flags["f16c"])
	}
	dir := os.Getenv("SOVRA_LLAMA_LIB_HASWELL")
	if dir == "" {
		_, file, _, _ := runtime.Caller(0)
		dir = filepath.Join(filepath.Dir(file), "..", ".llama", "lib", "haswell")
	}
	if _, err := os.Stat(filepath.Join(dir, "libllama.so")); err != nil {
		if os.Getenv("SOVRA_REQUIRE_LLAMA") != "" {
			t.Fatalf("SOVRA_REQUIRE_LLAMA is set but the haswell llama.cpp libraries are missing in %s (run `bash scripts/llama-libs.sh --variant haswell`): %v", dir, err)
		}
		t.Skipf("haswell llama.cpp libraries not found in %s: run `bash scripts/llama-libs.sh --variant haswell`", dir)
	}
	abs, err := filepath.Abs(dir)
	require.NoError(t, err)
	return abs
}

// cpuFlags reads the first CPU's flags from /proc/cpuinfo (empty elsewhere).
func cpuFlags() map[string]bool {
	raw, err := os.ReadFile("/proc/cpuinfo")
	out := map[string]bool{}
	if err != nil {
		return out
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "flags" {
			for _, f := range strings.Fields(v) {
				out[f] = true
			}
			return out
		}
	}
	return out
}

var crossWords = strings.Fields(`the a of and to in is was that for on with as by at from his her it an were are
which this be or has had not but what all when there can more one two three river mountain city market
ledger token verify chain proof model compute worker night morning quickly slowly because however then
7 42 1999 "quoted" (aside) café naïve Grüße 世界`)

// crossPrompt is a prompt of 3–20 words and a max_output_tokens in [16, 32].
func crossPrompt(rng *rand.Rand) (string, uint64) {
	w := make([]string, 3+rng.IntN(18))
	for i := range w {
		w[i] = crossWords[rng.IntN(len(crossWords))]
	}
	return strings.Join(w, " "), uint64(16 + rng.IntN(17))
}

// traceDiff is the largest |Δ| and the mean |Δ| over the chosen and top values of two
// traces of one length.
func traceDiff(a, b verifytypes.Trace) (maxDiff int64, mean float64) {
	var sum, n int64
	for i := range a.Chosen {
		for _, d := range []int64{int64(a.Chosen[i]) - int64(b.Chosen[i]), int64(a.Top[i]) - int64(b.Top[i])} {
			d = max(d, -d)
			sum += d
			n++
			maxDiff = max(maxDiff, d)
		}
	}
	if n > 0 {
		mean = float64(sum) / float64(n)
	}
	return maxDiff, mean
}

// countUnpaid counts the audits where operator was a verifier opened to and not paid:
// those where it revealed (a failed audit on its record) and those where it did not (a
// missed one).
func countUnpaid(audits []verifytypes.Audit, operator string, jobs map[uint64]tasktypes.Job, tol verifytypes.Tolerances) (revealed, silent int) {
	for _, a := range audits {
		paid := paidVerifiers(a, jobs[a.JobId].Sampling, tol)
		for i, v := range a.Verifiers {
			if v.Operator != operator || len(v.Opening) == 0 || paid[i] {
				continue
			}
			if v.Revealed {
				revealed++
			} else {
				silent++
			}
		}
	}
	return revealed, silent
}

// computeTable compares the verifiers' re-scoring with the providers' inference, from the
// workers' records (store.Record.InferenceMs): medians per variant, and per audited job
// the verifier's time over its provider's.
func (r *auditRun) computeTable(variants []string) string {
	provider := map[uint64]int64{} // job id → provider inference ms
	type vrec struct {
		variant string
		ms      int64
	}
	verifier := map[uint64][]vrec{}
	byVariant := map[string][2][]int64{} // variant → provider ms, verifier ms
	for i := range r.provs {
		cfg := r.workerConfig(i)
		jobs, err := store.Open(cfg.DataDir)
		require.NoError(r.tb, err)
		recs, err := jobs.List()
		require.NoError(r.tb, err)
		v := byVariant[variants[i]]
		for _, rec := range recs {
			if rec.Status == store.StatusCommitted {
				provider[rec.JobID] = rec.InferenceMs
				v[0] = append(v[0], rec.InferenceMs)
			}
		}
		vs, err := store.OpenVerifications(cfg.DataDir)
		require.NoError(r.tb, err)
		recs, err = vs.List()
		require.NoError(r.tb, err)
		for _, rec := range recs {
			verifier[rec.JobID] = append(verifier[rec.JobID], vrec{variants[i], rec.InferenceMs})
			v[1] = append(v[1], rec.InferenceMs)
		}
		byVariant[variants[i]] = v
	}
	var b strings.Builder
	b.WriteString("compute (store.Record.InferenceMs, whole ms): provider inference vs verifier re-scoring\n")
	fmt.Fprintf(&b, "%-10s %9s %9s %9s %9s %9s %9s\n", "variant", "jobs", "median", "sum", "re-scores", "median", "sum")
	names := slices.Sorted(maps.Keys(byVariant))
	var allP, allV []int64
	for _, name := range names {
		v := byVariant[name]
		allP, allV = append(allP, v[0]...), append(allV, v[1]...)
		fmt.Fprintf(&b, "%-10s %9d %9.1f %9d %9d %9.1f %9d\n", name, len(v[0]), median(v[0]), sum(v[0]), len(v[1]), median(v[1]), sum(v[1]))
	}
	fmt.Fprintf(&b, "%-10s %9d %9.1f %9d %9d %9.1f %9d\n", "all", len(allP), median(allP), sum(allP), len(allV), median(allV), sum(allV))
	var ratios []float64
	var pSum, vSum int64
	for id, vs := range verifier {
		p, ok := provider[id]
		if !ok {
			continue
		}
		for _, v := range vs {
			pSum += p
			vSum += v.ms
			if p > 0 {
				ratios = append(ratios, float64(v.ms)/float64(p))
			}
		}
	}
	ratio := 0.0
	if pSum > 0 {
		ratio = float64(vSum) / float64(pSum)
	}
	fmt.Fprintf(&b, "per verification of an audited job: verifier re-scoring / that job's provider inference: median %.2f over %d pairs; sums %d / %d ms = %.2f\n",
		medianF(ratios), len(ratios), vSum, pSum, ratio)
	return b.String()
}

func median(xs []int64) float64 {
	f := make([]float64, len(xs))
	for i, x := range xs {
		f[i] = float64(x)
	}
	return medianF(f)
}

func medianF(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func maxF(xs []float64) float64 {
	m := 0.0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

func sum(xs []int64) int64 {
	var s int64
	for _, x := range xs {
		s += x
	}
	return s
}
