package types_test

import (
	"testing"

	tasktypes "github.com/sovra-network/sovra/x/task/types"
	"github.com/sovra-network/sovra/x/verify/types"
)

var tol = types.Tolerances{Logprob: 64, MeanMilli: 16_000, Margin: 64, Interval: 1 << 23}

func greedyTrace(n int, base int32) types.Trace {
	t := types.Trace{Chosen: make([]int32, n), Top: make([]int32, n)}
	for i := range t.Chosen {
		t.Top[i] = base - int32(i*37%900)
		t.Chosen[i] = t.Top[i]
	}
	return t
}

func TestTraceHashBindsEveryField(t *testing.T) {
	base := types.Trace{Chosen: []int32{-1, -2}, Top: []int32{0, 0}, Lo: []uint64{1, 2}, Hi: []uint64{3, 4}, Challenge: []int32{-9, -8}}
	h := base.Hash()
	for name, mut := range map[string]func(*types.Trace){
		"chosen":    func(t *types.Trace) { t.Chosen = []int32{-1, -3} },
		"top":       func(t *types.Trace) { t.Top = []int32{1, 0} },
		"lo":        func(t *types.Trace) { t.Lo = []uint64{1, 3} },
		"hi":        func(t *types.Trace) { t.Hi = []uint64{3, 5} },
		"challenge": func(t *types.Trace) { t.Challenge = []int32{-9, -7} },
		// moving a value from one field to the next must change the hash (length prefixes)
		"boundary": func(t *types.Trace) { t.Chosen = []int32{-1}; t.Top = []int32{-2, 0, 0} },
	} {
		c := base
		mut(&c)
		if c.Hash() == h {
			t.Errorf("changing %s does not change the trace hash", name)
		}
	}
}

func TestCheckShape(t *testing.T) {
	g := greedyTrace(3, 0)
	if err := g.CheckShape(3, false, false); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		t                 types.Trace
		n                 int
		sampled, verifier bool
	}{
		"short":                   {g, 4, false, false},
		"verifier no challenge":   {g, 3, false, true},
		"sampled no interval":     {g, 3, true, false},
		"greedy with intervals":   {types.Trace{Chosen: g.Chosen, Top: g.Top, Lo: []uint64{0, 0, 0}, Hi: []uint64{1, 1, 1}}, 3, false, false},
		"provider with challenge": {types.Trace{Chosen: g.Chosen, Top: g.Top, Challenge: []int32{0, 0, 0}}, 3, false, false},
		"interval reversed":       {types.Trace{Chosen: g.Chosen, Top: g.Top, Lo: []uint64{2, 0, 0}, Hi: []uint64{1, 1, 1}}, 3, true, false},
		"interval past 2^32":      {types.Trace{Chosen: g.Chosen, Top: g.Top, Lo: []uint64{0, 0, 0}, Hi: []uint64{1, 1, types.Q32 + 1}}, 3, true, false},
	} {
		if err := c.t.CheckShape(c.n, c.sampled, c.verifier); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestValidTraceLength(t *testing.T) {
	job := tasktypes.Job{OutputTokens: 12, MaxOutputTokens: 16}
	if !types.ValidTraceLength(job, 13) || types.ValidTraceLength(job, 12) || types.ValidTraceLength(job, 14) || types.ValidTraceLength(job, 16) {
		t.Fatal("12 of 16 tokens: only 13 positions (the stop token) fit")
	}
	job.OutputTokens = 16
	if !types.ValidTraceLength(job, 16) || !types.ValidTraceLength(job, 17) || types.ValidTraceLength(job, 15) {
		t.Fatal("16 of 16 tokens: 16 (max tokens) or 17 positions fit")
	}
}

func TestFollowsSamplingGreedy(t *testing.T) {
	g := greedyTrace(5, -100)
	if i := types.FollowsSampling(g, tasktypes.Sampling{}, tol); i != -1 {
		t.Fatalf("argmax trace breaks the rule at %d", i)
	}
	g.Chosen[3] = g.Top[3] - int32(tol.Margin) // a near tie within tolerance
	if i := types.FollowsSampling(g, tasktypes.Sampling{}, tol); i != -1 {
		t.Fatalf("a near tie within the margin tolerance breaks the rule at %d", i)
	}
	g.Chosen[3]-- // one unit past it
	if i := types.FollowsSampling(g, tasktypes.Sampling{}, tol); i != 3 {
		t.Fatalf("a claimed token past the margin: position %d, want 3", i)
	}
}

func TestFollowsSamplingSampled(t *testing.T) {
	s := tasktypes.Sampling{Seed: 77, TemperatureMilli: 800}
	n := 4
	tr := greedyTrace(n, 0)
	tr.Lo, tr.Hi = make([]uint64, n), make([]uint64, n)
	for i := 0; i < n; i++ { // intervals around the draws, as an honest sampler gives
		u := tasktypes.SamplerDraw(s.Seed, i)
		tr.Lo[i], tr.Hi[i] = u-u%1000, u-u%1000+1000
	}
	if i := types.FollowsSampling(tr, s, tol); i != -1 {
		t.Fatalf("honest intervals break the rule at %d", i)
	}
	u := tasktypes.SamplerDraw(s.Seed, 2)
	tr.Lo[2], tr.Hi[2] = u+tol.Interval, u+tol.Interval+5 // just within tolerance above
	if i := types.FollowsSampling(tr, s, tol); i != -1 {
		t.Fatalf("an interval within tolerance breaks the rule at %d", i)
	}
	tr.Lo[2], tr.Hi[2] = u+tol.Interval+1, u+tol.Interval+5
	if i := types.FollowsSampling(tr, s, tol); i != 2 {
		t.Fatalf("a draw outside the claimed token's interval: position %d, want 2", i)
	}
}

func TestClose(t *testing.T) {
	a := greedyTrace(10, -50)
	b := greedyTrace(10, -50)
	if !types.Close(a, b, tol, false) {
		t.Fatal("equal traces are not close")
	}
	b.Top[4] += int32(tol.Logprob)
	if !types.Close(a, b, tol, false) {
		t.Fatal("a value at the tolerance is not close")
	}
	b.Top[4]++
	if types.Close(a, b, tol, false) {
		t.Fatal("a value past the tolerance is close")
	}
	// Every value off by 30 units: each within 64, the mean 30 > 16.
	c := greedyTrace(10, -20)
	if types.Close(a, c, tol, false) {
		t.Fatal("a systematic offset above the mean tolerance is close")
	}
	d := greedyTrace(10, -60) // mean 10 ≤ 16
	if !types.Close(a, d, tol, false) {
		t.Fatal("a small systematic offset is not close")
	}
	if types.Close(a, greedyTrace(9, -50), tol, false) {
		t.Fatal("traces of different lengths are close")
	}
	a.Challenge, b.Challenge = make([]int32, 10), make([]int32, 10)
	b.Top[4] = a.Top[4]
	b.Challenge[0] = 500
	if !types.Close(a, b, tol, false) || types.Close(a, b, tol, true) {
		t.Fatal("challenge values must count only when compared within a round")
	}
}

func TestChallengeToken(t *testing.T) {
	seed := []byte("round seed")
	seen := map[uint32]bool{}
	for i := 0; i < 200; i++ {
		c := types.ChallengeToken(seed, i, 1000)
		if c >= 1000 || c != types.ChallengeToken(seed, i, 1000) {
			t.Fatalf("position %d: token %d", i, c)
		}
		seen[c] = true
	}
	if len(seen) < 150 {
		t.Fatalf("only %d distinct challenge tokens of 200", len(seen))
	}
	if types.ChallengeToken(seed, 0, 1<<20) == types.ChallengeToken([]byte("other"), 0, 1<<20) {
		t.Fatal("the challenge does not depend on the seed")
	}
}

func TestOpeningSealsToOneKeyAndDiscloses(t *testing.T) {
	priv, pub, err := types.DeriveAuditKey([]byte("worker signature"))
	if err != nil {
		t.Fatal(err)
	}
	model := make([]byte, 32)
	salt := []byte("0123456789abcdef-salt")
	c := tasktypes.Claimed{PromptTokens: []uint32{1, 2}, OutputTokens: []uint32{5, 6, 7}, StopToken: 2}
	trace := types.Trace{Chosen: []int32{0, 0, 0, 0}, Top: []int32{0, 0, 0, 0}}
	th := trace.Hash()
	job := tasktypes.Job{Id: 9, Commitment: tasktypes.Commitment(tasktypes.OutputHash(model, 9, tasktypes.Sampling{}, c), th, salt)}
	o := types.Opening{Claimed: c, Salt: salt, TraceHash: th[:]}
	if !o.Matches(job, model) {
		t.Fatal("the committed opening does not match its job")
	}
	key := types.DeriveOpeningKey(salt, 9, 1, []byte("verifier"))
	if key == types.DeriveOpeningKey(salt, 9, 2, []byte("verifier")) || key == types.DeriveOpeningKey(salt, 9, 1, []byte("other")) {
		t.Fatal("opening keys do not depend on the round and the verifier")
	}
	sealed, err := types.SealOpening(pub[:], o, key)
	if err != nil {
		t.Fatal(err)
	}
	got, err := types.OpenOpening(sealed, pub, priv)
	if err != nil || got.Positions() != 4 || got.StopToken != 2 || !got.Matches(job, model) {
		t.Fatalf("opened %+v, %v", got, err)
	}
	// The chain opens it with the disclosed key, and with nothing else.
	if d, err := types.OpenDisclosed(sealed, pub[:], key[:]); err != nil || !d.Matches(job, model) {
		t.Fatalf("disclosed opening %+v, %v", d, err)
	}
	other := types.DeriveOpeningKey(salt, 9, 1, []byte("other"))
	if _, err := types.OpenDisclosed(sealed, pub[:], other[:]); err == nil {
		t.Fatal("another key opens the opening")
	}
	p2, pub2, _ := types.DeriveAuditKey([]byte("another worker"))
	if _, err := types.OpenOpening(sealed, pub2, p2); err == nil {
		t.Fatal("another audit key opens the opening")
	}
	// Garbage sealed with the right key decrypts but does not match the commitment.
	bad := o
	bad.OutputTokens = []uint32{5, 6, 8}
	sealedBad, _ := types.SealOpening(pub[:], bad, key)
	if d, err := types.OpenDisclosed(sealedBad, pub[:], key[:]); err != nil || d.Matches(job, model) {
		t.Fatal("a wrong opening matches the commitment")
	}
	if _, err := types.SealOpening(make([]byte, 32), o, key); err == nil {
		t.Fatal("an all-zero audit key is accepted")
	}
	if _, err := types.SealOpening(pub[:31], o, key); err == nil {
		t.Fatal("a 31-byte audit key is accepted")
	}
}

func TestTolerancesForModel(t *testing.T) {
	def := types.DefaultParams().Tolerances()
	if got := def.For(0, 0, 0, 0); got != def {
		t.Fatalf("a model without tolerances: %+v, want the params' %+v", got, def)
	}
	got := def.For(4, 250, 0, 1<<29)
	want := types.Tolerances{Logprob: 4, MeanMilli: 250, Margin: def.Margin, Interval: 1 << 29}
	if got != want {
		t.Fatalf("a model's own tolerances: %+v, want %+v", got, want)
	}
	// A trace 10 units off everywhere passes the defaults and fails a tight model.
	a, b := greedyTrace(8, -5), greedyTrace(8, -15)
	if !types.Close(a, b, def, false) || types.Close(a, b, got, false) {
		t.Fatal("the model's tolerances do not replace the params'")
	}
}
