package inference

import (
	"math"
	"slices"
	"testing"

	tasktypes "github.com/sovra-network/sovra/x/task/types"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

func TestQuantizeLogProb(t *testing.T) {
	for _, tc := range []struct {
		lp   float64
		want int32
	}{
		{0, 0},
		{-1, -1024},
		{0.5 / 1024, 1},   // half away from zero
		{-0.5 / 1024, -1}, // half away from zero
		{-1.4 / 1024, -1},
		{-1.6 / 1024, -2},
		{-2e6, -traceClamp},
		{2e6, traceClamp},
		{math.Inf(-1), -traceClamp},
		{math.NaN(), -traceClamp},
	} {
		if got := quantizeLogProb(tc.lp); got != tc.want {
			t.Errorf("quantizeLogProb(%v) = %d, want %d", tc.lp, got, tc.want)
		}
	}
}

func TestPositionLogProbs(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	logits := []float32{1, float32(math.Log(3)) + 1, nan, float32(math.Inf(-1)), inf}
	p, err := newPosition(logits)
	if err != nil {
		t.Fatal(err)
	}
	// finite logits 1 and 1+ln3: probabilities 1/4 and 3/4
	if got, want := p.lp(0), quantizeLogProb(math.Log(0.25)); got != want {
		t.Errorf("lp(0) = %d, want %d", got, want)
	}
	if got, want := p.top(), quantizeLogProb(math.Log(0.75)); got != want || p.lp(1) != got {
		t.Errorf("top = %d, lp(1) = %d, want %d", got, p.lp(1), want)
	}
	for _, id := range []uint32{2, 3, 4} {
		if got := p.lp(id); got != -traceClamp {
			t.Errorf("non-finite logit %d: lp %d, want -2^30", id, got)
		}
	}
	if _, err := newPosition([]float32{nan, inf}); err == nil {
		t.Fatal("a position without a finite logit must fail")
	}
}

// TestSplitMix64MatchesSamplerDraw pins the chain's O(1) draw to the sampler's stream.
func TestSplitMix64MatchesSamplerDraw(t *testing.T) {
	for _, seed := range []uint64{0, 1, 42, math.MaxUint64} {
		r := NewSplitMix64(seed)
		for i := range 1000 {
			if got, want := r.Next()>>32, tasktypes.SamplerDraw(seed, i); got != want {
				t.Fatalf("seed %d draw %d: %d, chain %d", seed, i, got, want)
			}
		}
	}
}

// testLogits returns deterministic pseudo-random logits with ties and non-finite values.
func testLogits(seed uint64, n int) []float32 {
	r := NewSplitMix64(seed)
	out := make([]float32, n)
	for i := range out {
		v := r.Next()
		switch v % 53 {
		case 0:
			out[i] = float32(math.NaN())
		case 1:
			out[i] = float32(math.Inf(-1))
		default:
			out[i] = float32(int64(v>>40)%4096) / 512 // steps of 1/512: ties happen
		}
	}
	return out
}

func TestSamplerIntervals(t *testing.T) {
	params := []SamplerParams{
		{TemperatureMilli: 1000},
		{TemperatureMilli: 700, TopK: 5},
		{TemperatureMilli: 900, TopPMilli: 800},
		{TemperatureMilli: 1000, TopK: 40, TopPMilli: 950},
		{TemperatureMilli: 50},
		{TemperatureMilli: MaxTemperatureMilli, TopK: 3},
	}
	for pi, p := range params {
		const seed = 777
		s, plain := NewSampler(p, seed), NewSampler(p, seed)
		for i := range 300 {
			logits := testLogits(uint64(pi*1000+i), 200)
			id, lo, hi, err := s.SampleInterval(logits)
			if err != nil {
				t.Fatal(err)
			}
			if want, _ := plain.Sample(logits); id != want {
				t.Fatalf("params %+v draw %d: SampleInterval chose %d, Sample %d", p, i, id, want)
			}
			u := tasktypes.SamplerDraw(seed, i)
			if lo > u || u >= hi || hi > verifytypes.Q32 {
				t.Fatalf("params %+v draw %d: %d not in [%d, %d)", p, i, u, lo, hi)
			}
			ilo, ihi, err := NewSampler(p, 0).Interval(logits, id)
			if err != nil || ilo != lo || ihi != hi {
				t.Fatalf("Interval = [%d, %d) %v, SampleInterval [%d, %d)", ilo, ihi, err, lo, hi)
			}
			checkTiling(t, p, logits)
		}
	}
}

// checkTiling checks that the kept tokens' intervals cover [0, 2^32) in candidate order,
// overlapping by at most the rounding, and that dropped tokens get [2^32, 2^32).
func checkTiling(t *testing.T, p SamplerParams, logits []float32) {
	t.Helper()
	s := NewSampler(p, 0)
	cands, _, err := s.kept(logits)
	if err != nil {
		t.Fatal(err)
	}
	kept := map[int]bool{}
	order := make([]int, len(cands))
	for i, c := range cands {
		kept[int(c.id)] = true
		order[i] = int(c.id)
	}
	var prevHi uint64
	for i, id := range order {
		lo, hi, err := s.Interval(logits, id)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 && lo != 0 || i > 0 && (lo > prevHi || prevHi-lo > 1) || lo >= hi {
			t.Fatalf("candidate %d (token %d): [%d, %d) after hi %d", i, id, lo, hi, prevHi)
		}
		prevHi = hi
	}
	if prevHi != verifytypes.Q32 {
		t.Fatalf("last interval ends at %d, want 2^32", prevHi)
	}
	for id := range logits {
		if kept[id] {
			continue
		}
		if lo, hi, _ := s.Interval(logits, id); lo != verifytypes.Q32 || hi != verifytypes.Q32 {
			t.Fatalf("dropped token %d: [%d, %d), want [2^32, 2^32)", id, lo, hi)
		}
	}
}

func TestSamplerIntervalGreedyRefused(t *testing.T) {
	if _, _, err := NewSampler(SamplerParams{}, 0).Interval([]float32{1, 2}, 1); err == nil {
		t.Fatal("greedy settings have no intervals")
	}
	if !slices.Equal(draws(t, SamplerParams{TemperatureMilli: 1000}, 42, []float32{1.25, -0.5, 3, 2.75, 0, 3, -2, 1}, 12), goldenDraws) {
		t.Fatal("golden draws changed")
	}
}
