package inference

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"
	"testing"

	tasktypes "github.com/sovra-network/sovra/x/task/types"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

// calibAudit is one job seen by the chain: the provider's trace and the verifiers'.
type calibAudit struct {
	job           calibJob
	prov          verifytypes.Trace
	same, cross   verifytypes.Trace // verifier on the provider's variant / on the other one
	vx64, vhaswel verifytypes.Trace
}

// honestStats collects per-position and per-trace differences of honest audits.
type honestStats struct {
	chosen, top, challenge []uint64            // cross-variant |Δ| (challenge: verifier vs verifier)
	sameVariant            map[string][]uint64 // generation vs re-scoring on one variant, chosen and top
	margin, sameMargin     []uint64            // greedy Top−Chosen in the cross / same verifier trace
	lo, hi, slack          []uint64            // sampled: |Δ| of interval ends; draw's distance outside [lo, hi)
	ivPair                 []uint64            // |Δ| of interval ends between the two verifiers
	ivPlain                []uint64            // |Δ| of interval ends of jobs without top-k and top-p
	meanPV, meanVV         []uint64            // per trace mean |Δ| in milli units (provider-verifier, verifier pair)
	dropped                int                 // sampled positions whose claimed token one side dropped
}

func newHonestStats() *honestStats {
	return &honestStats{sameVariant: map[string][]uint64{}}
}

func (h *honestStats) add(a calibAudit) {
	s := a.job.Sampling
	h.meanPV = append(h.meanPV, meanMilli(a.prov, a.cross, false))
	h.meanVV = append(h.meanVV, meanMilli(a.vx64, a.vhaswel, true))
	for i := range a.prov.Chosen {
		h.chosen = append(h.chosen, absDiff(int64(a.prov.Chosen[i]), int64(a.cross.Chosen[i])))
		h.top = append(h.top, absDiff(int64(a.prov.Top[i]), int64(a.cross.Top[i])))
		h.challenge = append(h.challenge, absDiff(int64(a.vx64.Challenge[i]), int64(a.vhaswel.Challenge[i])))
		v := a.job.Variant
		h.sameVariant[v] = append(h.sameVariant[v], absDiff(int64(a.prov.Chosen[i]), int64(a.same.Chosen[i])),
			absDiff(int64(a.prov.Top[i]), int64(a.same.Top[i])))
		if s.TemperatureMilli == 0 {
			h.margin = append(h.margin, uint64(a.cross.Top[i]-a.cross.Chosen[i]))
			h.sameMargin = append(h.sameMargin, uint64(a.same.Top[i]-a.same.Chosen[i]))
		}
	}
	for i := range a.prov.Lo {
		if (a.prov.Lo[i] == verifytypes.Q32) != (a.cross.Lo[i] == verifytypes.Q32) {
			h.dropped++
		}
		h.ivPair = append(h.ivPair, absDiffU(a.vx64.Lo[i], a.vhaswel.Lo[i]), absDiffU(a.vx64.Hi[i], a.vhaswel.Hi[i]))
		h.lo = append(h.lo, absDiffU(a.prov.Lo[i], a.cross.Lo[i]))
		h.hi = append(h.hi, absDiffU(a.prov.Hi[i], a.cross.Hi[i]))
		if s.TopK == 0 && (s.TopPMilli == 0 || s.TopPMilli == 1000) {
			h.ivPlain = append(h.ivPlain, h.lo[len(h.lo)-1], h.hi[len(h.hi)-1])
		}
		u := tasktypes.SamplerDraw(s.Seed, i)
		var out uint64
		if u < a.cross.Lo[i] {
			out = a.cross.Lo[i] - u
		} else if u >= a.cross.Hi[i] {
			out = u + 1 - a.cross.Hi[i]
		}
		h.slack = append(h.slack, out)
	}
}

// signals are an audit's per-trace maxima: it passes Judge (one verifier) about when each
// is within its tolerance, so their distributions show what a tolerance lets through.
type signals struct{ lp, mean, margin, interval []uint64 }

func (g *signals) add(a calibAudit) {
	var lp, margin, iv uint64
	for i := range a.prov.Chosen {
		lp = max(lp, absDiff(int64(a.prov.Chosen[i]), int64(a.cross.Chosen[i])), absDiff(int64(a.prov.Top[i]), int64(a.cross.Top[i])))
		if a.job.Sampling.TemperatureMilli == 0 {
			margin = max(margin, uint64(max(0, a.cross.Top[i]-a.cross.Chosen[i])))
		}
	}
	for i := range a.prov.Lo {
		iv = max(iv, absDiffU(a.prov.Lo[i], a.cross.Lo[i]), absDiffU(a.prov.Hi[i], a.cross.Hi[i]))
		if u := tasktypes.SamplerDraw(a.job.Sampling.Seed, i); u < a.cross.Lo[i] {
			iv = max(iv, a.cross.Lo[i]-u)
		} else if u >= a.cross.Hi[i] {
			iv = max(iv, u+1-a.cross.Hi[i])
		}
	}
	g.lp = append(g.lp, lp)
	g.mean = append(g.mean, meanMilli(a.prov, a.cross, false))
	if a.job.Sampling.TemperatureMilli == 0 {
		g.margin = append(g.margin, margin)
	} else {
		g.interval = append(g.interval, iv)
	}
}

func (g *signals) String() string {
	return summary("max |Δ| logprob", g.lp) + summary("mean |Δ| milli", g.mean) +
		summary("max margin (greedy)", g.margin) + summary("max interval (sampled)", g.interval)
}

// meanMilli is Close's mean |Δ| of a pair of traces in thousandths of a unit, rounded up.
func meanMilli(a, b verifytypes.Trace, challenge bool) uint64 {
	pairs := [][2][]int32{{a.Chosen, b.Chosen}, {a.Top, b.Top}}
	if challenge {
		pairs = append(pairs, [2][]int32{a.Challenge, b.Challenge})
	}
	var sum, n uint64
	for _, f := range pairs {
		for i := range f[0] {
			sum += absDiff(int64(f[0][i]), int64(f[1][i]))
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return (sum*1000 + n - 1) / n
}

// worst returns the smallest tolerances under which every honest audit in h passes.
func (h *honestStats) worst() verifytypes.Tolerances {
	m := func(vs ...[]uint64) uint64 {
		var x uint64
		for _, v := range vs {
			for _, y := range v {
				x = max(x, y)
			}
		}
		return x
	}
	return verifytypes.Tolerances{
		Logprob: m(h.chosen, h.top, h.challenge), MeanMilli: m(h.meanPV, h.meanVV),
		Margin: m(h.margin), Interval: m(h.lo, h.hi, h.slack, h.ivPair),
	}
}

// summary prints quantiles and a log2 histogram of vals.
func summary(name string, vals []uint64) string {
	if len(vals) == 0 {
		return fmt.Sprintf("  %-28s (none)\n", name)
	}
	v := slices.Clone(vals)
	slices.Sort(v)
	q := func(p float64) uint64 { return v[min(len(v)-1, int(p*float64(len(v))))] }
	hist := map[int]int{}
	for _, x := range v {
		hist[bits.Len64(x)]++
	}
	var hb strings.Builder
	for k := range 65 {
		if c := hist[k]; c > 0 {
			lo, hi := uint64(0), uint64(0)
			if k > 0 {
				lo, hi = 1<<(k-1), 1<<k-1
			}
			if lo == hi {
				fmt.Fprintf(&hb, " %d:%d", lo, c)
			} else {
				fmt.Fprintf(&hb, " %d-%d:%d", lo, hi, c)
			}
		}
	}
	return fmt.Sprintf("  %-28s n=%d p50=%d p90=%d p99=%d p99.9=%d max=%d |%s\n", name, len(v), q(0.5), q(0.9), q(0.99), q(0.999), v[len(v)-1], hb.String())
}

// fails reports whether an audit with one verifier does not pass Judge.
func fails(a calibAudit, tol verifytypes.Tolerances) bool {
	h := []byte{1} // one claim: both sides hash the same tokens
	p := verifytypes.Party{Revealed: true, Hash: h, Trace: a.prov}
	v := verifytypes.Party{Revealed: true, Hash: h, Trace: a.cross}
	return verifytypes.Judge(p, []verifytypes.Party{v}, a.job.Sampling, tol).Outcome != verifytypes.OutcomePass
}

// rate formats k of n with its binomial σ.
func rate(k, n int) string {
	if n == 0 {
		return "-"
	}
	p := float64(k) / float64(n)
	return fmt.Sprintf("%5.1f%% ±%4.1f (%d/%d)", 100*p, 100*math.Sqrt(p*(1-p)/float64(n)), k, n)
}

func scaleTol(w verifytypes.Tolerances, k uint64) verifytypes.Tolerances {
	return verifytypes.Tolerances{
		Logprob: max(1, w.Logprob*k), MeanMilli: max(100, w.MeanMilli*k),
		Margin: max(1, w.Margin*k), Interval: max(1<<10, w.Interval*k),
	}
}

// calibGroups are the families whose honest audits set a tolerance together.
var calibGroups = []struct {
	name     string
	families []string
}{{"f32 models", []string{"demo", "5m"}}, {"q8_0 models", []string{"demo-q8", "5m-q8"}}}

func analyzeCalibration(t *testing.T, jobs []calibJob, gen map[int]calibGenerated, ver map[string]map[int]calibRescored) string {
	t.Helper()
	audits, skipped, timeRatio := collectAudits(t, jobs, gen, ver)
	var b strings.Builder
	fmt.Fprintf(&b, "\naudits: %d (substitutes skipped: %d); honest re-scoring/generation time on the provider's variant: %.3f\n",
		len(audits), skipped, timeRatio)

	worst := map[string]verifytypes.Tolerances{}
	for _, g := range calibGroups {
		h := newHonestStats()
		nHonest, nSampled, positions := 0, 0, 0
		for _, a := range audits {
			if a.job.Kind == "honest" && slices.Contains(g.families, a.job.Family) {
				h.add(a)
				nHonest++
				positions += a.prov.Len()
				if a.job.Sampling.TemperatureMilli > 0 {
					nSampled++
				}
			}
		}
		if nHonest == 0 {
			continue
		}
		fmt.Fprintf(&b, "\nhonest audits, %s: %d (%d sampled), %d positions; |Δ| in trace units (1/1024 nat), intervals in Q32:\n",
			g.name, nHonest, nSampled, positions)
		b.WriteString(h.String())
		worst[g.name] = h.worst()
		w := worst[g.name]
		fmt.Fprintf(&b, "  worst honest: logprob %d, mean %d milli, margin %d, interval %d\n", w.Logprob, w.MeanMilli, w.Margin, w.Interval)
	}

	b.WriteString("\nper-trace signals (provider vs cross-variant verifier):\n")
	for _, kind := range calibKinds {
		for _, fam := range calibFamilyOrder {
			g := &signals{}
			for _, a := range audits {
				if a.job.Kind == kind && a.job.Family == fam {
					g.add(a)
				}
			}
			if len(g.lp) > 0 {
				fmt.Fprintf(&b, " %s %s:\n%s", kind, fam, g)
			}
		}
	}

	type set struct {
		name string
		tol  verifytypes.Tolerances
	}
	var sets []set
	all := maxTol(worst["f32 models"], worst["q8_0 models"])
	for _, k := range []uint64{1, 2, 3, 4} {
		sets = append(sets, set{fmt.Sprintf("%dx worst f32", k), scaleTol(worst["f32 models"], k)})
	}
	for _, k := range []uint64{1, 2, 3} {
		sets = append(sets, set{fmt.Sprintf("%dx worst of all", k), scaleTol(all, k)})
	}
	for _, c := range calibCandidates {
		sets = append(sets, set{c.name, c.tol})
	}
	b.WriteString("\nper-audit failure rate (Judge does not pass with one verifier on the other variant;\n" +
		"honest = false failures, substitutes = detection) ±1σ binomial:\n")
	for _, st := range sets {
		fmt.Fprintf(&b, "%s: logprob %d, mean %d milli, margin %d, interval %d\n", st.name, st.tol.Logprob, st.tol.MeanMilli, st.tol.Margin, st.tol.Interval)
		b.WriteString(failureTable(audits, st.tol))
	}
	return b.String()
}

var (
	calibKinds       = []string{"honest", "f16", "q8_0", "seed", "swap"}
	calibFamilyOrder = []string{"demo", "5m", "demo-q8", "5m-q8"}
)

// collectAudits pairs every output with its verifiers' traces and checks their shapes.
func collectAudits(t *testing.T, jobs []calibJob, gen map[int]calibGenerated, ver map[string]map[int]calibRescored) ([]calibAudit, int, float64) {
	t.Helper()
	var audits []calibAudit
	var genSec, resSec float64
	skipped := 0
	for _, j := range jobs {
		g, ok := gen[j.ID]
		if !ok || g.Skipped != "" {
			skipped++
			continue
		}
		other := calibVariants[0]
		if j.Variant == other {
			other = calibVariants[1]
		}
		a := calibAudit{
			job: j, prov: g.Trace, same: ver[j.Variant][j.ID].Trace, cross: ver[other][j.ID].Trace,
			vx64: ver["x64"][j.ID].Trace, vhaswel: ver["haswell"][j.ID].Trace,
		}
		n := g.Claimed.Positions()
		for name, tr := range map[string]verifytypes.Trace{"provider": a.prov, "same": a.same, "cross": a.cross} {
			if err := tr.CheckShape(n, j.Sampling.TemperatureMilli > 0, name != "provider"); err != nil {
				t.Fatalf("job %d %s trace: %v", j.ID, name, err)
			}
		}
		if !slices.Equal(ver["x64"][j.ID].PromptTokens, ver["haswell"][j.ID].PromptTokens) {
			t.Fatalf("job %d: the verifiers tokenize the prompt differently", j.ID)
		}
		if j.Kind == "honest" {
			genSec += g.GenSeconds
			resSec += ver[j.Variant][j.ID].Seconds
		}
		audits = append(audits, a)
	}
	return audits, skipped, resSec / genSec
}

func (h *honestStats) String() string {
	var b strings.Builder
	b.WriteString(summary("chosen (provider-verifier)", h.chosen))
	b.WriteString(summary("top (provider-verifier)", h.top))
	b.WriteString(summary("challenge (verifier pair)", h.challenge))
	for _, v := range calibVariants {
		b.WriteString(summary("same variant "+v, h.sameVariant[v]))
	}
	b.WriteString(summary("greedy margin, cross", h.margin))
	b.WriteString(summary("greedy margin, same", h.sameMargin))
	b.WriteString(summary("interval lo", h.lo))
	b.WriteString(summary("interval hi", h.hi))
	b.WriteString(summary("interval (verifier pair)", h.ivPair))
	b.WriteString(summary("interval, no top-k/top-p", h.ivPlain))
	b.WriteString(summary("draw outside interval", h.slack))
	b.WriteString(summary("mean/trace milli (p-v)", h.meanPV))
	b.WriteString(summary("mean/trace milli (v-v)", h.meanVV))
	fmt.Fprintf(&b, "  sampled positions whose claimed token one side dropped (top-k/top-p edge): %d\n", h.dropped)
	return b.String()
}

func maxTol(a, b verifytypes.Tolerances) verifytypes.Tolerances {
	return verifytypes.Tolerances{
		Logprob: max(a.Logprob, b.Logprob), MeanMilli: max(a.MeanMilli, b.MeanMilli),
		Margin: max(a.Margin, b.Margin), Interval: max(a.Interval, b.Interval),
	}
}

// failureTable prints, per kind, the failure rate overall and per family and mode; for
// honest audits also the verifier pairs that are not Close (credibility).
func failureTable(audits []calibAudit, tol verifytypes.Tolerances) string {
	type cell struct{ k, n int }
	var b strings.Builder
	for _, kind := range calibKinds {
		rows := map[string]*cell{}
		pair := &cell{}
		for _, a := range audits {
			if a.job.Kind != kind {
				continue
			}
			mode := "greedy"
			if a.job.Sampling.TemperatureMilli > 0 {
				mode = "sampled"
			}
			f := fails(a, tol)
			for _, key := range []string{"all", a.job.Family + " " + mode} {
				if rows[key] == nil {
					rows[key] = &cell{}
				}
				rows[key].n++
				if f {
					rows[key].k++
				}
			}
			if kind == "honest" {
				pair.n++
				if !verifytypes.Close(a.vx64, a.vhaswel, tol, true) {
					pair.k++
				}
			}
		}
		if rows["all"] == nil {
			continue
		}
		fmt.Fprintf(&b, "  %-7s all %s", kind, rate(rows["all"].k, rows["all"].n))
		for _, fam := range calibFamilyOrder {
			for _, mode := range []string{"greedy", "sampled"} {
				if c := rows[fam+" "+mode]; c != nil {
					fmt.Fprintf(&b, " | %s %s %s", fam, mode, rate(c.k, c.n))
				}
			}
		}
		if kind == "honest" {
			fmt.Fprintf(&b, " | verifier pairs not close %s", rate(pair.k, pair.n))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// calibCandidates are fixed tolerance sets evaluated next to the multiples of the worst
// honest values: the defaults of x/verify/types/params.go, a set at 2-4x the worst honest
// values of the f32 models, and one at about 3x those of the q8_0 models.
var calibCandidates = []struct {
	name string
	tol  verifytypes.Tolerances
}{
	{"params.go defaults", verifytypes.Tolerances{Logprob: 64, MeanMilli: 16_000, Margin: 64, Interval: 1 << 23}},
	{"f32 class", verifytypes.Tolerances{Logprob: 4, MeanMilli: 250, Margin: 4, Interval: 1 << 29}},
	{"quantized class", verifytypes.Tolerances{Logprob: 64, MeanMilli: 16_000, Margin: 64, Interval: 1 << 30}},
}
