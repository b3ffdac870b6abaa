package keeper_test

import (
	"fmt"
	"testing"

	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/app"
	"github.com/sovra-network/sovra/testutil/appfixture"
	providertypes "github.com/sovra-network/sovra/x/provider/types"
	rewardstypes "github.com/sovra-network/sovra/x/rewards/types"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	"github.com/sovra-network/sovra/x/verify/types"
)

// Attacks on Verification v2, each played through real blocks with the invariants
// (module accounts, supply, every provider's lock = its open jobs' collateral + its audit
// stakes, open-audit counters) checked after every block. Each test describes the attack
// and asserts that it fails, with the exact money outcome where it matters.

// escalation checks that round 1 just resolved into ESCALATING (no round-2 verifier yet,
// drawn at the end of the next block), runs that block and returns round 2's verifiers.
func (e *env) escalation(id uint64) []types.Verifier {
	e.t.Helper()
	a := e.audit(id)
	if a.Status != types.AUDIT_STATUS_ESCALATING || a.PhaseDeadline != e.f.Height()+1 || len(round(a, 2)) != 0 {
		e.t.Fatalf("after round 1: %s deadline %d with %d round-2 verifiers (height %d), want ESCALATING until the next block (%s)",
			a.Status, a.PhaseDeadline, len(round(a, 2)), e.f.Height(), a.Reason)
	}
	e.f.NextBlock()
	a = e.audit(id)
	r2 := round(a, 2)
	if a.Status != types.AUDIT_STATUS_OPEN || a.Round != 2 || len(r2) != int(e.s.verify.EscalationK) {
		e.t.Fatalf("the block after: %s round %d with %d round-2 verifiers, want round 2's open phase with %d", a.Status, a.Round, len(r2), e.s.verify.EscalationK)
	}
	return r2
}

// earnings is what a party has earned so far from audits and bounties.
type earnings struct{ audits, bounties sdkmath.Int }

func (e *env) earned(p *party) earnings {
	return earnings{e.pending(p.op.Address, rewardstypes.SourceAudits), e.pending(p.op.Address, rewardstypes.SourceBounties)}
}

// checkPaid checks that a verifier kept its bond and earned exactly fee from audits and
// bounty in bounties since before.
func (e *env) checkPaid(p *party, before earnings, fee int64, bounty sdkmath.Int) {
	e.t.Helper()
	now := e.earned(p)
	vp := e.provider(p.name)
	if !vp.Bond.Equal(coin(p.spec.bond)) || !vp.Locked.IsZero() || vp.OpenAudits != 0 || vp.AuditsPassed != 1 {
		e.t.Fatalf("honest verifier %s: %+v", p.name, vp)
	}
	if got := now.audits.Sub(before.audits); !got.Equal(sdkmath.NewInt(fee)) {
		e.t.Fatalf("honest verifier %s earned %s from audits, want %d", p.name, got, fee)
	}
	if got := now.bounties.Sub(before.bounties); !got.Equal(bounty) {
		e.t.Fatalf("honest verifier %s earned a bounty of %s, want %s", p.name, got, bounty)
	}
}

// checkSlashed checks that a verifier lost exactly its stake, earned nothing since before,
// is not jailed and counts one failed (or, silent, missed) audit.
func (e *env) checkSlashed(p *party, before earnings, missed bool) {
	e.t.Helper()
	vp := e.provider(p.name)
	if !vp.Bond.Equal(coin(p.spec.bond-stakeOf(p))) || !vp.Locked.IsZero() || vp.OpenAudits != 0 || vp.Status != providertypes.PROVIDER_STATUS_ACTIVE {
		e.t.Fatalf("verifier %s: %+v, want its stake %d slashed", p.name, vp, stakeOf(p))
	}
	if missed && vp.AuditsMissed != 1 || !missed && vp.AuditsFailed != 1 {
		e.t.Fatalf("verifier %s: %+v, want one failed (missed %v) audit", p.name, vp, missed)
	}
	if now := e.earned(p); !now.audits.Equal(before.audits) || !now.bounties.Equal(before.bounties) {
		e.t.Fatalf("slashed verifier %s earned %s / %s", p.name, now.audits.Sub(before.audits), now.bounties.Sub(before.bounties))
	}
}

// checkConvicted checks that prov lost slash of its bond, is jailed from the verdict height,
// was not paid (jobsBefore is its pending job income before) and that alice got aliceBefore
// back.
func (e *env) checkConvicted(id uint64, slash int64, missed bool, jobsBefore, aliceBefore sdkmath.Int) {
	e.t.Helper()
	a, j := e.audit(id), e.job(id)
	if a.Status != types.AUDIT_STATUS_FAILED || j.Status != tasktypes.JOB_STATUS_SLASHED || !j.FeePaid.IsZero() || !j.Refunded.Equal(j.MaxFee) {
		e.t.Fatalf("audit %s (%s), job %s fee %s refund %s: want FAILED, SLASHED and refunded", a.Status, a.Reason, j.Status, j.FeePaid, j.Refunded)
	}
	pp := e.provider("prov")
	if !pp.Bond.Equal(coin(baseBond-slash)) || pp.Status != providertypes.PROVIDER_STATUS_JAILED || pp.JailedUntil != a.VerdictHeight+int64(e.s.jailBlocks) ||
		pp.OpenAudits != 0 || (missed && pp.AuditsMissed != 1) || (!missed && pp.AuditsFailed != 1) {
		e.t.Fatalf("convicted provider: %+v, want %d slashed and jailed", pp, slash)
	}
	if got := e.pending(e.p("prov").op.Address, rewardstypes.SourceJobs); !got.Equal(jobsBefore) {
		e.t.Fatalf("the convicted provider was paid %s", got.Sub(jobsBefore))
	}
	if got := e.f.Balance(e.f.Accounts["alice"].Address); !got.Equal(aliceBefore) {
		e.t.Fatalf("alice has %s, want all of %s back", got, aliceBefore)
	}
}

// checkBurned checks that the last block burned exactly want.
func (e *env) checkBurned(want sdkmath.Int) {
	e.t.Helper()
	_, burned, err := appfixture.MintedAndBurned(e.f.LastBlock)
	if err != nil {
		e.t.Fatal(err)
	}
	if !burned.Equal(want) {
		e.t.Fatalf("verdict block burned %s, want %s", burned, want)
	}
}

func partiesOf(e *env, vs []types.Verifier) []*party {
	out := make([]*party, len(vs))
	for i, v := range vs {
		out[i] = e.of(v.Operator)
	}
	return out
}

// TestAttackUniqueProfileIsAudited: a provider declares a determinism profile nobody else
// has, hoping that (as in v1, where verifiers had to share the profile) no verifier can
// ever be drawn for its jobs. The profile is descriptive only: verifiers of other hardware
// are drawn, re-score within tolerance, and its substitute results are caught, slashed
// and jailed.
func TestAttackUniqueProfileIsAudited(t *testing.T) {
	s := defaultSetup()
	s.providers[0].profile = "tpu-exotic-int4-v9" // prov: a profile of its own
	e := newEnv(t, s)
	for _, p := range e.parties {
		if p.name != "prov" && p.spec.profile == s.providers[0].profile {
			t.Fatalf("%s shares the unique profile", p.name)
		}
	}
	id, aliceBefore, _ := e.auditedJob(100_000, cheatResult)
	a := e.audit(id)
	if a.Profile != "tpu-exotic-int4-v9" || len(a.Verifiers) != 1 {
		t.Fatalf("audit of the unique profile's job: profile %q, %d verifiers", a.Profile, len(a.Verifiers))
	}
	jobsBefore := e.pending(e.p("prov").op.Address, rewardstypes.SourceJobs)
	e.open(id)
	e.commitAll(id, a.Verifiers, e.honestFor(id))
	e.revealAll(id, true, a.Verifiers, e.honestFor(id))
	r2 := e.escalation(id)
	e.open(id)
	e.commitAll(id, r2, e.honestFor(id))
	e.revealAll(id, false, r2, e.honestFor(id))
	e.checkConvicted(id, baseBond/10, false, jobsBefore, aliceBefore)
	for _, v := range e.audit(id).Verifiers {
		if p := e.of(v.Operator); p.spec.profile == s.providers[0].profile {
			t.Fatalf("verifier %s has the provider's profile", p.name)
		}
	}
}

// frozenChangeTest runs the mid-audit change attack: while the provider (and its drawn
// verifier) is party to an open audit, every change in changes is refused with
// ErrAuditOpen, through round 1, the escalation and round 2; the escalation still finds
// its verifiers and the cheater is slashed and jailed; after the verdict the same changes
// are accepted.
func frozenChangeTest(t *testing.T, changes func(e *env, p *party) []tx, changed func(e *env, p *party) bool) {
	s := defaultSetup()
	s.verify.OpenPhaseBlocks, s.verify.CommitPhaseBlocks, s.verify.RevealPhaseBlocks = 20, 20, 20 // one refused change a block
	e := newEnv(t, s)
	prov := e.p("prov")
	id, aliceBefore, _ := e.auditedJob(100_000, cheatResult)
	a := e.audit(id)
	verifier := e.of(a.Verifiers[0].Operator)
	refuse := func(when string, whom ...*party) {
		t.Helper()
		for _, who := range whom {
			before := e.partiesState()
			pBefore := e.provider(who.name)
			for _, c := range changes(e, who) {
				expectErr(t, fmt.Sprintf("%s of %s %s", fmt.Sprintf("%T", c.msgs[0]), who.name, when), e.deliver(c.acc, c.msgs...), providertypes.ErrAuditOpen)
			}
			if after := e.provider(who.name); e.partiesState() != before || after.Worker != pBefore.Worker ||
				after.Profile != pBefore.Profile || string(after.AuditKey) != string(pBefore.AuditKey) || len(after.Models) != len(pBefore.Models) {
				t.Fatalf("%s: a refused change changed %s: %+v", when, who.name, after)
			}
		}
	}
	refuse("in the open phase", prov, verifier)
	// Fields an audit does not rely on may change.
	e.mustBlock(tx{prov.op, []sdk.Msg{&providertypes.MsgUpdateProvider{Operator: prov.op.Address.String(), Endpoint: "https://prov.example"}}})
	e.mustBlock(tx{prov.op, []sdk.Msg{&providertypes.MsgUpdateProvider{Operator: prov.op.Address.String(), Models: []string{testModel, soloModel}}}}) // the same models
	e.open(id)
	refuse("in the commit phase", prov, verifier)
	e.commitAll(id, a.Verifiers, e.honestFor(id))
	jobsBefore := e.pending(prov.op.Address, rewardstypes.SourceJobs)
	e.revealAll(id, true, a.Verifiers, e.honestFor(id))
	// ESCALATING: the change would land in the block that draws round 2, before the draw.
	c := changes(e, prov)[0]
	expectErr(t, fmt.Sprintf("%T of prov while escalating", c.msgs[0]), e.block(c)[0], providertypes.ErrAuditOpen)
	a = e.audit(id)
	r2 := round(a, 2)
	if a.Status != types.AUDIT_STATUS_OPEN || a.Round != 2 || len(r2) != 3 {
		t.Fatalf("the escalation found %d verifiers (%s round %d), want 3", len(r2), a.Status, a.Round)
	}
	refuse("in round 2", prov, verifier, e.of(r2[0].Operator))
	e.open(id)
	e.commitAll(id, r2, e.honestFor(id))
	e.revealAll(id, false, r2, e.honestFor(id))
	e.checkConvicted(id, baseBond/10, false, jobsBefore, aliceBefore)
	// After the verdict the same changes go through.
	for _, who := range []*party{prov, verifier} {
		if p := e.provider(who.name); p.OpenAudits != 0 {
			t.Fatalf("%s after the verdict: %d open audits", who.name, p.OpenAudits)
		}
		for _, c := range changes(e, who) {
			if res := e.deliver(c.acc, c.msgs...); res.Code != 0 {
				t.Fatalf("%T of %s after the verdict: %s", c.msgs[0], who.name, res.Log)
			}
		}
		if !changed(e, who) {
			t.Fatalf("%s after the accepted changes: %+v", who.name, e.provider(who.name))
		}
	}
}

// TestAttackProfileChangeMidAudit: a provider under audit (or a verifier drawn for one)
// tries to change its profile, e.g. to one nobody shares, or its audit key, so that the
// openings sealed to it or the escalation's draw change under the audit. Refused with
// ErrAuditOpen until the verdict; the escalation still finds verifiers and the cheater is
// slashed and jailed; afterwards the same update succeeds.
func TestAttackProfileChangeMidAudit(t *testing.T) {
	frozenChangeTest(t, func(e *env, p *party) []tx {
		return []tx{
			{p.op, []sdk.Msg{&providertypes.MsgUpdateProvider{Operator: p.op.Address.String(), Profile: "profile-nobody-has-v1"}}},
			{p.worker, []sdk.Msg{&providertypes.MsgSetAuditKey{Worker: p.worker.Address.String(), AuditKey: auditKeyOf(p.name + "/rotated")}}},
		}
	}, func(e *env, p *party) bool {
		got := e.provider(p.name)
		return got.Profile == "profile-nobody-has-v1" && string(got.AuditKey) == string(auditKeyOf(p.name+"/rotated"))
	})
}

// TestAttackWorkerChangeMidAudit: a provider under audit (or a drawn verifier) tries to
// swap the worker key that signs its audit messages, or its models (a verifier must still
// serve the model it re-scores; a provider would leave the model its escalation is drawn
// from), or its audit key. Refused with ErrAuditOpen until the verdict; the escalation
// still finds verifiers and the cheater is slashed and jailed; afterwards the same updates
// succeed.
func TestAttackWorkerChangeMidAudit(t *testing.T) {
	frozenChangeTest(t, func(e *env, p *party) []tx {
		newWorker := e.f.Accounts["outsider"]
		if p.name != "prov" {
			newWorker = e.f.Accounts["bob"]
		}
		models := []string{testModel, soloModel} // a verifier adds a model, the provider drops one
		if len(e.provider(p.name).Models) == 2 {
			models = []string{testModel}
		}
		return []tx{ // the worker change last: after the verdict the old worker signs the key first
			{p.worker, []sdk.Msg{&providertypes.MsgSetAuditKey{Worker: p.worker.Address.String(), AuditKey: auditKeyOf(p.name + "/rotated")}}},
			{p.op, []sdk.Msg{&providertypes.MsgUpdateProvider{Operator: p.op.Address.String(), Models: models}}},
			{p.op, []sdk.Msg{&providertypes.MsgChangeWorker{Operator: p.op.Address.String(), Worker: newWorker.Address.String()}}}, // signed by newWorker too
		}
	}, func(e *env, p *party) bool {
		got := e.provider(p.name)
		want := e.f.Accounts["outsider"]
		if p.name != "prov" {
			want = e.f.Accounts["bob"]
		}
		return got.Worker == want.Address.String() && string(got.AuditKey) == string(auditKeyOf(p.name+"/rotated"))
	})
}

// inflatedCommit commits job id with output_tokens = max_output_tokens (billing 16 output
// tokens) and the given trace, from prov's worker.
func (e *env) inflatedCommit(trace func(uint64) types.Trace) func(uint64) *tasktypes.MsgCommitResult {
	return func(id uint64) *tasktypes.MsgCommitResult {
		prov := e.p("prov")
		h, tr, salt := honestHash(id), trace(id), tagged("provider-salt", id, nil)[:20]
		e.provHash[id], e.provTrace[id], e.provSalt[id] = h, tr, salt
		return &tasktypes.MsgCommitResult{Worker: prov.worker.Address.String(), Results: []tasktypes.JobResult{{
			JobId: id, Commitment: tasktypes.Commitment([32]byte(h), tr.Hash(), salt),
			PromptTokens: promptTokens, OutputTokens: maxOutput, SealedOutput: []byte("sealed"),
		}}}
	}
}

// TestAttackInflatedTokenCount: the provider bills more output tokens than it produced:
// it commits output_tokens = max (16) for an output of 12 tokens and a stop token.
//   - With its real 13-position trace committed, its reveal is refused (ErrInvalidTrace:
//     13 positions fit neither 16 + 1 nor 16), so it cannot reveal and fails at the reveal
//     deadline: slashed, jailed, unpaid; the verifier is paid the (inflated) fee.
//   - With a trace of 16 positions committed to match (its reveal is accepted), the
//     verifiers re-score the claimed output and cover 13 positions: the trace lengths
//     differ, so every verifier dissents and the provider fails after the escalation.
func TestAttackInflatedTokenCount(t *testing.T) {
	const inflatedFee = cheapPrice * (promptTokens + maxOutput) // 20,000
	t.Run("trace of the real length", func(t *testing.T) {
		e := newEnv(t, defaultSetup())
		id, aliceBefore, _ := e.auditedJobCommit(100_000, e.inflatedCommit(honestTrace))
		if j := e.job(id); j.OutputTokens != maxOutput || !j.PricePerToken.Amount.MulRaw(promptTokens+maxOutput).Equal(sdkmath.NewInt(inflatedFee)) {
			t.Fatalf("job: %d output tokens, fee %s", j.OutputTokens, j.Fee())
		}
		a := e.audit(id)
		v := e.of(a.Verifiers[0].Operator)
		e.open(id)
		e.commitAll(id, a.Verifiers, e.honestFor(id))
		jobsBefore, vBefore := e.pending(e.p("prov").op.Address, rewardstypes.SourceJobs), e.earned(v)
		e.refused("reveal of a 13-position trace for 16 output tokens", e.p("prov").worker, e.providerReveal(id), types.ErrInvalidTrace)
		e.revealAll(id, false, a.Verifiers, e.honestFor(id))
		e.advanceTo(e.audit(id).PhaseDeadline)
		e.checkConvicted(id, baseBond/10, true, jobsBefore, aliceBefore)
		e.checkPaid(v, vBefore, inflatedFee, bountyShare(baseBond/10, 1))
	})
	t.Run("trace of the inflated length", func(t *testing.T) {
		e := newEnv(t, defaultSetup())
		long := func(id uint64) types.Trace { return modelTrace(id, maxOutput, "prov", 0, nil) }
		id, aliceBefore, _ := e.auditedJobCommit(100_000, e.inflatedCommit(long))
		a := e.audit(id)
		e.open(id)
		e.commitAll(id, a.Verifiers, e.honestFor(id)) // 13 positions: what the claimed output holds
		jobsBefore := e.pending(e.p("prov").op.Address, rewardstypes.SourceJobs)
		e.revealAll(id, true, a.Verifiers, e.honestFor(id))
		if a := e.audit(id); !a.ProviderRevealed || a.ProviderTrace.Len() != maxOutput {
			t.Fatalf("the provider's 16-position reveal: revealed %v, %d positions", a.ProviderRevealed, a.ProviderTrace.Len())
		}
		r2 := e.escalation(id)
		e.open(id)
		e.commitAll(id, r2, e.honestFor(id))
		all := partiesOf(e, append([]types.Verifier{a.Verifiers[0]}, r2...))
		before := map[string]earnings{}
		for _, p := range all {
			before[p.name] = e.earned(p)
		}
		e.revealAll(id, false, r2, e.honestFor(id))
		e.checkConvicted(id, baseBond/10, false, jobsBefore, aliceBefore)
		for _, p := range all {
			e.checkPaid(p, before[p.name], inflatedFee, bountyShare(baseBond/10, 4))
		}
	})
}

// swapped is the output hash of the output with one token swapped.
func swappedHash(id uint64) []byte { return tagged("swapped", id, nil) }

// swapPos is the position of the swapped token.
const swapPos = 5

// TestAttackOneTokenSwap: an otherwise honest output with one token swapped (where the
// model's top token trails by 3 nats: far outside the greedy margin tolerance).
//   - The provider's trace hides it (claims the swapped token at the top): the verifiers
//     re-score the claimed tokens and see it 3 nats below the top at that one position,
//     so they dissent (their trace breaks the sampling rule there and differs from the
//     provider's by 3,072 units at one value); the provider fails after the escalation.
//   - The provider's trace shows it: its own trace breaks the greedy rule and it fails
//     whatever the verifiers say, which agree with it and are paid.
func TestAttackOneTokenSwap(t *testing.T) {
	// What every honest verifier sees of the swapped output.
	swapFor := func(e *env, id uint64) func(*party) verification {
		honest := e.honestFor(id)
		return func(p *party) verification {
			v := honest(p)
			v.hash = swappedHash(id)
			v.trace.Chosen[swapPos] = v.trace.Top[swapPos] - 3*types.TraceScale
			return v
		}
	}
	for _, tc := range []struct {
		name  string
		trace func(uint64) types.Trace
	}{
		{"trace hides the swap", honestTrace},
		{"trace shows the swap", func(id uint64) types.Trace {
			tr := honestTrace(id)
			tr.Chosen[swapPos] = tr.Top[swapPos] - 3*types.TraceScale
			return tr
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, defaultSetup())
			id, aliceBefore, _ := e.auditedJob(100_000, func(id uint64) ([]byte, types.Trace) { return swappedHash(id), tc.trace(id) })
			a := e.audit(id)
			e.open(id)
			e.commitAll(id, a.Verifiers, swapFor(e, id))
			jobsBefore := e.pending(e.p("prov").op.Address, rewardstypes.SourceJobs)
			e.revealAll(id, true, a.Verifiers, swapFor(e, id))
			r2 := e.escalation(id)
			e.open(id)
			e.commitAll(id, r2, swapFor(e, id))
			all := partiesOf(e, append([]types.Verifier{a.Verifiers[0]}, r2...))
			before := map[string]earnings{}
			for _, p := range all {
				before[p.name] = e.earned(p)
			}
			e.revealAll(id, false, r2, swapFor(e, id))
			e.checkConvicted(id, baseBond/10, false, jobsBefore, aliceBefore)
			t.Logf("verdict: %s", e.audit(id).Reason)
			for _, p := range all {
				e.checkPaid(p, before[p.name], jobFee, bountyShare(baseBond/10, 4))
			}
		})
	}
}

// guessedTrace is a lazy verifier's trace: it hashes the claimed tokens it was sent (no
// model needed) but guesses every number.
func guessedTrace(id uint64) types.Trace {
	n := tracePositions
	t := types.Trace{Chosen: make([]int32, n), Top: make([]int32, n), Challenge: make([]int32, n)}
	for i := range t.Chosen {
		t.Chosen[i], t.Top[i], t.Challenge[i] = -700, -700, -5000
	}
	return t
}

// TestAttackLazyVerifierGuessedTrace: a round-1 verifier skips the re-scoring and commits
// a guessed trace with the right output hash. Against an honest provider its numbers do
// not match, so round 1 escalates; the escalation's verifiers confirm the provider, who
// settles and is paid; no peer confirms the lazy trace, so the lazy verifier loses its
// stake and is not paid, and the honest verifiers share half of it.
func TestAttackLazyVerifierGuessedTrace(t *testing.T) {
	e := newEnv(t, defaultSetup())
	prov := e.p("prov")
	id, aliceBefore, _ := e.auditedJob(100_000, honestResult)
	a := e.audit(id)
	lazy := e.of(a.Verifiers[0].Operator)
	guess := func(*party) verification { return verification{honestHash(id), guessedTrace(id)} }
	e.open(id)
	e.commitAll(id, a.Verifiers, guess)
	e.revealAll(id, true, a.Verifiers, guess)
	r2 := e.escalation(id)
	e.open(id)
	e.commitAll(id, r2, e.honestFor(id))
	rp, _ := e.f.App.RewardsKeeper.Params.Get(e.f.Ctx())
	split := rewardstypes.SplitFee(sdk.NewCoins(coin(jobFee)), rp)
	jobsBefore, lazyBefore := e.pending(prov.op.Address, rewardstypes.SourceJobs), e.earned(lazy)
	honest := partiesOf(e, r2)
	before := map[string]earnings{}
	for _, p := range honest {
		before[p.name] = e.earned(p)
	}
	e.revealAll(id, false, r2, e.honestFor(id))
	a, j := e.audit(id), e.job(id)
	if a.Status != types.AUDIT_STATUS_PASSED || j.Status != tasktypes.JOB_STATUS_SETTLED || !a.Slashed.Equal(coin(stakeOf(lazy))) {
		t.Fatalf("audit %s (%s) slashed %s, job %s", a.Status, a.Reason, a.Slashed, j.Status)
	}
	if got := e.pending(prov.op.Address, rewardstypes.SourceJobs).Sub(jobsBefore); !got.Equal(split.Provider.AmountOf(app.BondDenom)) {
		t.Fatalf("the honest provider earned %s, want %s", got, split.Provider)
	}
	if pp := e.provider("prov"); !pp.Bond.Equal(coin(baseBond)) || pp.Status != providertypes.PROVIDER_STATUS_ACTIVE || pp.AuditsPassed != 1 {
		t.Fatalf("honest provider: %+v", pp)
	}
	if got := e.f.Balance(e.f.Accounts["alice"].Address); !got.Equal(aliceBefore.SubRaw(jobFee)) {
		t.Fatalf("alice paid %s, want the fee %d", aliceBefore.Sub(got), jobFee)
	}
	e.checkSlashed(lazy, lazyBefore, false)
	for _, p := range honest {
		e.checkPaid(p, before[p.name], jobFee, bountyShare(stakeOf(lazy), 3))
	}
}

// TestAttackLazyVerifierCopiesRound1: an escalation verifier skips the re-scoring and
// copies the provider's trace, public since round 1's reveals, adding guessed values for
// round 2's challenge tokens (drawn from a beacon after every round-1 reveal: no earlier
// reveal holds them). Two honest peers of round 2 reveal the same challenge values within
// tolerance, so they confirm each other and the copier is confirmed by nobody: it is not
// credible, loses its stake and is not paid, although it "agrees" with the passing
// provider. The honest ones are paid the fee and share the slashes' bounty.
func TestAttackLazyVerifierCopiesRound1(t *testing.T) {
	e := newEnv(t, defaultSetup())
	prov := e.p("prov")
	id, _, _ := e.auditedJob(100_000, honestResult)
	a := e.audit(id)
	griefer := e.of(a.Verifiers[0].Operator) // forces the escalation
	e.open(id)
	e.commitAll(id, a.Verifiers, e.dissentFor(id))
	e.revealAll(id, true, a.Verifiers, e.dissentFor(id))
	r2 := e.escalation(id)
	copier, honest := e.of(r2[0].Operator), partiesOf(e, r2[1:])
	public := e.audit(id).ProviderTrace
	honestR2 := e.honestFor(id)
	work := func(p *party) verification {
		if p == copier {
			t := traceWith(public, func(t *types.Trace) { t.Challenge = guessedTrace(id).Challenge })
			return verification{honestHash(id), t}
		}
		return honestR2(p)
	}
	e.open(id)
	e.commitAll(id, r2, work)
	jobsBefore := e.pending(prov.op.Address, rewardstypes.SourceJobs)
	copierBefore, grieferBefore := e.earned(copier), e.earned(griefer)
	before := map[string]earnings{}
	for _, p := range honest {
		before[p.name] = e.earned(p)
	}
	e.revealAll(id, false, r2, work)
	a = e.audit(id)
	slashed := stakeOf(copier) + stakeOf(griefer)
	if a.Status != types.AUDIT_STATUS_PASSED || e.job(id).Status != tasktypes.JOB_STATUS_SETTLED || !a.Slashed.Equal(coin(slashed)) {
		t.Fatalf("audit %s (%s) slashed %s, want PASSED with %d slashed", a.Status, a.Reason, a.Slashed, slashed)
	}
	rp, _ := e.f.App.RewardsKeeper.Params.Get(e.f.Ctx())
	split := rewardstypes.SplitFee(sdk.NewCoins(coin(jobFee)), rp)
	if got := e.pending(prov.op.Address, rewardstypes.SourceJobs).Sub(jobsBefore); !got.Equal(split.Provider.AmountOf(app.BondDenom)) {
		t.Fatalf("the honest provider earned %s, want %s", got, split.Provider)
	}
	e.checkSlashed(copier, copierBefore, false)
	e.checkSlashed(griefer, grieferBefore, false)
	for _, p := range honest {
		e.checkPaid(p, before[p.name], jobFee, bountyShare(slashed, 2))
	}
	e.checkBurned(sdkmath.NewInt(slashed).Sub(bountyShare(slashed, 2).MulRaw(2)))
}

// TestAttackGriefingVerifier: with two round-1 verifiers, one re-scores honestly and the
// other reveals a trace that contradicts an honest provider (dissentFor). One dissent is
// enough to stop round 1 from passing, so the audit escalates; the escalation's verifiers
// confirm the provider, who settles and is paid in full. The griefer's trace is confirmed
// by nobody: it loses its stake (not jailed) and earns nothing; the honest round-1
// verifier, confirmed by the escalation, is paid like the three new ones, and the four
// share half of the griefer's stake.
func TestAttackGriefingVerifier(t *testing.T) {
	s := twoVerifierSetup()
	s.verify.OpenPhaseBlocks, s.verify.CommitPhaseBlocks, s.verify.RevealPhaseBlocks = 3, 3, 3
	e := newEnv(t, s)
	prov := e.p("prov")
	id, aliceBefore, _ := e.auditedJob(100_000, honestResult)
	a := e.audit(id)
	griefer, fair := e.of(a.Verifiers[0].Operator), e.of(a.Verifiers[1].Operator)
	r1 := func(p *party) verification {
		if p == griefer {
			return e.dissentFor(id)(p)
		}
		return e.honestFor(id)(p)
	}
	e.open(id)
	e.commitAll(id, a.Verifiers, r1)
	e.revealAll(id, true, a.Verifiers, r1)
	r2 := e.escalation(id)
	e.open(id)
	e.commitAll(id, r2, e.honestFor(id))
	rp, _ := e.f.App.RewardsKeeper.Params.Get(e.f.Ctx())
	split := rewardstypes.SplitFee(sdk.NewCoins(coin(jobFee)), rp)
	jobsBefore, grieferBefore := e.pending(prov.op.Address, rewardstypes.SourceJobs), e.earned(griefer)
	honest := append([]*party{fair}, partiesOf(e, r2)...)
	before := map[string]earnings{}
	for _, p := range honest {
		before[p.name] = e.earned(p)
	}
	e.revealAll(id, false, r2, e.honestFor(id))
	a, j := e.audit(id), e.job(id)
	if a.Status != types.AUDIT_STATUS_PASSED || j.Status != tasktypes.JOB_STATUS_SETTLED || !j.FeePaid.Equal(coin(jobFee)) ||
		!a.Slashed.Equal(coin(stakeOf(griefer))) {
		t.Fatalf("audit %s (%s) slashed %s, job %s fee %s", a.Status, a.Reason, a.Slashed, j.Status, j.FeePaid)
	}
	if got := e.pending(prov.op.Address, rewardstypes.SourceJobs).Sub(jobsBefore); !got.Equal(split.Provider.AmountOf(app.BondDenom)) {
		t.Fatalf("the honest provider earned %s, want %s", got, split.Provider)
	}
	if pp := e.provider("prov"); !pp.Bond.Equal(coin(baseBond)) || pp.Status != providertypes.PROVIDER_STATUS_ACTIVE || pp.AuditsPassed != 1 || pp.AuditsFailed != 0 {
		t.Fatalf("honest provider: %+v", pp)
	}
	if got := e.f.Balance(e.f.Accounts["alice"].Address); !got.Equal(aliceBefore.SubRaw(jobFee)) {
		t.Fatalf("alice paid %s, want the fee %d", aliceBefore.Sub(got), jobFee)
	}
	e.checkSlashed(griefer, grieferBefore, false)
	for _, p := range honest {
		e.checkPaid(p, before[p.name], jobFee, bountyShare(stakeOf(griefer), 4))
	}
	e.checkBurned(sdkmath.NewInt(stakeOf(griefer)).Sub(bountyShare(stakeOf(griefer), 4).MulRaw(4)))
}

// TestAttackProposerDelaysFinalReveal: a proposer that includes (or holds back) the last
// reveal of round 1 at height H must not be able to know, let alone choose, the
// escalation's verifiers. The round resolves at H into ESCALATING with no round-2
// verifier; the draw happens at H+1 from beacon(H+1), which nobody knew at H: the round-2
// verifiers are exactly x/provider's DrawVerifiers with EscalationSeed(beacon(H+1), id),
// and round 2's challenge seed is that seed.
func TestAttackProposerDelaysFinalReveal(t *testing.T) {
	e := newEnv(t, defaultSetup())
	id, _, _ := e.auditedJob(100_000, honestResult)
	a := e.audit(id)
	e.open(id)
	e.commitAll(id, a.Verifiers, e.dissentFor(id))
	e.revealAll(id, true, a.Verifiers, e.dissentFor(id)) // the last reveal of round 1, at H
	h := e.f.Height()
	bk := e.f.App.BeaconKeeper
	bH, err := bk.GetBeacon(e.f.Ctx(), h)
	if err != nil {
		t.Fatal(err)
	}
	a = e.audit(id)
	if a.Status != types.AUDIT_STATUS_ESCALATING || a.PhaseDeadline != h+1 || len(round(a, 2)) != 0 || len(a.ChallengeSeeds) != 1 {
		t.Fatalf("end of block H = %d: %s deadline %d with %d round-2 verifiers and %d seeds: round 2 must not be known at H",
			h, a.Status, a.PhaseDeadline, len(round(a, 2)), len(a.ChallengeSeeds))
	}
	if _, err := bk.GetBeacon(e.f.Ctx(), h+1); err == nil {
		t.Fatalf("beacon(H+1) exists at the end of H = %d", h)
	}
	e.f.NextBlock()
	bNext, err := bk.GetBeacon(e.f.Ctx(), h+1)
	if err != nil {
		t.Fatal(err)
	}
	a = e.audit(id)
	r2 := round(a, 2)
	seed := types.EscalationSeed(bNext.Output, id)
	if a.Status != types.AUDIT_STATUS_OPEN || a.Round != 2 || len(r2) != 3 || len(a.ChallengeSeeds) != 2 || string(a.ChallengeSeeds[1]) != string(seed) {
		t.Fatalf("at H+1: %s round %d with %d round-2 verifiers, want round 2 seeded by EscalationSeed(beacon(H+1))", a.Status, a.Round, len(r2))
	}
	taken := map[string]bool{a.Verifiers[0].Operator: true}
	draw := func(seed []byte) []string {
		ps, err := e.f.App.ProviderKeeper.DrawVerifiers(e.f.Ctx(), testModel, seed, 3, e.provider("prov"), func(c providertypes.Provider) bool { return taken[c.Operator] })
		if err != nil {
			t.Fatal(err)
		}
		var ops []string
		for _, p := range ps {
			ops = append(ops, p.Operator)
		}
		return ops
	}
	want := draw(seed)
	for i, v := range r2 {
		if i >= len(want) || v.Operator != want[i] {
			t.Fatalf("round-2 verifier %d is %s, DrawVerifiers(EscalationSeed(beacon(H+1))) gives %v", i, e.of(v.Operator).name, want)
		}
	}
	var names, atH []string
	for _, op := range want {
		names = append(names, e.of(op).name)
	}
	for _, op := range draw(types.EscalationSeed(bH.Output, id)) {
		atH = append(atH, e.of(op).name)
	}
	t.Logf("round 2 drawn from beacon(H+1): %v; beacon(H), known at H, would have drawn %v", names, atH)
	e.settleHonestly([]uint64{id}, 20)
	if s := e.audit(id).Status; s != types.AUDIT_STATUS_PASSED {
		t.Fatalf("verdict %s", s)
	}
}

// TestAttackProviderNeverOpens: a cheating provider that is audited withholds the claimed
// output (no MsgOpenAudit), so that nobody can re-score it: in round 1, or in round 2
// after its round-1 verifier dissented. At the end of the OPEN phase it fails like a
// provider caught cheating: slashed max(collateral, 10% of its bond), jailed, unpaid, the
// submitter refunded. Verifiers it never opened to are neither paid nor slashed (their
// stake is released); a round-1 verifier that did its work is paid and takes the bounty.
func TestAttackProviderNeverOpens(t *testing.T) {
	const slash = baseBond / 10
	t.Run("round 1", func(t *testing.T) {
		e := newEnv(t, defaultSetup())
		id, aliceBefore, _ := e.auditedJob(100_000, cheatResult)
		a := e.audit(id)
		v := e.of(a.Verifiers[0].Operator)
		jobsBefore, vBefore := e.pending(e.p("prov").op.Address, rewardstypes.SourceJobs), e.earned(v)
		e.advanceTo(a.PhaseDeadline)
		e.checkConvicted(id, slash, true, jobsBefore, aliceBefore)
		if got := e.audit(id).VerdictHeight; got != a.PhaseDeadline {
			t.Fatalf("verdict at %d, want the open deadline %d", got, a.PhaseDeadline)
		}
		if vp := e.provider(v.name); !vp.Bond.Equal(coin(v.spec.bond)) || !vp.Locked.IsZero() || vp.OpenAudits != 0 ||
			vp.AuditsPassed+vp.AuditsFailed+vp.AuditsMissed != 0 {
			t.Fatalf("verifier never opened to: %+v", vp)
		}
		if now := e.earned(v); !now.audits.Equal(vBefore.audits) || !now.bounties.Equal(vBefore.bounties) {
			t.Fatalf("verifier never opened to was paid %s / %s", now.audits.Sub(vBefore.audits), now.bounties.Sub(vBefore.bounties))
		}
		e.checkBurned(sdkmath.NewInt(slash)) // nobody on the winning side: all of it burns
		if st := e.stats(); st.Failures != 1 || st.ProviderSlashes != 1 || st.VerifierSlashes != 0 {
			t.Fatalf("stats %+v", st)
		}
	})
	t.Run("round 2", func(t *testing.T) {
		e := newEnv(t, defaultSetup())
		id, aliceBefore, _ := e.auditedJob(100_000, cheatResult)
		a := e.audit(id)
		first := e.of(a.Verifiers[0].Operator)
		e.open(id)
		e.commitAll(id, a.Verifiers, e.honestFor(id))
		jobsBefore, firstBefore := e.pending(e.p("prov").op.Address, rewardstypes.SourceJobs), e.earned(first)
		e.revealAll(id, true, a.Verifiers, e.honestFor(id))
		r2 := partiesOf(e, e.escalation(id))
		r2Before := map[string]earnings{}
		for _, p := range r2 {
			r2Before[p.name] = e.earned(p)
		}
		e.advanceTo(e.audit(id).PhaseDeadline)
		e.checkConvicted(id, slash, false, jobsBefore, aliceBefore)
		e.checkPaid(first, firstBefore, jobFee, bountyShare(slash, 1))
		for _, p := range r2 {
			vp := e.provider(p.name)
			now := e.earned(p)
			if !vp.Bond.Equal(coin(p.spec.bond)) || !vp.Locked.IsZero() || vp.OpenAudits != 0 || vp.AuditsPassed+vp.AuditsFailed+vp.AuditsMissed != 0 ||
				!now.audits.Equal(r2Before[p.name].audits) || !now.bounties.Equal(r2Before[p.name].bounties) {
				t.Fatalf("round-2 verifier %s never opened to: %+v", p.name, vp)
			}
		}
		e.checkBurned(sdkmath.NewInt(slash).Sub(bountyShare(slash, 1)))
	})
}

// TestAttackHugeMaxFeeCannotLockBond: a submitter sets max_fee to 1000 × the provider's
// price on many jobs, hoping to lock the provider's bond (in v1 a job locked
// collateral_multiplier × max_fee: 2,000,000 here, five such jobs would have locked all of
// a 10,000,000 bond). A job now locks collateral_multiplier × price × (prompt bound + max
// output tokens) = 68,000 whatever its max_fee: all 20 jobs are assigned to the provider,
// which keeps most of its bond free, and they settle at their real fee.
func TestAttackHugeMaxFeeCannotLockBond(t *testing.T) {
	e := newEnv(t, defaultSetup())
	const n, hugeFee = 20, 1000 * cheapPrice
	alice := e.f.Accounts["alice"]
	aliceBefore := e.f.Balance(alice.Address)
	var msgs []sdk.Msg
	for i := 0; i < n; i++ {
		msgs = append(msgs, e.submitMsg("alice", testModel, hugeFee))
	}
	ids := jobIDs(t, e.mustBlock(tx{alice, msgs})[0])
	e.f.NextBlock()
	collateral := sdkmath.NewInt(2 * maxCharge)
	for _, id := range ids {
		j := e.job(id)
		if j.Status != tasktypes.JOB_STATUS_ASSIGNED || j.Provider != e.p("prov").op.Address.String() || !j.Collateral.Equal(collateral) {
			t.Fatalf("job %d: %s to %s, collateral %s, want ASSIGNED to prov with %s", id, j.Status, e.of(j.Provider).name, j.Collateral, collateral)
		}
	}
	pp := e.provider("prov")
	if !pp.Locked.Equal(collateral.MulRaw(n)) || pp.ActiveJobs != n {
		t.Fatalf("provider locks %s for %d jobs, want %d × %s", pp.Locked, pp.ActiveJobs, n, collateral)
	}
	if free := pp.FreeCollateral(); free.LT(sdkmath.NewInt(baseBond * 8 / 10)) {
		t.Fatalf("%d jobs of max_fee %d left %s of the bond free", n, hugeFee, free)
	}
	e.settleHonestly(ids, 30)
	for _, id := range ids {
		if j := e.job(id); j.Status != tasktypes.JOB_STATUS_SETTLED || !j.FeePaid.Equal(coin(jobFee)) || !j.Refunded.Equal(coin(hugeFee-jobFee)) {
			t.Fatalf("job %d: %s fee %s refund %s", id, j.Status, j.FeePaid, j.Refunded)
		}
	}
	if got := e.f.Balance(alice.Address); !got.Equal(aliceBefore.SubRaw(n * jobFee)) {
		t.Fatalf("alice paid %s, want %d × the fee %d", aliceBefore.Sub(got), n, jobFee)
	}
	if pp := e.provider("prov"); !pp.Locked.IsZero() || pp.ActiveJobs != 0 || !pp.Bond.Equal(coin(baseBond)) {
		t.Fatalf("provider after settling: %+v", pp)
	}
}

// TestAttackSlashKeepsOtherJobsBacked: a provider holds several open jobs, their
// collateral locking most of its bond, and cheats on one. The slash (here
// max(collateral, 50% of the bond), far above the free bond) must not eat the collateral
// of its other jobs: the failed job's collateral is released first, then the slash takes
// at most the free bond. After the verdict bond ≥ locked, locked is exactly the sum of the
// other open jobs' collateral, and those jobs (committed honestly while jailed) settle
// normally and release it.
func TestAttackSlashKeepsOtherJobsBacked(t *testing.T) {
	s := defaultSetup()
	s.verify.CollateralMultiplier = 40 // 1,360,000 a job: 7 fit in the bond
	s.verify.ProviderSlashFraction = dec("0.50")
	e := newEnv(t, s)
	prov, alice := e.p("prov"), e.f.Accounts["alice"]
	const n = 7
	collateral := sdkmath.NewInt(40 * maxCharge)
	var msgs []sdk.Msg
	for i := 0; i < n; i++ {
		m := e.submitMsg("alice", testModel, 100_000)
		m.DeadlineBlocks = 300
		msgs = append(msgs, m)
	}
	ids := jobIDs(t, e.mustBlock(tx{alice, msgs})[0])
	e.f.NextBlock()
	open := map[uint64]bool{}
	for _, id := range ids {
		if j := e.job(id); j.Status != tasktypes.JOB_STATUS_ASSIGNED || j.Provider != prov.op.Address.String() || !j.Collateral.Equal(collateral) {
			t.Fatalf("job %d: %s to %s collateral %s", id, j.Status, j.Provider, j.Collateral)
		}
		open[id] = true
	}
	if pp := e.provider("prov"); !pp.Locked.Equal(collateral.MulRaw(n)) {
		t.Fatalf("locked %s, want %d × %s", pp.Locked, n, collateral)
	}
	// Cheat on one job at a time until one is audited (an unaudited lie settles).
	var id uint64
	for _, cand := range ids {
		e.mustBlock(tx{prov.worker, []sdk.Msg{e.resultMsg(prov, []uint64{cand}, cheatResult)}})
		e.advanceUntil(10, func() bool { return e.job(cand).Status != tasktypes.JOB_STATUS_COMMITTED })
		delete(open, cand)
		if e.job(cand).Status == tasktypes.JOB_STATUS_AUDITING {
			id = cand
			break
		}
	}
	if id == 0 || len(open) < 2 {
		t.Fatalf("audited lie %d with %d other open jobs", id, len(open))
	}
	a := e.audit(id)
	e.open(id)
	e.commitAll(id, a.Verifiers, e.honestFor(id))
	e.revealAll(id, true, a.Verifiers, e.honestFor(id))
	r2 := e.escalation(id)
	e.open(id)
	e.commitAll(id, r2, e.honestFor(id))
	before := e.provider("prov")
	free := before.FreeCollateral().Add(collateral) // the failed job's collateral is released first
	want := sdkmath.MinInt(sdkmath.MaxInt(collateral, dec("0.50").MulInt(before.Bond.Amount).TruncateInt()), free)
	if !want.Equal(free) || !want.LT(dec("0.50").MulInt(before.Bond.Amount).TruncateInt()) {
		t.Fatalf("the slash %s is not capped by the free bond %s: the test needs a bond almost fully locked", want, free)
	}
	e.revealAll(id, false, r2, e.honestFor(id))
	a = e.audit(id)
	pp := e.provider("prov")
	t.Logf("slash: max(collateral %s, 50%% of bond %s) capped at the free bond %s = %s; %d other open jobs lock %s",
		collateral, before.Bond, free, a.Slashed, len(open), pp.Locked)
	if a.Status != types.AUDIT_STATUS_FAILED || !a.Slashed.Equal(sdk.NewCoin(app.BondDenom, want)) || !pp.Bond.Amount.Equal(before.Bond.Amount.Sub(want)) ||
		pp.Status != providertypes.PROVIDER_STATUS_JAILED {
		t.Fatalf("audit %s slashed %s, provider %+v: want FAILED, %s slashed (the free bond) and jailed", a.Status, a.Slashed, pp, want)
	}
	sum := sdkmath.ZeroInt()
	for o := range open {
		j := e.job(o)
		if j.Status != tasktypes.JOB_STATUS_ASSIGNED {
			t.Fatalf("other job %d: %s", o, j.Status)
		}
		sum = sum.Add(j.Collateral)
	}
	if !pp.Locked.Equal(sum) || pp.Bond.Amount.LT(pp.Locked) {
		t.Fatalf("after the slash: bond %s, locked %s, the other %d open jobs' collateral %s: want locked = their collateral ≤ bond",
			pp.Bond, pp.Locked, len(open), sum)
	}
	var rest []uint64
	for o := range open {
		rest = append(rest, o)
	}
	bondAfter := pp.Bond
	e.settleHonestly(rest, 40)
	for _, o := range rest {
		if j := e.job(o); j.Status != tasktypes.JOB_STATUS_SETTLED || !j.FeePaid.Equal(coin(jobFee)) {
			t.Fatalf("other job %d: %s fee %s, want SETTLED", o, j.Status, j.FeePaid)
		}
	}
	if pp := e.provider("prov"); !pp.Locked.IsZero() || pp.ActiveJobs != 0 || !pp.Bond.Equal(bondAfter) {
		t.Fatalf("provider after its other jobs settled: %+v", pp)
	}
}

// TestAttackNoOtherOperatorNoAssignment: a provider serves a model that only it (and a
// second provider that is the same operator: its worker is the first one's operator key)
// serves, or that another operator serves without an audit key to receive openings on.
// No result is paid without a chance of audit: its jobs are never assigned, wait and
// expire refunded in full, and the provider locks nothing. Once another operator with an
// audit key serves the model, the next job is assigned.
func TestAttackNoOtherOperatorNoAssignment(t *testing.T) {
	s := defaultSetup()
	s.providers = []providerSpec{
		{name: "prov", profile: cpuProfile, bond: baseBond, price: cheapPrice, models: []string{testModel, soloModel}},
		{name: "sybil", worker: "prov", profile: gpuProfile, bond: bigBond, price: dearPrice, models: []string{testModel, soloModel}},
		{name: "v1", profile: cpuProfile, bond: baseBond, price: dearPrice, models: []string{testModel, soloModel}},
		{name: "v2", profile: cpuProfile, bond: baseBond, price: dearPrice, models: []string{testModel, soloModel}},
	}
	e := newEnv(t, s)
	alice, outsider, bob := e.f.Accounts["alice"], e.f.Accounts["outsider"], e.f.Accounts["bob"]
	// v1 and v2 can verify soloModel; outsider serves it too, with bob as its worker, but
	// publishes no audit key: two eligible verifiers are not enough (an audit that could
	// convict needs MinVerifiers = 3 with one verifier per audit).
	e.mustBlock(tx{outsider, []sdk.Msg{&providertypes.MsgRegisterProvider{
		Operator: outsider.Address.String(), Worker: bob.Address.String(), Models: []string{soloModel},
		Bond: coin(baseBond), PricePerToken: coin(dearPrice), Profile: cpuProfile, MaxJobs: 10,
	}}})
	submit := func() uint64 {
		m := e.submitMsg("alice", soloModel, 100_000)
		m.DeadlineBlocks = 12
		return jobIDs(t, e.mustBlock(tx{alice, []sdk.Msg{m}})[0])[0]
	}
	aliceBefore := e.f.Balance(alice.Address)
	id := submit()
	j := e.job(id)
	e.advanceTo(j.DeadlineHeight)
	j = e.job(id)
	if j.Status != tasktypes.JOB_STATUS_EXPIRED || j.Provider != "" || !j.Refunded.Equal(coin(100_000)) {
		t.Fatalf("job of a model nobody else can verify: %s to %q refund %s, want EXPIRED unassigned and refunded", j.Status, j.Provider, j.Refunded)
	}
	if got := e.f.Balance(alice.Address); !got.Equal(aliceBefore) {
		t.Fatalf("alice has %s, want %s", got, aliceBefore)
	}
	for _, n := range []string{"prov", "sybil"} {
		if p := e.provider(n); !p.Locked.IsZero() || p.ActiveJobs != 0 || p.JobsDone != 0 {
			t.Fatalf("%s: %+v", n, p)
		}
	}
	if st := e.stats(); st.Decisions != 0 {
		t.Fatalf("stats %+v: a decision on an unassigned job", st)
	}
	// With an audit key, outsider can verify too: three eligible verifiers, the next job
	// is assigned.
	e.mustBlock(tx{bob, []sdk.Msg{&providertypes.MsgSetAuditKey{Worker: bob.Address.String(), AuditKey: auditKeyOf("outsider")}}})
	op := &party{name: "outsider", op: outsider, worker: bob, spec: providerSpec{name: "outsider", bond: baseBond, price: dearPrice}}
	e.parties["outsider"], e.byOp[outsider.Address.String()] = op, op
	id = submit()
	e.f.NextBlock()
	if j := e.job(id); j.Status != tasktypes.JOB_STATUS_ASSIGNED || j.Provider != e.p("prov").op.Address.String() {
		t.Fatalf("job once another operator can verify: %s to %q", j.Status, j.Provider)
	}
	e.settleHonestly([]uint64{id}, 20)
	if j := e.job(id); j.Status != tasktypes.JOB_STATUS_SETTLED {
		t.Fatalf("job: %s", j.Status)
	}
	if a, err := e.f.App.VerifyKeeper.Audits.Get(e.f.Ctx(), id); err == nil {
		if v := e.of(a.Verifiers[0].Operator).name; v != "outsider" && v != "v1" && v != "v2" {
			t.Fatalf("audit verified by %s, want outsider, v1 or v2 (the other operators)", v)
		}
	}
}

// TestAttackCheaterWithTooFewOtherOperators: a cheater serves a model that only two other
// operators serve. Every audited lie would end without a conviction: round 1's verifier
// dissents, the escalation finds one verifier, which no round-2 peer can confirm (a lone
// escalation verifier could have copied round 1), so the judge has no credible majority:
// UNDECIDED, refunded, nobody convicted, and cheating would pay. A job is therefore only
// assigned when an audit could convict (x/verify Params.MinVerifiers: 3 with one verifier
// per audit): the cheater gets no job until a third operator joins, and is then convicted.
func TestAttackCheaterWithTooFewOtherOperators(t *testing.T) {
	s := defaultSetup()
	s.providers = []providerSpec{
		{name: "prov", profile: cpuProfile, bond: baseBond, price: cheapPrice, models: []string{testModel, soloModel}},
		{name: "v1", profile: gpuProfile, bond: baseBond, price: dearPrice},
		{name: "v2", profile: cpuProfile, bond: baseBond, price: dearPrice},
	}
	e := newEnv(t, s)
	alice := e.f.Accounts["alice"]
	m := e.submitMsg("alice", testModel, 100_000)
	m.DeadlineBlocks = 6
	id := jobIDs(t, e.mustBlock(tx{alice, []sdk.Msg{m}})[0])[0]
	e.advanceTo(e.job(id).DeadlineHeight)
	if j := e.job(id); j.Status != tasktypes.JOB_STATUS_EXPIRED || j.Provider != "" {
		t.Fatalf("job with two other operators: %s to %q, want EXPIRED unassigned", j.Status, j.Provider)
	}
	// A third other operator joins: jobs are assigned, and a lie is convicted.
	v2 := e.f.Accounts["outsider"]
	e.mustBlock(tx{v2, []sdk.Msg{&providertypes.MsgRegisterProvider{
		Operator: v2.Address.String(), Worker: e.f.Accounts["bob"].Address.String(), Models: []string{testModel},
		Bond: coin(baseBond), PricePerToken: coin(dearPrice), Profile: cpuProfile, MaxJobs: 10,
	}}})
	e.mustBlock(tx{e.f.Accounts["bob"], []sdk.Msg{&providertypes.MsgSetAuditKey{Worker: e.f.Accounts["bob"].Address.String(), AuditKey: auditKeyOf("outsider")}}})
	op := &party{name: "outsider", op: v2, worker: e.f.Accounts["bob"], spec: providerSpec{name: "outsider", bond: baseBond, price: dearPrice}}
	e.parties["outsider"], e.byOp[v2.Address.String()] = op, op
	id, _, _ = e.auditedJob(100_000, cheatResult)
	a := e.audit(id)
	e.open(id)
	e.commitAll(id, a.Verifiers, e.honestFor(id))
	e.revealAll(id, true, a.Verifiers, e.honestFor(id))
	e.f.NextBlock() // the escalation: the two operators not drawn yet
	r2 := round(e.audit(id), 2)
	if len(r2) != 2 {
		t.Fatalf("round 2 has %d verifiers, want the 2 operators left", len(r2))
	}
	e.open(id)
	e.commitAll(id, r2, e.honestFor(id))
	e.revealAll(id, false, r2, e.honestFor(id))
	a, j := e.audit(id), e.job(id)
	pp := e.provider("prov")
	if a.Status != types.AUDIT_STATUS_FAILED || j.Status != tasktypes.JOB_STATUS_SLASHED || pp.Status != providertypes.PROVIDER_STATUS_JAILED {
		t.Fatalf("audit %s (%s), job %s, cheater %s: want convicted", a.Status, a.Reason, j.Status, pp.Status)
	}
	if lost := sdkmath.NewInt(baseBond).Sub(pp.Bond.Amount); lost.LT(j.Collateral) {
		t.Fatalf("the cheater lost %s, less than the job's collateral %s", lost, j.Collateral)
	}
}

// TestAttackGarbageOpenings: the chain cannot read an opening, only see that each
// verifier got one. A cheater "opens" the claimed output with bytes that decrypt to
// nothing. Each verifier complains in the commit phase instead of committing; the provider
// must then disclose the opening's key, with which the chain decrypts the opening itself:
// a key that does not fit, an opening that does not decrypt or does not match the job's
// commitment, or no disclosure at all fails the provider, and the complaining verifiers
// are paid, not slashed. A false complaint about a good opening costs the complainer its
// stake (TestAttackFalseComplaint).
func TestAttackGarbageOpenings(t *testing.T) {
	e := newEnv(t, defaultSetup())
	id, aliceBefore, _ := e.auditedJob(100_000, cheatResult)
	a := e.audit(id)
	garbage := func() *types.MsgOpenAudit {
		m := e.openMsg(id)
		for i := range m.Openings {
			m.Openings[i].Sealed = []byte("undecryptable")
		}
		return m
	}
	prov := e.p("prov")
	v := e.of(a.Verifiers[0].Operator)
	verBond := e.provider(v.name).Bond
	e.mustBlock(tx{prov.worker, []sdk.Msg{garbage()}})
	e.mustBlock(tx{v.worker, []sdk.Msg{&types.MsgCommitVerification{Signer: v.worker.Address.String(), JobId: id, Complaint: true}}})
	if a = e.audit(id); a.Status != types.AUDIT_STATUS_REVEAL || !a.Verifiers[0].Complained {
		t.Fatalf("after the complaint: %s complained=%v, want the reveal phase", a.Status, a.Verifiers[0].Complained)
	}
	// The provider reveals and discloses some key: it cannot make garbage decrypt.
	key := types.DeriveOpeningKey(e.provSalt[id], id, 1, v.op.Address)
	e.mustBlock(tx{prov.worker, []sdk.Msg{
		e.providerReveal(id),
		&types.MsgDiscloseOpening{Signer: prov.worker.Address.String(), JobId: id, Keys: []types.OpeningKey{{Verifier: v.op.Address.String(), Key: key[:]}}},
	}})
	a, j := e.audit(id), e.job(id)
	pp := e.provider("prov")
	if a.Status != types.AUDIT_STATUS_FAILED || j.Status != tasktypes.JOB_STATUS_SLASHED || pp.Status != providertypes.PROVIDER_STATUS_JAILED {
		t.Fatalf("audit %s (%s), job %s, cheater %s: want convicted on the complaint", a.Status, a.Reason, j.Status, pp.Status)
	}
	if lost := sdkmath.NewInt(baseBond).Sub(pp.Bond.Amount); lost.LT(j.Collateral) {
		t.Fatalf("the cheater lost %s, less than the job's collateral %s", lost, j.Collateral)
	}
	if !e.f.Balance(e.f.Accounts["alice"].Address).Equal(aliceBefore) {
		t.Fatal("alice is not refunded in full")
	}
	if got := e.provider(v.name); !got.Bond.Equal(verBond) || got.AuditsPassed != 1 || !got.Locked.IsZero() {
		t.Fatalf("the complaining verifier: bond %s (was %s), passed %d, locked %s: want unslashed, counted, stake released",
			got.Bond, verBond, got.AuditsPassed, got.Locked)
	}
}

// TestAttackFalseComplaint: a verifier complains about a good opening (to dodge the work,
// or to get an honest provider convicted). The provider discloses the opening's key, the
// chain decrypts it and finds it matches the job's commitment: the complaint is false, the
// complainer loses its stake, and the audit goes on (escalation, honest verifiers, pass).
func TestAttackFalseComplaint(t *testing.T) {
	e := newEnv(t, defaultSetup())
	id, _, _ := e.auditedJob(100_000, honestResult)
	a := e.audit(id)
	prov := e.p("prov")
	v := e.of(a.Verifiers[0].Operator)
	verBond := e.provider(v.name).Bond
	// A real opening: the claimed tokens whose output hash the provider committed.
	e.mustBlock(tx{prov.worker, []sdk.Msg{e.realOpenMsg(id)}})
	e.mustBlock(tx{v.worker, []sdk.Msg{&types.MsgCommitVerification{Signer: v.worker.Address.String(), JobId: id, Complaint: true}}})
	key := types.DeriveOpeningKey(e.provSalt[id], id, 1, v.op.Address)
	e.mustBlock(tx{prov.worker, []sdk.Msg{
		e.providerReveal(id),
		&types.MsgDiscloseOpening{Signer: prov.worker.Address.String(), JobId: id, Keys: []types.OpeningKey{{Verifier: v.op.Address.String(), Key: key[:]}}},
	}})
	if a = e.audit(id); a.Status != types.AUDIT_STATUS_ESCALATING {
		t.Fatalf("after a false complaint: %s (%s), want an escalation", a.Status, a.Reason)
	}
	r2 := e.escalation(id)
	e.open(id)
	e.commitAll(id, r2, e.honestFor(id))
	e.revealAll(id, false, r2, e.honestFor(id))
	if a = e.audit(id); a.Status != types.AUDIT_STATUS_PASSED {
		t.Fatalf("audit %s (%s), want passed", a.Status, a.Reason)
	}
	got := e.provider(v.name)
	if want := verBond.Amount.Sub(a.Verifiers[0].Stake); !got.Bond.Amount.Equal(want) || got.AuditsPassed != 0 {
		t.Fatalf("false complainer: bond %s, want %s (its stake taken), passed %d", got.Bond, want, got.AuditsPassed)
	}
}

// TestAttackPrecisionSubstituteCaughtByModelTolerances: a provider serves a cheaper copy of
// a full-precision model (an F16 or Q8_0 quantization): its numbers are each a little off,
// 10 units (0.01 nat) everywhere, within the params' tolerances for quantized models. The
// model is registered with the tight tolerances measured on it (full precision re-scores
// within 1 unit across hardware), so exact verifiers dissent and the substitute is
// convicted; the same trace under the params' defaults would pass.
func TestAttackPrecisionSubstituteCaughtByModelTolerances(t *testing.T) {
	s := defaultSetup()
	s.modelTolerances = &[4]uint32{4, 250, 4, 1 << 29}
	e := newEnv(t, s)
	substitute := func(id uint64) ([]byte, types.Trace) {
		tr := honestTrace(id)
		for i := range tr.Top {
			tr.Top[i] += 10
			tr.Chosen[i] += 10
		}
		return honestHash(id), tr
	}
	exact := func(id uint64) func(*party) verification {
		seed := e.roundSeed(id)
		return func(p *party) verification {
			return verification{honestHash(id), modelTrace(id, tracePositions, p.name, 0, seed)}
		}
	}
	id, _, _ := e.auditedJob(100_000, substitute)
	if !types.Close(e.provTrace[id], honestTrace(id), e.params().Tolerances(), false) {
		t.Fatal("the substitute's trace is not within the params' default tolerances: the test shows nothing")
	}
	a := e.audit(id)
	e.open(id)
	e.commitAll(id, a.Verifiers, exact(id))
	e.revealAll(id, true, a.Verifiers, exact(id))
	r2 := e.escalation(id)
	e.open(id)
	e.commitAll(id, r2, exact(id))
	e.revealAll(id, false, r2, exact(id))
	a, j := e.audit(id), e.job(id)
	if a.Status != types.AUDIT_STATUS_FAILED || j.Status != tasktypes.JOB_STATUS_SLASHED || e.provider("prov").Status != providertypes.PROVIDER_STATUS_JAILED {
		t.Fatalf("audit %s (%s), job %s: want the substitute convicted under the model's tolerances", a.Status, a.Reason, j.Status)
	}
}
