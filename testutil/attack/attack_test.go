package attack_test

import (
	"math"
	"reflect"
	"testing"

	"github.com/sovra-network/sovra/testutil/attack"
	"github.com/sovra-network/sovra/worker/inference"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

// The cheat selection is a pure function of (c, seed, job id): the same on every call,
// different for another seed, never for c = 0 and always for c = 1.
func TestCheatsIsDeterministic(t *testing.T) {
	const n = 20000
	for _, c := range []float64{0.05, 0.3, 0.5, 0.9} {
		first := make([]bool, n)
		count := 0
		for id := uint64(1); id <= n; id++ {
			first[id-1] = attack.Cheats(c, 7, id)
			if first[id-1] {
				count++
			}
		}
		for id := uint64(1); id <= n; id++ {
			if attack.Cheats(c, 7, id) != first[id-1] {
				t.Fatalf("c=%v: job %d selected differently on a second call", c, id)
			}
		}
		// The fraction is c within 5 standard deviations of a binomial(n, c).
		got := float64(count) / n
		if sd := math.Sqrt(c * (1 - c) / n); math.Abs(got-c) > 5*sd {
			t.Errorf("c=%v: %d of %d jobs selected (%.4f), want %.4f ± %.4f", c, count, n, got, c, 5*sd)
		}
		// Another seed picks other jobs: the two selections agree on about c² + (1-c)²
		// of the ids, far from all of them.
		same := 0
		for id := uint64(1); id <= n; id++ {
			if attack.Cheats(c, 8, id) == first[id-1] {
				same++
			}
		}
		if want := c*c + (1-c)*(1-c); math.Abs(float64(same)/n-want) > 0.02 {
			t.Errorf("c=%v: seeds 7 and 8 agree on %d of %d jobs, want about %.3f", c, same, n, want)
		}
	}
	// A larger fraction with the same seed selects a superset (one threshold on one hash).
	for id := uint64(1); id <= 5000; id++ {
		if attack.Cheats(0.2, 3, id) && !attack.Cheats(0.6, 3, id) {
			t.Fatalf("job %d: selected at c=0.2 but not at c=0.6", id)
		}
	}
	for id := uint64(0); id < 1000; id++ {
		if attack.Cheats(0, 1, id) || attack.Cheats(-1, 1, id) || attack.Cheats(math.NaN(), 1, id) {
			t.Fatalf("job %d selected with c <= 0", id)
		}
		if !attack.Cheats(1, 1, id) || !attack.Cheats(2, 1, id) {
			t.Fatalf("job %d not selected with c >= 1", id)
		}
	}
}

// CheatOnFraction tampers with exactly the jobs Cheats selects, and a tampered result
// has another output hash.
func TestCheatOnFraction(t *testing.T) {
	tamper := attack.CheatOnFraction(0.3, 42)
	honest := inference.Result{
		PromptTokens: []uint32{1, 9038, 2501, 263},
		OutputTokens: []uint32{727, 471, 263, 931, 310, 263, 1781, 29889, 13, 450, 338, 263},
		Text:         " there was a time of a little. The is a",
		Stop:         inference.StopMaxTokens,
	}
	model := make([]byte, 32)
	tampered := 0
	for id := uint64(1); id <= 200; id++ {
		job := tasktypes.Job{Id: id}
		out := tamper(job, honest)
		want := tasktypes.OutputHash(model, id, job.Sampling, tasktypes.Claimed{PromptTokens: honest.PromptTokens, OutputTokens: honest.OutputTokens})
		got := tasktypes.OutputHash(model, id, job.Sampling, tasktypes.Claimed{PromptTokens: out.PromptTokens, OutputTokens: out.OutputTokens})
		if attack.Cheats(0.3, 42, id) {
			tampered++
			if got == want {
				t.Fatalf("job %d: tampered result has the honest output hash", id)
			}
			if !reflect.DeepEqual(out.PromptTokens, honest.PromptTokens) {
				t.Fatalf("job %d: tampering changed the prompt tokens", id)
			}
			if len(out.OutputTokens) != len(honest.OutputTokens)/2 {
				t.Fatalf("job %d: %d output tokens, want the first half (%d)", id, len(out.OutputTokens), len(honest.OutputTokens)/2)
			}
		} else if !reflect.DeepEqual(out, honest) {
			t.Fatalf("job %d: not selected but changed", id)
		}
	}
	if tampered == 0 || tampered == 200 {
		t.Fatalf("%d of 200 jobs tampered", tampered)
	}
	// The caller's result is never modified.
	if len(honest.OutputTokens) != 12 || honest.OutputTokens[0] != 727 {
		t.Fatal("tampering modified its input")
	}
}

// Wrong changes the output token ids of every result, short ones included.
func TestWrongAlwaysDiffers(t *testing.T) {
	for _, out := range []inference.Result{
		{PromptTokens: []uint32{1, 5}, OutputTokens: []uint32{7, 8, 9}, Text: "abc"},
		{PromptTokens: []uint32{1, 5}, OutputTokens: []uint32{7, 8}, Text: "ab"},
		{PromptTokens: []uint32{1, 5}, OutputTokens: []uint32{1}, Text: "a"},
		{PromptTokens: []uint32{5, 5}, OutputTokens: []uint32{5}, Text: "a"},
		{PromptTokens: []uint32{1}, OutputTokens: []uint32{1}, Text: "a"},
		{PromptTokens: nil, OutputTokens: []uint32{1}},
		{PromptTokens: []uint32{1, 5}, OutputTokens: nil},
		{},
	} {
		w := attack.Wrong(out)
		if reflect.DeepEqual(w.OutputTokens, out.OutputTokens) {
			t.Errorf("Wrong(%v) kept the output tokens %v", out.OutputTokens, w.OutputTokens)
		}
		if !reflect.DeepEqual(w.PromptTokens, out.PromptTokens) && len(out.PromptTokens) > 0 {
			t.Errorf("Wrong changed the prompt tokens %v to %v", out.PromptTokens, w.PromptTokens)
		}
	}
}

// A guessed trace has the shape a verifier's reveal needs (so the chain accepts it and
// judges it), and the griefing trace breaks the greedy rule at every position.
func TestVerifierTraces(t *testing.T) {
	g := attack.GuessedTrace(5, tasktypes.Sampling{})
	if err := g.CheckShape(5, false, true); err != nil {
		t.Fatal(err)
	}
	s := attack.GuessedTrace(5, tasktypes.Sampling{TemperatureMilli: 700})
	if err := s.CheckShape(5, true, true); err != nil {
		t.Fatal(err)
	}
	honest := verifytypes.Trace{Chosen: []int32{-10, -20}, Top: []int32{-10, -20}, Challenge: []int32{-3000, -4000}}
	tol := verifytypes.DefaultParams().Tolerances()
	if i := verifytypes.FollowsSampling(attack.GriefTrace(honest), tasktypes.Sampling{}, tol); i != 0 {
		t.Fatalf("the griefing trace follows the greedy rule up to position %d", i)
	}
	if verifytypes.FollowsSampling(honest, tasktypes.Sampling{}, tol) != -1 {
		t.Fatal("GriefTrace modified its input")
	}
}
