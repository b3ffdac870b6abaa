package types_test

import (
	"testing"

	tasktypes "github.com/sovra-network/sovra/x/task/types"
	"github.com/sovra-network/sovra/x/verify/types"
)

var greedy = tasktypes.Sampling{}

func withChallenge(t types.Trace, base int32) types.Trace {
	t.Challenge = make([]int32, t.Len())
	for i := range t.Challenge {
		t.Challenge[i] = base - int32(i*53%4000)
	}
	return t
}

// nudged is an honest engine on other hardware: a few units off everywhere.
func nudged(t types.Trace, d int32) types.Trace {
	o := types.Trace{Chosen: append([]int32(nil), t.Chosen...), Top: append([]int32(nil), t.Top...), Challenge: append([]int32(nil), t.Challenge...)}
	for i := range o.Chosen {
		o.Chosen[i] += d
		o.Top[i] -= d
	}
	for i := range o.Challenge {
		o.Challenge[i] += d
	}
	return o
}

// griefed reports every claimed token 3 nats below the top.
func griefed(t types.Trace) types.Trace {
	o := nudged(t, 0)
	for i := range o.Chosen {
		o.Chosen[i] = o.Top[i] - 3*types.TraceScale
	}
	return o
}

var hash = []byte("output hash of the claimed tokens")

func party(t types.Trace, round uint32) types.Party {
	return types.Party{Revealed: true, Hash: hash, Trace: t, Round: round}
}

func TestJudge(t *testing.T) {
	model := greedyTrace(20, -10)
	r1 := withChallenge(model, -3000)
	r2 := withChallenge(model, -7000) // round 2's challenge tokens differ
	prov := party(model, 0)
	honest1 := party(nudged(r1, 3), 1)
	honest2a, honest2b, honest2c := party(nudged(r2, 2), 2), party(nudged(r2, -2), 2), party(nudged(r2, 1), 2)
	// a round-2 copier: the provider's revealed trace, guessed challenge values
	copier := party(withChallenge(model, -8*types.TraceScale), 2)
	silent := types.Party{Round: 2}

	for _, tc := range []struct {
		name      string
		provider  types.Party
		verifiers []types.Party
		want      types.Outcome
		paid      []bool
	}{
		{"honest verifiers on other hardware confirm", prov, []types.Party{honest1, honest2a, honest2b}, types.OutcomePass, []bool{true, true, true}},
		{"griefer outvoted", prov, []types.Party{party(griefed(r1), 1), honest2a, honest2b, honest2c}, types.OutcomePass, []bool{false, true, true, true}},
		{"copier is not credible", prov, []types.Party{party(griefed(r1), 1), copier, honest2a, honest2b}, types.OutcomePass, []bool{false, false, true, true}},
		{"substitute convicted", party(greedyTrace(20, 200), 0), []types.Party{honest1, honest2a, honest2b, honest2c}, types.OutcomeFail, []bool{true, true, true, true}},
		{
			"copier siding with a substitute is not credible", party(greedyTrace(20, 200), 0),
			[]types.Party{honest1, party(withChallenge(greedyTrace(20, 200), -8*types.TraceScale), 2), honest2a, honest2b},
			types.OutcomeFail,
			[]bool{true, false, true, true},
		},
		{
			"a copier of the griefer confirms nobody", prov,
			[]types.Party{party(griefed(r1), 1), party(withChallenge(griefed(r1), -8*types.TraceScale), 2), honest2a, honest2b},
			types.OutcomePass,
			[]bool{false, false, true, true},
		},
		{"silent provider fails", types.Party{}, []types.Party{honest1}, types.OutcomeFail, []bool{true}},
		{"one against one is undecided", prov, []types.Party{party(griefed(r1), 1), silent, silent, silent}, types.OutcomeUndecided, []bool{true, false, false, false}},
		{"nobody revealed is undecided", prov, []types.Party{{Round: 1}}, types.OutcomeUndecided, []bool{false}},
		{"a trace of another length dissents", prov, []types.Party{party(withChallenge(greedyTrace(19, -10), -3000), 1), party(nudged(r2, 1), 2), party(nudged(r2, 2), 2)}, types.OutcomePass, []bool{false, true, true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := types.Judge(tc.provider, tc.verifiers, greedy, tol)
			if j.Outcome != tc.want {
				t.Fatalf("outcome %d (%s), want %d", j.Outcome, j.Reason, tc.want)
			}
			for i := range tc.paid {
				if j.Paid[i] != tc.paid[i] {
					t.Fatalf("paid %v, want %v (%s)", j.Paid, tc.paid, j.Reason)
				}
			}
		})
	}
}

func TestProviderTraceBreakingTheRuleFails(t *testing.T) {
	bad := greedyTrace(5, 0)
	bad.Chosen[2] = bad.Top[2] - 2*types.TraceScale // it admits it did not take the top token
	j := types.Judge(party(bad, 0), []types.Party{party(withChallenge(bad, -100), 1)}, greedy, tol)
	if j.Outcome != types.OutcomeFail {
		t.Fatalf("outcome %d (%s), want a failure", j.Outcome, j.Reason)
	}
}

func TestRoundPasses(t *testing.T) {
	model := greedyTrace(8, -10)
	r1 := withChallenge(model, -3000)
	prov := party(model, 0)
	if !types.RoundPasses(prov, []types.Party{party(nudged(r1, 4), 1)}, 1, greedy, tol) {
		t.Fatal("an honest verifier on other hardware does not pass round 1")
	}
	if types.RoundPasses(prov, []types.Party{party(nudged(r1, 4), 1), party(griefed(r1), 1)}, 1, greedy, tol) {
		t.Fatal("round 1 passes with a dissenting verifier")
	}
	if types.RoundPasses(prov, []types.Party{{Round: 1}}, 1, greedy, tol) {
		t.Fatal("round 1 passes with nobody revealed")
	}
	other := party(nudged(r1, 4), 1)
	other.Hash = []byte("other tokens")
	if types.RoundPasses(prov, []types.Party{other}, 1, greedy, tol) {
		t.Fatal("round 1 passes with another output hash (other tokens or token counts)")
	}
	if types.RoundPasses(types.Party{}, []types.Party{party(nudged(r1, 4), 1)}, 1, greedy, tol) {
		t.Fatal("round 1 passes without the provider's reveal")
	}
}
