package inference

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/hybridgroup/yzma/pkg/llama"

	"github.com/sovra-network/sovra/internal/gguf"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

// The rescoring tests run on the library of llama_test.go (skipping without it).

// sameProfile bounds re-scoring against generation on one library: log-probabilities within
// one rounding unit. The x64 baseline gives identical traces (the tests log a max |Δ| of 0);
// SIMD variants compute a batch with other kernels than one token, which moves interval
// ends a little, and a lot when it flips a token across the top-k/top-p cut (the kept
// total changes): TestCrossVariantCalibration saw up to 2.4e8 on f32 models.
var sameProfile = verifytypes.Tolerances{Logprob: 1, MeanMilli: 1000, Margin: 1, Interval: 1 << 28}

func claimedOf(r Result) tasktypes.Claimed {
	return tasktypes.Claimed{PromptTokens: r.PromptTokens, OutputTokens: r.OutputTokens, StopToken: r.StopToken}
}

func samplingOf(req Request) tasktypes.Sampling {
	return tasktypes.Sampling{Seed: req.Seed, TemperatureMilli: req.TemperatureMilli, TopK: req.TopK, TopPMilli: req.TopPMilli}
}

func rescore(t testing.TB, r Rescorer, req RescoreRequest) RescoreResult {
	t.Helper()
	res, err := r.Rescore(context.Background(), req)
	if err != nil {
		t.Fatalf("Rescore: %v", err)
	}
	return res
}

// maxTraceDiff returns the largest |Δ| over Chosen, Top and Challenge, and over Lo/Hi.
func maxTraceDiff(a, b verifytypes.Trace) (lp int64, interval uint64) {
	for _, f := range [][2][]int32{{a.Chosen, b.Chosen}, {a.Top, b.Top}, {a.Challenge, b.Challenge}} {
		for i := range min(len(f[0]), len(f[1])) {
			lp = max(lp, int64(absDiff(int64(f[0][i]), int64(f[1][i]))))
		}
	}
	for _, f := range [][2][]uint64{{a.Lo, b.Lo}, {a.Hi, b.Hi}} {
		for i := range min(len(f[0]), len(f[1])) {
			interval = max(interval, absDiffU(f[0][i], f[1][i]))
		}
	}
	return lp, interval
}

func absDiff(x, y int64) uint64 {
	if x > y {
		return uint64(x - y)
	}
	return uint64(y - x)
}

func absDiffU(x, y uint64) uint64 {
	if x > y {
		return x - y
	}
	return y - x
}

// checkHonest checks a generation's own trace and its re-scoring, returning the re-scored trace.
func checkHonest(t *testing.T, l *Llama, req Request, gen Result) verifytypes.Trace {
	t.Helper()
	c := claimedOf(gen)
	s := samplingOf(req)
	sampled := req.TemperatureMilli > 0
	if err := gen.Trace.CheckShape(c.Positions(), sampled, false); err != nil {
		t.Fatalf("generation trace: %v", err)
	}
	if (gen.Stop == StopEOS) != (gen.StopToken != tasktypes.NoStopToken) {
		t.Fatalf("stop %s with stop token %d", gen.Stop, gen.StopToken)
	}
	if i := verifytypes.FollowsSampling(gen.Trace, s, verifytypes.Tolerances{}); i >= 0 {
		t.Fatalf("generation trace breaks the sampling rule at %d with zero tolerances", i)
	}
	rs := rescore(t, l, RescoreRequest{Prompt: req.Prompt, Claimed: c, Sampling: s})
	if !slices.Equal(rs.PromptTokens, gen.PromptTokens) || rs.StopMismatch != -1 {
		t.Fatalf("rescore: prompt tokens %v vs %v, stop mismatch %d", rs.PromptTokens, gen.PromptTokens, rs.StopMismatch)
	}
	if err := rs.Trace.CheckShape(c.Positions(), sampled, false); err != nil {
		t.Fatalf("rescored trace: %v", err)
	}
	if !verifytypes.Close(gen.Trace, rs.Trace, sameProfile, false) {
		lp, iv := maxTraceDiff(gen.Trace, rs.Trace)
		t.Fatalf("rescored trace not close to the generation's: max |Δ| %d units, intervals %d", lp, iv)
	}
	if i := verifytypes.FollowsSampling(rs.Trace, s, sameProfile); i >= 0 {
		t.Fatalf("rescored trace breaks the sampling rule at %d", i)
	}
	return rs.Trace
}

var rescorePrompts = []string{
	testPrompt,
	"Once upon a time",
	"Sovra sells verifiable inference: 1, 2, 3,",
	"a",
}

func TestRescoreHonestGreedy(t *testing.T) {
	l := newTestLlama(t, 512)
	var worstLP int64
	for _, p := range rescorePrompts {
		req := Request{Prompt: p, MaxTokens: 96}
		gen := generate(t, l, req)
		rs := checkHonest(t, l, req, gen)
		lp, _ := maxTraceDiff(gen.Trace, rs)
		worstLP = max(worstLP, lp)
	}
	t.Logf("greedy, same library: max |Δ| generation vs rescoring = %d units (1/1024 nat)", worstLP)
}

func TestRescoreHonestSampled(t *testing.T) {
	l := newTestLlama(t, 512)
	var worstLP int64
	var worstIv uint64
	eos := 0
	for seed := range uint64(24) {
		req := Request{
			Prompt: rescorePrompts[seed%4], MaxTokens: 96, Seed: seed, TemperatureMilli: 700 + uint32(seed%4)*100,
			TopK: []uint32{0, 40}[seed%2], TopPMilli: []uint32{0, 950, 1000}[seed%3],
		}
		gen := generate(t, l, req)
		if gen.Stop == StopEOS {
			eos++
		}
		// every position's draw lies in the claimed token's interval, stop token included
		for i := range gen.Trace.Lo {
			if u := tasktypes.SamplerDraw(req.Seed, i); gen.Trace.Lo[i] > u || u >= gen.Trace.Hi[i] {
				t.Fatalf("seed %d position %d: draw %d not in [%d, %d)", seed, i, u, gen.Trace.Lo[i], gen.Trace.Hi[i])
			}
		}
		rs := checkHonest(t, l, req, gen)
		lp, iv := maxTraceDiff(gen.Trace, rs)
		worstLP, worstIv = max(worstLP, lp), max(worstIv, iv)
	}
	t.Logf("sampled, same library: max |Δ| %d units, intervals %d (Q32); %d of 24 outputs ended on a stop token", worstLP, worstIv, eos)
}

// bestOther returns the most likely token other than not after prompt + toks (test helper):
// the second-best when not is the argmax.
func (l *Llama) bestOther(prompt string, toks []uint32, not uint32) (uint32, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	mem, err := llama.GetMemory(l.lctx)
	if err != nil {
		return 0, err
	}
	if err := llama.MemoryClear(mem, true); err != nil {
		return 0, err
	}
	batch := l.tokenize(prompt)
	for _, t := range toks {
		batch = append(batch, llama.Token(t))
	}
	if err := l.decode(batch); err != nil {
		return 0, err
	}
	logits, err := llama.GetLogitsIth(l.lctx, -1, l.nVocab)
	if err != nil || logits == nil {
		return 0, fmt.Errorf("no logits: %w", err)
	}
	best := -1
	for i, v := range logits {
		if uint32(i) != not && v == v && (best < 0 || v > logits[best]) {
			best = i
		}
	}
	return uint32(best), nil
}

func TestRescoreDetectsSwappedToken(t *testing.T) {
	l := newTestLlama(t, 512)
	tol := verifytypes.Tolerances{Logprob: 8, MeanMilli: 2000, Margin: 8, Interval: 1 << 16}
	for _, req := range []Request{
		{Prompt: testPrompt, MaxTokens: 64},
		{Prompt: testPrompt, MaxTokens: 64, Seed: 5, TemperatureMilli: 900, TopK: 40},
	} {
		gen := generate(t, l, req)
		c := claimedOf(gen)
		mid := len(c.OutputTokens) / 2
		// the most likely other token (the second-best for greedy): for sampling, any other
		// token's interval misses the draw
		swap, err := l.bestOther(req.Prompt, c.OutputTokens[:mid], c.OutputTokens[mid])
		if err != nil {
			t.Fatal(err)
		}
		c.OutputTokens = slices.Clone(c.OutputTokens)
		c.OutputTokens[mid] = swap
		rs := rescore(t, l, RescoreRequest{Prompt: req.Prompt, Claimed: c, Sampling: samplingOf(req)})
		margin := rs.Trace.Top[mid] - rs.Trace.Chosen[mid]
		got := verifytypes.FollowsSampling(rs.Trace, samplingOf(req), tol)
		if req.TemperatureMilli == 0 && margin <= int32(tol.Margin) {
			t.Logf("greedy swap at %d trails the top by only %d units: not detectable at this margin", mid, margin)
			continue
		}
		if got != mid {
			t.Fatalf("temperature %d: swap at %d (margin %d units), FollowsSampling reports %d",
				req.TemperatureMilli, mid, margin, got)
		}
		t.Logf("temperature %d: swap at %d of %d detected (the swapped-in token trails the top by %d units)", req.TemperatureMilli, mid, len(c.OutputTokens), margin)
	}
}

func TestRescoreChallengeAndStop(t *testing.T) {
	l := newTestLlama(t, 256)
	req := Request{Prompt: testPrompt, MaxTokens: 24}
	gen := generate(t, l, req)
	c := claimedOf(gen)
	seed := []byte("round seed")
	a := rescore(t, l, RescoreRequest{Prompt: req.Prompt, Claimed: c, ChallengeSeed: seed})
	b := rescore(t, l, RescoreRequest{Prompt: req.Prompt, Claimed: c, ChallengeSeed: seed})
	if err := a.Trace.CheckShape(c.Positions(), false, true); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two re-scorings differ")
	}
	plain := rescore(t, l, RescoreRequest{Prompt: req.Prompt, Claimed: c})
	if plain.Trace.Challenge != nil || !slices.Equal(plain.Trace.Chosen, a.Trace.Chosen) || !slices.Equal(plain.Trace.Top, a.Trace.Top) {
		t.Fatal("a challenge seed must only add challenge values")
	}
	other := rescore(t, l, RescoreRequest{Prompt: req.Prompt, Claimed: c, ChallengeSeed: []byte("other")})
	if slices.Equal(other.Trace.Challenge, a.Trace.Challenge) {
		t.Fatal("another round seed gave the same challenge values")
	}
	for i, v := range a.Trace.Challenge {
		if v > a.Trace.Top[i] {
			t.Fatalf("challenge value %d above the top log-probability %d at %d", v, a.Trace.Top[i], i)
		}
	}

	// a claimed stop token that is not an end-of-generation token, and an end-of-generation
	// token inside the output, are reported
	bad := c
	bad.StopToken = c.OutputTokens[0]
	if r := rescore(t, l, RescoreRequest{Prompt: req.Prompt, Claimed: bad}); r.StopMismatch != len(c.OutputTokens) {
		t.Fatalf("non-EOG stop token: mismatch %d, want %d", r.StopMismatch, len(c.OutputTokens))
	}
	bad = tasktypes.Claimed{OutputTokens: []uint32{c.OutputTokens[0], gguf.EOSID, c.OutputTokens[1]}, StopToken: tasktypes.NoStopToken}
	if r := rescore(t, l, RescoreRequest{Prompt: req.Prompt, Claimed: bad}); r.StopMismatch != 1 {
		t.Fatalf("EOS inside the output: mismatch %d, want 1", r.StopMismatch)
	}
	eosOnly := tasktypes.Claimed{StopToken: gguf.EOSID}
	if r := rescore(t, l, RescoreRequest{Prompt: req.Prompt, Claimed: eosOnly}); r.Trace.Len() != 1 || r.StopMismatch != -1 {
		t.Fatalf("a claim of only a stop token has %d positions, mismatch %d", r.Trace.Len(), r.StopMismatch)
	}
}

// TestGenerateStopToken finds a sampled generation that ends on the stop token and checks
// that the stop token's position is in both traces.
func TestGenerateStopToken(t *testing.T) {
	l := newTestLlama(t, 512)
	for seed := range uint64(200) {
		req := Request{Prompt: "a", MaxTokens: 128, Seed: seed, TemperatureMilli: 1000}
		gen := generate(t, l, req)
		if gen.Stop != StopEOS {
			continue
		}
		if gen.StopToken != gguf.EOSID || gen.Trace.Len() != len(gen.OutputTokens)+1 {
			t.Fatalf("stop token %d, trace %d positions for %d output tokens", gen.StopToken, gen.Trace.Len(), len(gen.OutputTokens))
		}
		checkHonest(t, l, req, gen)
		t.Logf("seed %d ended on stop token %d after %d tokens", seed, gen.StopToken, len(gen.OutputTokens))
		return
	}
	t.Fatal("no sampled generation of 200 ended on the stop token")
}

func TestRescoreRejectsBadInput(t *testing.T) {
	l := newTestLlama(t, 64)
	ctx := context.Background()
	req := Request{Prompt: testPrompt, MaxTokens: 16}
	gen := generate(t, l, req)
	c := claimedOf(gen)
	want := rescore(t, l, RescoreRequest{Prompt: req.Prompt, Claimed: c})

	outside := c
	outside.OutputTokens = slices.Clone(c.OutputTokens)
	outside.OutputTokens[3] = uint32(l.nVocab)
	badStop := c
	badStop.StopToken = uint32(l.nVocab) + 5
	long := c
	long.OutputTokens = slices.Repeat(c.OutputTokens, 4)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		req  RescoreRequest
		want error
	}{
		{"empty output", ctx, RescoreRequest{Prompt: testPrompt, Claimed: tasktypes.Claimed{StopToken: tasktypes.NoStopToken}}, ErrInvalidRequest},
		{"token outside vocab", ctx, RescoreRequest{Prompt: testPrompt, Claimed: outside}, ErrInvalidRequest},
		{"stop token outside vocab", ctx, RescoreRequest{Prompt: testPrompt, Claimed: badStop}, ErrInvalidRequest},
		{"bad temperature", ctx, RescoreRequest{Prompt: testPrompt, Claimed: c, Sampling: tasktypes.Sampling{TemperatureMilli: MaxTemperatureMilli + 1}}, ErrInvalidRequest},
		{"empty prompt", ctx, RescoreRequest{Prompt: "", Claimed: c}, nil},
		{"prompt too long", ctx, RescoreRequest{Prompt: strings.Repeat("many words here ", 64), Claimed: c}, ErrPromptTooLong},
		{"prompt + claimed > context", ctx, RescoreRequest{Prompt: testPrompt, Claimed: long}, ErrContextExceeded},
		{"cancelled", cancelled, RescoreRequest{Prompt: testPrompt, Claimed: c}, context.Canceled},
	} {
		_, err := l.Rescore(tc.ctx, tc.req)
		if tc.want == nil {
			// the BOS token makes an empty prompt non-empty: it is scored like any other
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
	// the backend still works, and gives the same answers, after the refusals
	if again := generate(t, l, req); !slices.Equal(again.OutputTokens, gen.OutputTokens) || !reflect.DeepEqual(again.Trace, gen.Trace) {
		t.Fatal("Generate after refused re-scorings differs")
	}
	if got := rescore(t, l, RescoreRequest{Prompt: req.Prompt, Claimed: c}); !reflect.DeepEqual(got, want) {
		t.Fatal("Rescore after refused re-scorings differs")
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Rescore(ctx, RescoreRequest{Prompt: testPrompt, Claimed: c}); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: got %v", err)
	}
}
