package inference

import (
	"errors"
	"math"
	"slices"
	"testing"
)

func TestSplitMix64KnownValues(t *testing.T) {
	// reference outputs of Vigna's splitmix64.c for seed 1234567
	want := []uint64{6457827717110365317, 3203168211198807973, 9817491932198370423, 4593380528125082431, 16408922859458223821}
	r := NewSplitMix64(1234567)
	for i, w := range want {
		if got := r.Next(); got != w {
			t.Fatalf("draw %d: got %d want %d", i, got, w)
		}
	}
}

func TestArgMax(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	for _, tc := range []struct {
		logits []float32
		want   int
	}{
		{[]float32{1, 3, 2}, 1},
		{[]float32{5, 5, 5}, 0},
		{[]float32{-1, 2, 7, 7}, 2},
		{[]float32{nan, -4, nan}, 1},
		{[]float32{nan, nan}, -1},
		{[]float32{}, -1},
		{[]float32{1, inf, inf}, 1},
	} {
		if got := ArgMax(tc.logits); got != tc.want {
			t.Errorf("ArgMax(%v) = %d, want %d", tc.logits, got, tc.want)
		}
	}
}

func TestExp2Tables(t *testing.T) {
	for i := range 256 {
		want := math.Exp2(-float64(i)/256) * (1 << 63)
		if d := math.Abs(float64(exp2Coarse[i])-want) / want; d > 1e-15 {
			t.Fatalf("coarse[%d] off by %g", i, d)
		}
		want = math.Exp2(-float64(i)/65536) * (1 << 63)
		if d := math.Abs(float64(exp2Fine[i])-want) / want; d > 1e-15 {
			t.Fatalf("fine[%d] off by %g", i, d)
		}
	}
}

func TestExpNegQ32(t *testing.T) {
	if got := expNegQ32(0); got != 1<<32 {
		t.Fatalf("exp(0) = %d, want 2^32", got)
	}
	prev := uint64(math.MaxUint64)
	for x := uint64(0); x < expCutoffQ+1000; x += 997 {
		got := expNegQ32(x)
		if got > prev {
			t.Fatalf("not monotone at x=%d: %d > %d", x, got, prev)
		}
		prev = got
		want := math.Exp(-float64(x)/65536) * (1 << 32)
		if math.Abs(float64(got)-want) > want*1e-4+1 {
			t.Fatalf("expNegQ32(%d) = %d, want about %.1f", x, got, want)
		}
	}
	if expNegQ32(expCutoffQ) != 0 || expNegQ32(math.MaxUint64/(1<<33)) != 0 {
		t.Fatal("weights beyond the cutoff must be zero")
	}
}

func TestQuantizeLogit(t *testing.T) {
	for _, tc := range []struct {
		l    float32
		q    int64
		keep bool
	}{
		{0, 0, true},
		{1.5, 98304, true},
		{-0.25, -16384, true},
		{float32(math.Inf(1)), logitClamp << logitQBits, true},
		{3e7, logitClamp << logitQBits, true},
		{-3e7, -logitClamp << logitQBits, true},
		{float32(math.Inf(-1)), 0, false},
		{float32(math.NaN()), 0, false},
	} {
		q, ok := quantizeLogit(tc.l)
		if q != tc.q || ok != tc.keep {
			t.Errorf("quantize(%v) = %d,%v want %d,%v", tc.l, q, ok, tc.q, tc.keep)
		}
	}
}

func draws(t *testing.T, p SamplerParams, seed uint64, logits []float32, n int) []int {
	t.Helper()
	s := NewSampler(p, seed)
	out := make([]int, n)
	for i := range out {
		id, err := s.Sample(logits)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = id
	}
	return out
}

func counts(ids []int, n int) []int {
	c := make([]int, n)
	for _, id := range ids {
		c[id]++
	}
	return c
}

func TestSamplerGreedyIgnoresSeedAndFilters(t *testing.T) {
	logits := []float32{0.5, 2, 2, -1}
	for _, seed := range []uint64{0, 1, 99} {
		got := draws(t, SamplerParams{TopK: 3, TopPMilli: 500}, seed, logits, 5)
		if !slices.Equal(got, []int{1, 1, 1, 1, 1}) {
			t.Fatalf("greedy seed %d: %v", seed, got)
		}
	}
}

func TestSamplerDeterministicAndSeeded(t *testing.T) {
	logits := make([]float32, 50)
	for i := range logits {
		logits[i] = float32(i%7) * 0.3
	}
	p := SamplerParams{TemperatureMilli: 800, TopK: 40, TopPMilli: 950}
	a, b := draws(t, p, 7, logits, 500), draws(t, p, 7, logits, 500)
	if !slices.Equal(a, b) {
		t.Fatal("same seed gave different draws")
	}
	if c := draws(t, p, 8, logits, 500); slices.Equal(a, c) {
		t.Fatal("different seeds gave the same 500 draws")
	}
}

// TestSamplerGolden pins the sampling rule: a change here breaks agreement between workers.
func TestSamplerGolden(t *testing.T) {
	logits := []float32{1.25, -0.5, 3, 2.75, 0, 3, -2, 1}
	got := draws(t, SamplerParams{TemperatureMilli: 1000}, 42, logits, 12)
	want := goldenDraws
	if !slices.Equal(got, want) {
		t.Fatalf("golden draws changed: got %v want %v", got, want)
	}
}

var goldenDraws = []int{3, 2, 2, 5, 2, 3, 2, 3, 5, 5, 2, 5}

func TestSamplerDistribution(t *testing.T) {
	// p(1)/p(0) = 3 at temperature 1.0
	logits := []float32{0, float32(math.Log(3))}
	c := counts(draws(t, SamplerParams{TemperatureMilli: 1000}, 1, logits, 40000), 2)
	if f := float64(c[1]) / 40000; math.Abs(f-0.75) > 0.01 {
		t.Fatalf("frequency of token 1 = %.4f, want 0.75", f)
	}
	// temperature 0.5 squares the ratio: 9:1
	c = counts(draws(t, SamplerParams{TemperatureMilli: 500}, 2, logits, 40000), 2)
	if f := float64(c[1]) / 40000; math.Abs(f-0.9) > 0.01 {
		t.Fatalf("frequency at T=0.5 = %.4f, want 0.9", f)
	}
	// a very high temperature flattens the distribution
	c = counts(draws(t, SamplerParams{TemperatureMilli: MaxTemperatureMilli}, 3, logits, 40000), 2)
	if f := float64(c[1]) / 40000; math.Abs(f-0.5) > 0.015 {
		t.Fatalf("frequency at T=100 = %.4f, want about 0.5", f)
	}
}

func TestSamplerTopK(t *testing.T) {
	logits := []float32{1, 1, 1, 1, 0.5}
	c := counts(draws(t, SamplerParams{TemperatureMilli: 1000, TopK: 2}, 5, logits, 2000), 5)
	if c[2]+c[3]+c[4] != 0 || c[0] == 0 || c[1] == 0 {
		t.Fatalf("top-k 2 with ties must keep ids 0 and 1 only: %v", c)
	}
	c = counts(draws(t, SamplerParams{TemperatureMilli: 1000, TopK: 1}, 5, []float32{0, 2, 2}, 200), 3)
	if c[1] != 200 {
		t.Fatalf("top-k 1 must be argmax: %v", c)
	}
}

func TestSamplerTopP(t *testing.T) {
	ln := func(x float64) float32 { return float32(math.Log(x)) }
	// probabilities 0.5, 0.25, 0.125, 0.125
	logits := []float32{ln(0.125), ln(0.5), ln(0.125), ln(0.25)}
	c := counts(draws(t, SamplerParams{TemperatureMilli: 1000, TopPMilli: 700}, 9, logits, 4000), 4)
	if c[0]+c[2] != 0 || c[1] == 0 || c[3] == 0 {
		t.Fatalf("top-p 0.7 must keep ids 1 and 3 only: %v", c)
	}
	if f := float64(c[1]) / 4000; math.Abs(f-2.0/3) > 0.03 {
		t.Fatalf("renormalized p(1) = %.3f, want 0.667", f)
	}
	c = counts(draws(t, SamplerParams{TemperatureMilli: 1000, TopPMilli: 1}, 9, logits, 300), 4)
	if c[1] != 300 {
		t.Fatalf("top-p 0.001 must be argmax: %v", c)
	}
	c = counts(draws(t, SamplerParams{TemperatureMilli: 1000, TopPMilli: 1000}, 9, logits, 4000), 4)
	if c[0] == 0 || c[2] == 0 {
		t.Fatalf("top-p 1.0 must keep everything: %v", c)
	}
}

func TestSamplerSkipsNonFinite(t *testing.T) {
	logits := []float32{float32(math.NaN()), float32(math.Inf(-1)), 0, 0}
	c := counts(draws(t, SamplerParams{TemperatureMilli: 1000}, 4, logits, 500), 4)
	if c[0]+c[1] != 0 {
		t.Fatalf("NaN and -Inf must never be drawn: %v", c)
	}
	s := NewSampler(SamplerParams{TemperatureMilli: 1000}, 1)
	if _, err := s.Sample([]float32{float32(math.NaN())}); err == nil {
		t.Fatal("all-NaN logits must fail")
	}
	if _, err := s.Sample(make([]float32, MaxSamplerVocab+1)); !errors.Is(err, ErrUnsupportedVocab) {
		t.Fatalf("huge vocab: %v", err)
	}
}

func TestRequestValidate(t *testing.T) {
	ok := Request{Prompt: "x", MaxTokens: 1, TemperatureMilli: MaxTemperatureMilli, TopPMilli: 1000}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, r := range []Request{
		{MaxTokens: 0},
		{MaxTokens: -3},
		{MaxTokens: 1, TemperatureMilli: MaxTemperatureMilli + 1},
		{MaxTokens: 1, TopPMilli: 1001},
	} {
		if err := r.Validate(); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("%+v: got %v, want ErrInvalidRequest", r, err)
		}
	}
}
