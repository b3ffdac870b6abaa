package keeper_test

import (
	"bytes"
	"slices"
	"testing"

	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/gogoproto/proto"

	"github.com/sovra-network/sovra/testutil/appfixture"
	providertypes "github.com/sovra-network/sovra/x/provider/types"
	rewardstypes "github.com/sovra-network/sovra/x/rewards/types"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	"github.com/sovra-network/sovra/x/verify/types"
)

// TestAuditPasses: the provider opens the claimed output to the drawn verifier, which
// re-scores it on other hardware (a trace within tolerance, not equal) and both reveal.
// The job settles with the x/rewards split, the verifier earns exactly the job's fee from
// the verification pool (source "audits"), both count a passed audit, the verifier's
// stake is locked while drawn and released, and the stats agree.
func TestAuditPasses(t *testing.T) {
	e := newEnv(t, defaultSetup())
	id, aliceBefore, tries := e.auditedJob(100_000, honestResult)
	prov := e.p("prov")

	a := e.audit(id)
	j := e.job(id)
	if a.Status != types.AUDIT_STATUS_OPEN || a.Round != 1 || a.Provider != prov.op.Address.String() ||
		a.ModelId != testModel || a.Profile != cpuProfile || a.DecisionHeight != j.DecisionHeight ||
		a.PhaseDeadline != a.DecisionHeight+3 || a.WeakBeacon || !a.Pay.Equal(coin(jobFee)) || len(a.Verifiers) != 1 {
		t.Fatalf("audit after the decision: %+v (job decided at %d)", a, j.DecisionHeight)
	}
	v := e.of(a.Verifiers[0].Operator)
	if v.name == "prov" || v.name == "sybil" {
		t.Fatalf("verifier %s drawn for prov's job", v.name)
	}
	if stake := e.provider(v.name).Bond.Amount.QuoRaw(50); !a.Verifiers[0].Stake.Equal(stake) || !e.provider(v.name).Locked.Equal(stake) {
		t.Fatalf("verifier stake %s, locked %s, want 2%% of its bond %s", a.Verifiers[0].Stake, e.provider(v.name).Locked, stake)
	}
	if pp, vp := e.provider("prov"), e.provider(v.name); pp.OpenAudits != 1 || vp.OpenAudits != 1 {
		t.Fatalf("open audits: provider %d, verifier %d, want 1 each", pp.OpenAudits, vp.OpenAudits)
	}
	if ok, _ := e.f.App.VerifyKeeper.PhaseQueue.Has(e.f.Ctx(), collectionsPairI64Of(a.PhaseDeadline, id)); !ok {
		t.Fatal("open phase not queued at its deadline")
	}

	e.open(id)
	a = e.audit(id)
	if a.Status != types.AUDIT_STATUS_COMMIT || a.PhaseDeadline != e.f.Height()+3 || len(a.Verifiers[0].Opening) == 0 {
		t.Fatalf("after the opening: %s deadline %d (height %d), want the commit phase at once", a.Status, a.PhaseDeadline, e.f.Height())
	}
	e.commitAll(id, a.Verifiers, e.honestFor(id))
	a = e.audit(id)
	if a.Status != types.AUDIT_STATUS_REVEAL || a.PhaseDeadline != e.f.Height()+3 {
		t.Fatalf("after the only verifier committed: %s deadline %d (height %d), want the reveal phase at once", a.Status, a.PhaseDeadline, e.f.Height())
	}

	rp, err := e.f.App.RewardsKeeper.Params.Get(e.f.Ctx())
	if err != nil {
		t.Fatal(err)
	}
	split := rewardstypes.SplitFee(sdk.NewCoins(coin(jobFee)), rp)
	poolBefore, provJobs := e.poolBalance(), e.pending(prov.op.Address, rewardstypes.SourceJobs)
	verAudits := e.pending(v.op.Address, rewardstypes.SourceAudits)

	e.revealAll(id, true, a.Verifiers, e.honestFor(id))
	a, j = e.audit(id), e.job(id)
	if a.Status != types.AUDIT_STATUS_PASSED || a.VerdictHeight != e.f.Height() || !a.Slashed.IsZero() ||
		!a.ProviderRevealed || !bytes.Equal(a.ProviderHash, honestHash(id)) || !a.Verifiers[0].Revealed {
		t.Fatalf("audit after the reveals: %+v", a)
	}
	if j.Status != tasktypes.JOB_STATUS_SETTLED || !j.FeePaid.Equal(coin(jobFee)) || !j.Refunded.Equal(coin(100_000-jobFee)) {
		t.Fatalf("job: %s fee %s refund %s", j.Status, j.FeePaid, j.Refunded)
	}
	requireEvent(t, e, func(ev *types.EventAuditVerdict) bool {
		return ev.JobId == id && ev.Provider == a.Provider && ev.Verdict == types.AUDIT_STATUS_PASSED && ev.Slashed.IsZero()
	})
	if got := e.f.Balance(e.f.Accounts["alice"].Address); !got.Equal(aliceBefore.SubRaw(jobFee)) {
		t.Fatalf("alice paid %s, want the fee %d", aliceBefore.Sub(got), jobFee)
	}
	if got := e.pending(prov.op.Address, rewardstypes.SourceJobs).Sub(provJobs); !got.Equal(split.Provider.AmountOf("usovra")) {
		t.Fatalf("provider earned %s, want its share %s", got, split.Provider)
	}
	if got := e.pending(v.op.Address, rewardstypes.SourceAudits).Sub(verAudits); !got.Equal(sdkmath.NewInt(jobFee)) {
		t.Fatalf("verifier earned %s from audits, want the job's fee %d", got, jobFee)
	}
	if got := e.pending(v.op.Address, rewardstypes.SourceBounties); !got.IsZero() {
		t.Fatalf("verifier earned a bounty %s on a pass", got)
	}
	if want := poolBefore.Add(split.VerificationPool.AmountOf("usovra")).SubRaw(jobFee); !e.poolBalance().Equal(want) {
		t.Fatalf("pool %s, want %s (+ share %s - fee %d)", e.poolBalance(), want, split.VerificationPool, jobFee)
	}
	pp, vp := e.provider("prov"), e.provider(v.name)
	if pp.AuditsPassed != 1 || pp.AuditsFailed != 0 || pp.AuditsMissed != 0 || !pp.Locked.IsZero() || pp.ActiveJobs != 0 ||
		!pp.Bond.Equal(coin(baseBond)) || pp.Status != providertypes.PROVIDER_STATUS_ACTIVE {
		t.Fatalf("provider after a pass: %+v", pp)
	}
	if vp.AuditsPassed != 1 || vp.AuditsFailed != 0 || vp.AuditsMissed != 0 || !vp.Bond.Equal(coin(v.spec.bond)) || !vp.Locked.IsZero() ||
		vp.OpenAudits != 0 || pp.OpenAudits != 0 {
		t.Fatalf("verifier after a pass: %+v", vp)
	}
	want := types.Stats{Decisions: uint64(tries), Audits: 1, Passes: 1}
	if s := e.stats(); s != want {
		t.Fatalf("stats %+v, want %+v", s, want)
	}
	if ok, _ := e.f.App.VerifyKeeper.PhaseQueue.Has(e.f.Ctx(), collectionsPairI64Of(a.PhaseDeadline, id)); ok {
		t.Fatal("a decided audit is still queued")
	}
}

// TestCheatingProviderIsSlashed: the provider commits a substitute model's result (its own
// trace follows the sampling rule, but its output and numbers are not the job's model's).
// The verifier re-scores and disagrees, so round 1 does not pass: the audit is ESCALATING
// at the end of the reveal block and, in the next block, draws escalation_k fresh
// verifiers of any hardware (never the provider's other address or the first verifier).
// The provider opens round 2, the majority fails it: slashed max(collateral,
// provider_slash_fraction × bond) and jailed, the submitter refunded the whole max_fee,
// every honest verifier paid the fee and an equal part of bounty_fraction of the slash,
// the rest burned. The collateral is collateral_multiplier × the provider's maximum
// charge for the job, not × max_fee.
func TestCheatingProviderIsSlashed(t *testing.T) {
	for _, tc := range []struct {
		name       string
		multiplier uint64
		slash      int64
	}{
		{"collateral below the bond fraction", 2, baseBond / 10},   // collateral 68,000
		{"collateral above the bond fraction", 40, 40 * maxCharge}, // collateral 1,360,000
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := defaultSetup()
			s.verify.CollateralMultiplier = tc.multiplier
			e := newEnv(t, s)
			const maxFee = 100_000
			id, aliceBefore, tries := e.auditedJob(maxFee, cheatResult)
			collateral := sdkmath.NewInt(int64(tc.multiplier) * maxCharge)
			if c := e.job(id).Collateral; !c.Equal(collateral) {
				t.Fatalf("collateral %s, want %d × price × (prompt bound + max tokens) = %s", c, tc.multiplier, collateral)
			}
			if l := e.provider("prov").Locked; !l.Equal(collateral) {
				t.Fatalf("provider locked %s, want the job's collateral %s", l, collateral)
			}
			a := e.audit(id)
			first := e.of(a.Verifiers[0].Operator)
			e.open(id)
			e.commitAll(id, a.Verifiers, e.honestFor(id))
			e.revealAll(id, true, a.Verifiers, e.honestFor(id))

			h := e.f.Height()
			a = e.audit(id)
			if a.Status != types.AUDIT_STATUS_ESCALATING || a.Round != 1 || a.PhaseDeadline != h+1 || len(a.Verifiers) != 1 {
				t.Fatalf("after a mismatch: %s round %d deadline %d with %d verifiers (height %d), want ESCALATING until %d",
					a.Status, a.Round, a.PhaseDeadline, len(a.Verifiers), h, h+1)
			}
			e.f.NextBlock()
			a = e.audit(id)
			if a.Status != types.AUDIT_STATUS_OPEN || a.Round != 2 || a.PhaseDeadline != h+1+3 || len(a.ChallengeSeeds) != 2 {
				t.Fatalf("the block after: %s round %d deadline %d (height %d), want round 2's open phase", a.Status, a.Round, a.PhaseDeadline, e.f.Height())
			}
			r2 := round(a, 2)
			if len(r2) != 3 {
				t.Fatalf("escalation drew %d verifiers, want escalation_k = 3", len(r2))
			}
			for _, v := range r2 {
				requireEvent(t, e, func(ev *types.EventAuditVerifier) bool {
					return ev.JobId == id && ev.Verifier == v.Operator && ev.Round == 2 && ev.Deadline == a.PhaseDeadline
				})
			}
			seen := map[string]bool{first.name: true}
			for _, v := range r2 {
				p := e.of(v.Operator)
				if seen[p.name] || p.name == "prov" || p.name == "sybil" {
					t.Fatalf("escalation drew %s (round-1 verifier %s)", p.name, first.name)
				}
				seen[p.name] = true
				if !v.Stake.Equal(sdkmath.NewInt(stakeOf(p))) {
					t.Fatalf("round-2 verifier %s stake %s, want %d", p.name, v.Stake, stakeOf(p))
				}
			}
			if j := e.job(id); j.Status != tasktypes.JOB_STATUS_AUDITING {
				t.Fatalf("job during escalation: %s", j.Status)
			}

			e.open(id)
			e.commitAll(id, r2, e.honestFor(id))
			if s := e.audit(id).Status; s != types.AUDIT_STATUS_REVEAL {
				t.Fatalf("round 2 after every commit: %s", s)
			}
			honest := append([]types.Verifier{a.Verifiers[0]}, r2...)
			before := map[string][2]sdkmath.Int{}
			for _, v := range honest {
				addr := e.of(v.Operator).op.Address
				before[v.Operator] = [2]sdkmath.Int{e.pending(addr, rewardstypes.SourceAudits), e.pending(addr, rewardstypes.SourceBounties)}
			}
			poolBefore, supplyBefore := e.poolBalance(), e.f.Supply()
			provJobs := e.pending(e.p("prov").op.Address, rewardstypes.SourceJobs)

			e.revealAll(id, false, r2, e.honestFor(id))
			h = e.f.Height()
			a, j := e.audit(id), e.job(id)
			if a.Status != types.AUDIT_STATUS_FAILED || a.VerdictHeight != h || !a.Slashed.Equal(coin(tc.slash)) {
				t.Fatalf("audit: %s at %d slashed %s, want FAILED at %d with %d", a.Status, a.VerdictHeight, a.Slashed, h, tc.slash)
			}
			requireEvent(t, e, func(ev *types.EventAuditVerdict) bool {
				return ev.JobId == id && ev.Provider == a.Provider && ev.Verdict == types.AUDIT_STATUS_FAILED &&
					ev.Slashed.Equal(coin(tc.slash)) && ev.Reason == a.Reason
			})
			requireEvent(t, e, func(ev *types.EventAuditPartySlashed) bool {
				return ev.Party == a.Provider && ev.Amount.Equal(sdkmath.NewInt(tc.slash))
			})
			if j.Status != tasktypes.JOB_STATUS_SLASHED || !j.Refunded.Equal(coin(maxFee)) || !j.FeePaid.IsZero() {
				t.Fatalf("job: %s refund %s fee %s", j.Status, j.Refunded, j.FeePaid)
			}
			if got := e.f.Balance(e.f.Accounts["alice"].Address); !got.Equal(aliceBefore) {
				t.Fatalf("alice has %s, want all of %s back", got, aliceBefore)
			}
			if got := e.pending(e.p("prov").op.Address, rewardstypes.SourceJobs); !got.Equal(provJobs) {
				t.Fatalf("the cheating provider was paid %s", got.Sub(provJobs))
			}
			pp := e.provider("prov")
			if !pp.Bond.Equal(coin(baseBond-tc.slash)) || pp.Status != providertypes.PROVIDER_STATUS_JAILED ||
				pp.JailedUntil != h+20 || pp.AuditsFailed != 1 || pp.AuditsPassed != 0 || !pp.Locked.IsZero() || pp.ActiveJobs != 0 ||
				pp.OpenAudits != 0 {
				t.Fatalf("provider after failing: %+v", pp)
			}
			bounty := bountyShare(tc.slash, 4)
			for _, v := range honest {
				p := e.of(v.Operator)
				vp := e.provider(p.name)
				if vp.AuditsPassed != 1 || !vp.Bond.Equal(coin(p.spec.bond)) || !vp.Locked.IsZero() || vp.OpenAudits != 0 {
					t.Fatalf("honest verifier %s: %+v", p.name, vp)
				}
				if got := e.pending(p.op.Address, rewardstypes.SourceAudits).Sub(before[v.Operator][0]); !got.Equal(sdkmath.NewInt(jobFee)) {
					t.Fatalf("verifier %s earned %s from audits, want %d", p.name, got, jobFee)
				}
				if got := e.pending(p.op.Address, rewardstypes.SourceBounties).Sub(before[v.Operator][1]); !got.Equal(bounty) {
					t.Fatalf("verifier %s earned a bounty of %s, want %s", p.name, got, bounty)
				}
			}
			if want := poolBefore.SubRaw(4 * jobFee); !e.poolBalance().Equal(want) {
				t.Fatalf("pool %s, want %s", e.poolBalance(), want)
			}
			burnt := sdkmath.NewInt(tc.slash).Sub(bounty.MulRaw(4))
			minted, burned, err := appfixture.MintedAndBurned(e.f.LastBlock)
			if err != nil {
				t.Fatal(err)
			}
			if !burned.Equal(burnt) {
				t.Fatalf("verdict block burned %s, want slash %d - bounties %s = %s", burned, tc.slash, bounty.MulRaw(4), burnt)
			}
			if want := supplyBefore.Add(minted).Sub(burnt); !e.f.Supply().Equal(want) {
				t.Fatalf("supply %s, want %s", e.f.Supply(), want)
			}
			want := types.Stats{Decisions: uint64(tries), Audits: 1, Failures: 1, Escalations: 1, ProviderSlashes: 1}
			if s := e.stats(); s != want {
				t.Fatalf("stats %+v, want %+v", s, want)
			}
			// The provider's other address never took part; neither did any provider the
			// draws did not pick.
			for _, n := range []string{"sybil", "alien", "v1", "v2", "v3", "v4", "v5"} {
				if seen[n] {
					continue
				}
				if p := e.provider(n); p.AuditsPassed+p.AuditsFailed+p.AuditsMissed != 0 || !p.Bond.Equal(coin(e.p(n).spec.bond)) || !p.Locked.IsZero() {
					t.Fatalf("%s took part: %+v", n, p)
				}
			}
		})
	}
}

// TestGriefingVerifierIsSlashed: on an honest job the verifier reveals a trace that
// contradicts the provider (every claimed token 3 nats below the top). The escalation's
// verifiers side with the provider, who is paid and not slashed; the griefer's trace is
// confirmed by nobody, so it loses its stake (verifier_slash_fraction of its bond; not
// jailed, not paid) and the three honest verifiers share half of it, the rest burns.
func TestGriefingVerifierIsSlashed(t *testing.T) {
	e := newEnv(t, defaultSetup())
	id, aliceBefore, tries := e.auditedJob(100_000, honestResult)
	a := e.audit(id)
	griefer := e.of(a.Verifiers[0].Operator)
	e.open(id)
	e.commitAll(id, a.Verifiers, e.dissentFor(id))
	e.revealAll(id, true, a.Verifiers, e.dissentFor(id))
	if s := e.audit(id).Status; s != types.AUDIT_STATUS_ESCALATING {
		t.Fatalf("after a dissent: %s, want ESCALATING", s)
	}
	e.f.NextBlock()
	r2 := round(e.audit(id), 2)
	if len(r2) != 3 {
		t.Fatalf("escalation drew %d verifiers", len(r2))
	}
	e.open(id)
	e.commitAll(id, r2, e.honestFor(id))
	rp, _ := e.f.App.RewardsKeeper.Params.Get(e.f.Ctx())
	split := rewardstypes.SplitFee(sdk.NewCoins(coin(jobFee)), rp)
	poolBefore := e.poolBalance()
	provJobs := e.pending(e.p("prov").op.Address, rewardstypes.SourceJobs)

	e.revealAll(id, false, r2, e.honestFor(id))
	a, j := e.audit(id), e.job(id)
	griefSlash := stakeOf(griefer)
	if a.Status != types.AUDIT_STATUS_PASSED || !a.Slashed.Equal(coin(griefSlash)) {
		t.Fatalf("audit: %s slashed %s (%s)", a.Status, a.Slashed, a.Reason)
	}
	if j.Status != tasktypes.JOB_STATUS_SETTLED || !j.FeePaid.Equal(coin(jobFee)) {
		t.Fatalf("job: %s fee %s", j.Status, j.FeePaid)
	}
	if got := e.f.Balance(e.f.Accounts["alice"].Address); !got.Equal(aliceBefore.SubRaw(jobFee)) {
		t.Fatalf("alice paid %s", aliceBefore.Sub(got))
	}
	if got := e.pending(e.p("prov").op.Address, rewardstypes.SourceJobs).Sub(provJobs); !got.Equal(split.Provider.AmountOf("usovra")) {
		t.Fatalf("provider earned %s, want %s", got, split.Provider)
	}
	pp := e.provider("prov")
	if !pp.Bond.Equal(coin(baseBond)) || pp.Status != providertypes.PROVIDER_STATUS_ACTIVE || pp.AuditsPassed != 1 || pp.AuditsFailed != 0 {
		t.Fatalf("honest provider: %+v", pp)
	}
	gp := e.provider(griefer.name)
	if !gp.Bond.Equal(coin(griefer.spec.bond-griefSlash)) || gp.Status != providertypes.PROVIDER_STATUS_ACTIVE || gp.AuditsFailed != 1 ||
		gp.AuditsPassed != 0 || !gp.Locked.IsZero() {
		t.Fatalf("griefer: %+v", gp)
	}
	if got := e.pending(griefer.op.Address, rewardstypes.SourceAudits); !got.IsZero() {
		t.Fatalf("griefer was paid %s", got)
	}
	bounty := bountyShare(griefSlash, 3)
	for _, v := range r2 {
		p := e.of(v.Operator)
		if got := e.pending(p.op.Address, rewardstypes.SourceBounties); !got.Equal(bounty) {
			t.Fatalf("verifier %s bounty %s, want %s", p.name, got, bounty)
		}
		if got := e.pending(p.op.Address, rewardstypes.SourceAudits); !got.Equal(sdkmath.NewInt(jobFee)) {
			t.Fatalf("verifier %s pay %s", p.name, got)
		}
		if vp := e.provider(p.name); !vp.Bond.Equal(coin(p.spec.bond)) || vp.AuditsPassed != 1 || !vp.Locked.IsZero() {
			t.Fatalf("honest verifier %s: %+v", p.name, vp)
		}
	}
	if _, burned, _ := appfixture.MintedAndBurned(e.f.LastBlock); !burned.Equal(sdkmath.NewInt(griefSlash).Sub(bounty.MulRaw(3))) {
		t.Fatalf("burned %s, want %s", burned, sdkmath.NewInt(griefSlash).Sub(bounty.MulRaw(3)))
	}
	if want := poolBefore.Add(split.VerificationPool.AmountOf("usovra")).SubRaw(3 * jobFee); !e.poolBalance().Equal(want) {
		t.Fatalf("pool %s, want %s", e.poolBalance(), want)
	}
	want := types.Stats{Decisions: uint64(tries), Audits: 1, Passes: 1, Escalations: 1, VerifierSlashes: 1}
	if s := e.stats(); s != want {
		t.Fatalf("stats %+v, want %+v", s, want)
	}
}

// TestMismatchTieIsNoPass: "mismatch is never a pass" (DESIGN.md, Lessons). A cheating
// provider against one honest verifier, with no escalation verifier to break the tie
// (the drawn ones stay silent after the opening, or the only other operator left the
// model after the decision), must not settle and be paid: the audit is UNDECIDED, the
// submitter refunded, nobody convicted, and the honest verifier neither slashed nor unpaid.
func TestMismatchTieIsNoPass(t *testing.T) {
	for _, tc := range []struct {
		name      string
		providers []providerSpec
	}{
		{"escalation verifiers stay silent", defaultProviders()},
		{"nobody left to escalate to", []providerSpec{
			{name: "prov", profile: cpuProfile, bond: baseBond, price: cheapPrice, models: []string{testModel, soloModel}},
			{name: "v1", profile: gpuProfile, bond: baseBond, price: dearPrice},
			{name: "v2", profile: cpuProfile, bond: baseBond, price: dearPrice},
			{name: "v3", profile: cpuProfile, bond: baseBond, price: dearPrice},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := defaultSetup()
			s.providers = tc.providers
			e := newEnv(t, s)
			id, aliceBefore, _ := e.auditedJob(100_000, cheatResult)
			a := e.audit(id)
			honest := e.of(a.Verifiers[0].Operator)
			if len(tc.providers) == 4 {
				// The operators that were not drawn leave the model: nobody is left for round 2.
				var txs []tx
				for _, n := range []string{"v1", "v2", "v3"} {
					if other := e.p(n); other != honest {
						txs = append(txs, tx{other.op, []sdk.Msg{&providertypes.MsgUpdateProvider{Operator: other.op.Address.String(), Models: []string{soloModel}}}})
					}
				}
				e.mustBlock(txs...)
			}
			e.open(id)
			e.commitAll(id, a.Verifiers, e.honestFor(id))
			e.revealAll(id, true, a.Verifiers, e.honestFor(id))
			e.f.NextBlock() // the escalation's draw
			var silent []types.Verifier
			if a = e.audit(id); a.Round == 2 {
				silent = round(a, 2)
				e.open(id)
				e.advanceTo(e.audit(id).PhaseDeadline) // the escalation verifiers never commit
			}
			a = e.audit(id)
			if a.Status.IsOpen() {
				t.Fatalf("audit still open: %+v", a)
			}
			j := e.job(id)
			t.Logf("provider %x vs verifier %s %x: audit %s (%s), job %s, provider bond %s, verifier bond %s",
				a.ProviderHash[:4], honest.name, a.Verifiers[0].OutputHash[:4], a.Status, a.Reason, j.Status, e.provider("prov").Bond, e.provider(honest.name).Bond)
			if a.Status == types.AUDIT_STATUS_PASSED || j.Status == tasktypes.JOB_STATUS_SETTLED {
				t.Errorf("a 1-1 mismatch passed the provider: audit %s, job %s paid %s", a.Status, j.Status, j.FeePaid)
			}
			if a.Status != types.AUDIT_STATUS_UNDECIDED || j.Status != tasktypes.JOB_STATUS_FAILED || !j.Refunded.Equal(coin(100_000)) {
				t.Errorf("a 1-1 mismatch: audit %s job %s refund %s, want UNDECIDED and the job refunded", a.Status, j.Status, j.Refunded)
			}
			if got := e.f.Balance(e.f.Accounts["alice"].Address); !got.Equal(aliceBefore) {
				t.Errorf("alice has %s, want all of %s back", got, aliceBefore)
			}
			if got := e.pending(e.p("prov").op.Address, rewardstypes.SourceJobs); !got.IsZero() {
				t.Errorf("the provider that disagreed with the only verifier was paid %s", got)
			}
			if pp := e.provider("prov"); !pp.Bond.Equal(coin(baseBond)) || pp.Status != providertypes.PROVIDER_STATUS_ACTIVE || !pp.Locked.IsZero() {
				t.Errorf("nobody is convicted on a tie, the provider was: %+v", pp)
			}
			if vp := e.provider(honest.name); !vp.Bond.Equal(coin(honest.spec.bond)) || !vp.Locked.IsZero() {
				t.Errorf("the honest verifier was slashed: %+v", vp)
			}
			if got := e.pending(honest.op.Address, rewardstypes.SourceAudits); !got.Equal(sdkmath.NewInt(jobFee)) {
				t.Errorf("the honest verifier earned %s, want the fee %d", got, jobFee)
			}
			var silentSlash int64
			for _, v := range silent {
				p := e.of(v.Operator)
				silentSlash += stakeOf(p)
				if vp := e.provider(p.name); !vp.Bond.Equal(coin(p.spec.bond-stakeOf(p))) || vp.AuditsMissed != 1 {
					t.Errorf("silent escalation verifier %s: %+v", p.name, vp)
				}
			}
			if !a.Slashed.Equal(coin(silentSlash)) {
				t.Errorf("slashed %s, want the silent verifiers' stakes %d", a.Slashed, silentSlash)
			}
			if got := e.pending(honest.op.Address, rewardstypes.SourceBounties); !got.Equal(bountyShare(silentSlash, 1)) {
				t.Errorf("the honest verifier's bounty %s, want %s", got, bountyShare(silentSlash, 1))
			}
			if st := e.stats(); st.Undecided != 1 || st.Failures != 0 || st.Passes != 0 || st.ProviderSlashes != 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// requireEvent asserts that the last block emitted an x/verify event of type T for which
// match holds: a block event or one of its transactions', decoded as a client decodes them.
func requireEvent[T proto.Message](t *testing.T, e *env, match func(T) bool) {
	t.Helper()
	events := slices.Clone(e.f.LastBlock.Events)
	for _, tx := range e.f.LastBlock.TxResults {
		events = append(events, tx.Events...)
	}
	evs, err := types.ParseEvents(events)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if ev, ok := ev.(T); ok && match(ev) {
			return
		}
	}
	var zero T
	t.Fatalf("block %d: no matching %T in %v", e.f.Height(), zero, evs)
}
