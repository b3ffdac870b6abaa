package keeper_test

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/curve25519"

	sdk "github.com/cosmos/cosmos-sdk/types"

	taskkeeper "github.com/sovra-network/sovra/x/task/keeper"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	"github.com/sovra-network/sovra/x/verify/types"
)

// realAudits is testdata/calibration.json.gz (see testdata/README.md), written by
// worker/inference's TestExportCalibration: keep the two definitions in step.
type realAudits struct {
	Source string      `json:"source"`
	Audits []realAudit `json:"audits"`
}

// realAudit is one audit of the cross-variant calibration: real llama.cpp traces of a
// provider on one CPU kernel variant and of a verifier on the other.
type realAudit struct {
	ID              int                `json:"id"`    // the calibration job
	Class           string             `json:"class"` // the real model's weights: f32 | q8_0
	Family          string             `json:"family"`
	Kind            string             `json:"kind"` // honest | f16 | q8_0 | seed | swap
	ProviderVariant string             `json:"provider_variant"`
	VerifierVariant string             `json:"verifier_variant"`
	Sampling        tasktypes.Sampling `json:"sampling"`
	OutputTokens    int                `json:"output_tokens"`
	MaxTokens       int                `json:"max_tokens"`
	Provider        types.Trace        `json:"provider"`
	// Verifier is the verifier's trace minus the provider's, value by value, without its
	// challenge values (the chain compares those only between two verifiers of a round).
	Verifier struct {
		Chosen []int32 `json:"chosen"`
		Top    []int32 `json:"top"`
		Lo     []int64 `json:"lo"`
		Hi     []int64 `json:"hi"`
	} `json:"verifier_minus_provider"`
}

// verifierTrace is the verifier's trace as it reveals it. Its challenge values are the
// dataset's missing ones: with one verifier in round 1 nobody compares them (a lone
// revealer is credible; support is judged without them), so any values of the right
// length replay the audit; the test reveals the verifier's chosen values.
func (a realAudit) verifierTrace() types.Trace {
	p, d := a.Provider, a.Verifier
	n := p.Len()
	v := types.Trace{Chosen: make([]int32, n), Top: make([]int32, n), Challenge: make([]int32, n)}
	for i := range n {
		v.Chosen[i] = p.Chosen[i] + d.Chosen[i]
		v.Top[i] = p.Top[i] + d.Top[i]
	}
	copy(v.Challenge, v.Chosen)
	for i := range p.Lo {
		v.Lo = append(v.Lo, uint64(int64(p.Lo[i])+d.Lo[i]))
		v.Hi = append(v.Hi, uint64(int64(p.Hi[i])+d.Hi[i]))
	}
	return v
}

func loadRealAudits(t *testing.T) realAudits {
	t.Helper()
	f, err := os.Open("testdata/calibration.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var d realAudits
	if err := json.NewDecoder(zr).Decode(&d); err != nil {
		t.Fatalf("testdata/calibration.json.gz: %v", err)
	}
	for _, a := range d.Audits {
		n := a.Provider.Len()
		if len(a.Verifier.Chosen) != n || len(a.Verifier.Top) != n || len(a.Verifier.Lo) != len(a.Provider.Lo) || len(a.Verifier.Hi) != len(a.Provider.Hi) {
			t.Fatalf("calibration job %d: the verifier's trace does not cover the provider's %d positions", a.ID, n)
		}
	}
	return d
}

// realClasses are the model classes of the dataset and the tolerances their model is
// registered with (logprob, mean milli, margin, interval): a full-precision model its
// own, config.yml's demo model's; a quantized one none, so the params' defaults (64 /
// 16,000 / 64 / 2^30) apply. x/verify README, "Tolerance calibration".
var realClasses = []struct {
	name  string
	model *[4]uint32
}{{"f32", &[4]uint32{4, 250, 4, 1 << 29}}, {"q8_0", nil}}

const (
	realPrice       = 10  // prov's price; v1..v6 ask dearPrice, above every job's max_fee
	realPerBlock    = 150 // jobs submitted per block
	realMsgsPerTx   = 8   // submits, results, openings and commitments per tx
	realRevealPerTx = 2   // reveals per tx: a reveal may carry a verdict
	realMaxBlocks   = 200
)

// realTolerances are the tolerances the chain applies to a model registered with model's.
func realTolerances(model *[4]uint32) types.Tolerances {
	tol := types.DefaultParams().Tolerances()
	if model != nil {
		tol = tol.For(model[0], model[1], model[2], model[3])
	}
	return tol
}

// Detection bounds, set after measuring this dataset (the replay is deterministic: an
// audit's outcome depends on its traces, its sampling rule and the tolerances only) a few
// σ below what it gave: F16 substitute 267/300 = 89.0 ± 1.8 %, bound 80 % (5.0σ below;
// 3.9σ with the σ of an 80 % rate); Q8_0 substitute and other seed 300/300, one swapped
// token 299/300 = 99.7 ± 0.3 %, bound 95 % (4.0σ and 3.7σ below with the σ of a 95 % rate
// over 300 audits, 1.26 %: a measured 100 % has no σ of its own). Honest audits of either
// class must never fail.
var realDetectionBounds = map[string]float64{"f16": 0.80, "q8_0": 0.95, "seed": 0.95, "swap": 0.95}

// realTally counts one (class, kind) of audits: how many did not pass round 1.
type realTally struct {
	n, caught             int
	greedyN, greedyCaught int
}

// TestRealTracesThroughTheChain replays the real traces of the cross-variant calibration
// (worker/inference TestCrossVariantCalibration: real llama.cpp on the x64 baseline and
// haswell kernels) through real blocks: per dataset audit a job of the dataset's sampling
// rule (seed, temperature, top-k, top-p: the chain recomputes the draw of sampled jobs)
// and token counts, committed by the provider with the dataset's provider trace; the one
// drawn verifier commits and reveals the verifier's trace (the other variant). The model
// is registered with the tolerances of its class, one chain per class. Measured per
// (class, kind): the audits whose round 1 does not pass (the chain escalates: detection
// per audit), with their binomial σ. Honest audits must all pass (false failures: 0 of
// every honest f32 and q8_0 audit); substitutes and swaps must be caught at least at
// realDetectionBounds. Every audit's outcome must also be types.RoundPasses' on the same
// traces. Round 2 is not played: escalated audits wait in its OPEN phase, longer than the
// test, so no verdict slashes or jails the provider mid-run (escalation and its majority
// are TestDetectionMatchesTheory's and the attack tests').
func TestRealTracesThroughTheChain(t *testing.T) {
	start := time.Now()
	d := loadRealAudits(t)
	byClass := map[string][]realAudit{}
	for _, a := range d.Audits {
		byClass[a.Class] = append(byClass[a.Class], a)
	}
	tallies := map[string]map[string]*realTally{}
	for _, c := range realClasses {
		if len(byClass[c.name]) == 0 {
			t.Fatalf("no %s audits in the dataset", c.name)
		}
		tallies[c.name] = replayRealAudits(t, c.name, c.model, byClass[c.name])
	}

	var b strings.Builder
	fmt.Fprintf(&b, "real llama.cpp traces through the chain (%s); caught: round 1 did not pass, the audit escalated\n", d.Source)
	fmt.Fprintf(&b, "  %-5s %-7s %7s %7s %16s %16s %16s  %s\n", "class", "kind", "audits", "caught", "rate ± σ", "greedy", "sampled", "tolerances (logprob / mean milli / margin / interval)")
	for _, c := range realClasses {
		tl := realTolerances(c.model)
		tol := fmt.Sprintf("%d / %d / %d / 2^%d", tl.Logprob, tl.MeanMilli, tl.Margin, bits.Len64(tl.Interval)-1)
		for _, kind := range []string{"honest", "f16", "q8_0", "seed", "swap"} {
			r := tallies[c.name][kind]
			if r == nil {
				continue
			}
			fmt.Fprintf(&b, "  %-5s %-7s %7d %7d %16s %16s %16s  %s\n", c.name, kind, r.n, r.caught, realRate(r.caught, r.n),
				fmt.Sprintf("%d/%d", r.greedyCaught, r.greedyN), fmt.Sprintf("%d/%d", r.caught-r.greedyCaught, r.n-r.greedyN), tol)
		}
	}
	t.Log(b.String())

	for _, c := range realClasses {
		h := tallies[c.name]["honest"]
		if h == nil || h.caught != 0 {
			t.Errorf("%s: honest cross-variant audits that did not pass: %+v, want none", c.name, h)
		}
	}
	if h := tallies["f32"]["honest"]; h == nil || h.n < 1000 {
		t.Errorf("f32: %+v honest audits, want at least 1,000", h)
	}
	for kind, bound := range realDetectionBounds {
		r := tallies["f32"][kind]
		if r == nil || r.n < 100 {
			t.Errorf("f32 %s: %+v audits, want at least 100", kind, r)
			continue
		}
		if rate := float64(r.caught) / float64(r.n); rate < bound {
			t.Errorf("f32 %s: detection %d/%d = %.3f, below %.2f", kind, r.caught, r.n, rate, bound)
		}
	}
	t.Logf("%d audits, %s", len(d.Audits), time.Since(start).Round(time.Millisecond))
}

// realRate formats k of n with its binomial σ.
func realRate(k, n int) string {
	p := float64(k) / float64(n)
	return fmt.Sprintf("%.1f ± %.1f %%", 100*p, 100*math.Sqrt(p*(1-p)/float64(n)))
}

// replayRealAudits runs every audit on a fresh chain whose testModel is registered with
// the model tolerances (none: nil) and the params' default ones, and tallies round 1's
// outcomes by kind.
func replayRealAudits(t *testing.T, class string, model *[4]uint32, audits []realAudit) map[string]*realTally {
	t.Helper()
	start := time.Now()
	vp := auditParams() // audit 95 % of the jobs, one verifier, three more on a mismatch
	p := types.DefaultParams()
	vp.LogprobTolerance, vp.MeanLogprobToleranceMilli, vp.MarginTolerance, vp.IntervalTolerance =
		p.LogprobTolerance, p.MeanLogprobToleranceMilli, p.MarginTolerance, p.IntervalTolerance
	// Escalated audits stay open: a small stake lets six verifiers back them all, and a
	// long OPEN phase keeps round 2 waiting past the end of the test.
	vp.VerifierSlashFraction = dec("0.0001")
	vp.OpenPhaseBlocks = 2 * realMaxBlocks
	s := setup{verify: vp, rewards: auditRewards(), jailBlocks: 20, decisionWindow: 2, pool: 10_000_000_000}
	s.modelTolerances = model
	s.providers = []providerSpec{{name: "prov", profile: cpuProfile, bond: bigBond, price: realPrice, maxJobs: 10_000}}
	for i := 1; i <= 6; i++ {
		s.providers = append(s.providers, providerSpec{name: fmt.Sprintf("v%d", i), profile: cpuProfile, bond: baseBond, price: dearPrice})
	}
	e := newEnv(t, s)
	prov := e.p("prov")
	tolerances := realTolerances(model)

	verifierTraces := make([]types.Trace, len(audits))
	for i, a := range audits {
		verifierTraces[i] = a.verifierTrace()
	}
	hashOf := func(id uint64) []byte { return tagged("real-output", id, nil) } // both sides claim one output
	work := func(id uint64, i int) verification { return verification{hashOf(id), verifierTraces[i]} }

	queue := make([]int, len(audits)) // dataset audits not yet audited
	for i := range queue {
		queue[i] = i
	}
	open := map[uint64]int{}             // job id → dataset audit
	outcome := make([]int8, len(audits)) // 1: round 1 passed, -1: it did not
	var jobs, unaudited, passes, caught int
	maxGas := int64(0)
	for blocks := 0; len(queue) > 0 || len(open) > 0; blocks++ {
		if blocks > realMaxBlocks {
			t.Fatalf("%s: %d audits queued and %d jobs open after %d blocks", class, len(queue), len(open), blocks)
		}
		var txs []tx
		// New jobs, alternately from alice and bob.
		var submitted []int
		for len(queue) > 0 && len(submitted) < realPerBlock {
			who := []string{"alice", "bob"}[(len(submitted)/realMsgsPerTx)%2]
			var chunk []sdk.Msg
			for ; len(chunk) < realMsgsPerTx && len(queue) > 0 && len(submitted) < realPerBlock; queue = queue[1:] {
				a := audits[queue[0]]
				submitted = append(submitted, queue[0])
				chunk = append(chunk, &tasktypes.MsgSubmitJob{
					Submitter: e.f.Accounts[who].Address.String(), ModelId: testModel, Prompt: promptText,
					MaxOutputTokens: uint64(a.MaxTokens), Sampling: a.Sampling, OutputKey: curve25519.Basepoint,
					MaxFee: coin(realPrice * int64(taskkeeper.PromptTokenBound(promptText)+uint64(a.MaxTokens))),
				})
			}
			txs = append(txs, tx{e.f.Accounts[who], chunk})
		}
		// Every party's part in the open jobs.
		ids := make([]uint64, 0, len(open))
		for id := range open {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		var results []uint64
		var openings, provReveals []sdk.Msg
		duty := map[*party][]sdk.Msg{}
		var verifiers []*party
		addDuty := func(p *party, m sdk.Msg) {
			if _, ok := duty[p]; !ok {
				verifiers = append(verifiers, p)
			}
			duty[p] = append(duty[p], m)
		}
		for _, id := range ids {
			i := open[id]
			switch j := e.job(id); j.Status {
			case tasktypes.JOB_STATUS_ASSIGNED:
				results = append(results, id)
			case tasktypes.JOB_STATUS_PENDING, tasktypes.JOB_STATUS_COMMITTED: // to be assigned; its audit decision is due
			case tasktypes.JOB_STATUS_SETTLED:
				delete(open, id)
				has, err := e.f.App.VerifyKeeper.Audits.Has(e.f.Ctx(), id)
				if err != nil {
					t.Fatal(err)
				}
				if !has {
					unaudited++
					queue = append(queue, i) // not drawn for audit: submit it again
					continue
				}
				if a := e.audit(id); a.Status != types.AUDIT_STATUS_PASSED || a.Round != 1 {
					t.Fatalf("job %d settled with its audit %s in round %d", id, a.Status, a.Round)
				}
				outcome[i] = 1
				passes++
			case tasktypes.JOB_STATUS_AUDITING:
				a := e.audit(id)
				if a.Status == types.AUDIT_STATUS_ESCALATING || a.Round > 1 {
					delete(open, id)
					outcome[i] = -1
					caught++
					continue
				}
				switch a.Status {
				case types.AUDIT_STATUS_OPEN:
					openings = append(openings, e.openMsg(id))
				case types.AUDIT_STATUS_COMMIT:
					for _, v := range round(a, 1) {
						if len(v.Commitment) == 0 {
							p := e.of(v.Operator)
							addDuty(p, e.commitMsg(p, id, work(id, i)))
						}
					}
				case types.AUDIT_STATUS_REVEAL:
					if !a.ProviderRevealed {
						provReveals = append(provReveals, e.providerReveal(id))
					}
					for _, v := range round(a, 1) {
						if len(v.Commitment) > 0 && !v.Revealed {
							p := e.of(v.Operator)
							addDuty(p, e.revealMsg(p, id, work(id, i)))
						}
					}
				}
			default:
				t.Fatalf("job %d (calibration job %d): %s", id, audits[i].ID, j.Status)
			}
		}
		for len(results) > 0 {
			chunk := results[:min(len(results), realMsgsPerTx)]
			results = results[len(chunk):]
			msg := &tasktypes.MsgCommitResult{Worker: prov.worker.Address.String()}
			for _, id := range chunk {
				a := audits[open[id]]
				h, salt := hashOf(id), tagged("provider-salt", id, nil)[:20]
				e.provHash[id], e.provTrace[id], e.provSalt[id] = h, a.Provider, salt
				msg.Results = append(msg.Results, tasktypes.JobResult{
					JobId: id, Commitment: tasktypes.Commitment([32]byte(h), a.Provider.Hash(), salt),
					PromptTokens: promptTokens, OutputTokens: uint64(a.OutputTokens), SealedOutput: []byte("sealed"),
				})
			}
			txs = append(txs, tx{prov.worker, []sdk.Msg{msg}})
		}
		chunked := func(acc *party, msgs []sdk.Msg, per int) {
			for len(msgs) > 0 {
				chunk := msgs[:min(len(msgs), per)]
				msgs = msgs[len(chunk):]
				txs = append(txs, tx{acc.worker, chunk})
			}
		}
		chunked(prov, openings, realMsgsPerTx)
		chunked(prov, provReveals, realRevealPerTx)
		for _, p := range verifiers {
			var commits, reveals []sdk.Msg
			for _, m := range duty[p] {
				if _, ok := m.(*types.MsgReveal); ok {
					reveals = append(reveals, m)
				} else {
					commits = append(commits, m)
				}
			}
			chunked(p, commits, realMsgsPerTx)
			chunked(p, reveals, realRevealPerTx)
		}
		res := e.mustBlock(txs...)
		for k, r := range res {
			maxGas = max(maxGas, r.GasUsed)
			if _, ok := txs[k].msgs[0].(*tasktypes.MsgSubmitJob); ok {
				got := jobIDs(t, r)
				if len(got) != len(txs[k].msgs) {
					t.Fatalf("a tx of %d jobs submitted %d", len(txs[k].msgs), len(got))
				}
				for _, id := range got {
					open[id] = submitted[0]
					submitted = submitted[1:]
					jobs++
				}
			}
		}
	}
	// The chain's outcome of every audit is the judge's on the same traces.
	tally := map[string]*realTally{}
	for i, a := range audits {
		want := types.RoundPasses(types.Party{Revealed: true, Hash: []byte{1}, Trace: a.Provider},
			[]types.Party{{Revealed: true, Hash: []byte{1}, Trace: verifierTraces[i], Round: 1}}, 1, a.Sampling, tolerances)
		if got := outcome[i] == 1; got != want || outcome[i] == 0 {
			t.Errorf("%s calibration job %d (%s): the chain passed round 1: %v (outcome %d), types.RoundPasses: %v", class, a.ID, a.Kind, got, outcome[i], want)
		}
		r := tally[a.Kind]
		if r == nil {
			r = &realTally{}
			tally[a.Kind] = r
		}
		r.n++
		greedy := a.Sampling.TemperatureMilli == 0
		if greedy {
			r.greedyN++
		}
		if outcome[i] != 1 {
			r.caught++
			if greedy {
				r.greedyCaught++
			}
		}
	}
	e.f.NextBlock() // the last escalations are drawn
	st := e.stats()
	if st.Audits != uint64(passes+caught) || st.Passes != uint64(passes) || st.Escalations != uint64(caught) || st.Failures != 0 || st.ProviderSlashes != 0 {
		t.Fatalf("%s: stats %+v, counted %d round-1 passes and %d escalations", class, st, passes, caught)
	}
	t.Logf("%s: %d audits from %d jobs (%d not drawn for audit, submitted again), %d blocks with invariants checked, largest tx %d gas, %s",
		class, len(audits), jobs, unaudited, e.checker.Blocks, maxGas, time.Since(start).Round(time.Millisecond))
	return tally
}
