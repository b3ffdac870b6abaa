package keeper_test

import (
	"bytes"
	"testing"

	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/testutil/appfixture"
	providertypes "github.com/sovra-network/sovra/x/provider/types"
	rewardstypes "github.com/sovra-network/sovra/x/rewards/types"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	"github.com/sovra-network/sovra/x/verify/types"
)

// TestAuditPasses: the provider and the drawn verifier reveal the same hash. The job
// settles with the x/rewards split, the verifier earns exactly the job's fee from the
// verification pool (source "audits"), both count a passed audit, and the stats agree.
func TestAuditPasses(t *testing.T) {
	e := newEnv(t, defaultSetup())
	id, aliceBefore, tries := e.auditedJob(100_000, honestHash)
	prov := e.p("prov")

	a := e.audit(id)
	j := e.job(id)
	if a.Status != types.AUDIT_STATUS_COMMIT || a.Round != 1 || a.Provider != prov.op.Address.String() ||
		a.ModelId != testModel || a.Profile != cpuProfile || a.DecisionHeight != j.DecisionHeight ||
		a.PhaseDeadline != a.DecisionHeight+3 || a.WeakBeacon || !a.Pay.Equal(coin(jobFee)) || len(a.Verifiers) != 1 {
		t.Fatalf("audit after the decision: %+v (job decided at %d)", a, j.DecisionHeight)
	}
	v := e.of(a.Verifiers[0].Operator)
	if v.spec.profile != cpuProfile || v.name == "prov" || v.name == "sybil" {
		t.Fatalf("verifier %s drawn for prov's job", v.name)
	}
	if ok, _ := e.f.App.VerifyKeeper.PhaseQueue.Has(e.f.Ctx(), collectionsPairI64Of(a.PhaseDeadline, id)); !ok {
		t.Fatal("commit phase not queued at its deadline")
	}

	e.commitAll(id, a.Verifiers, honestFor(id))
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

	e.revealAll(id, true, a.Verifiers, honestFor(id))
	a, j = e.audit(id), e.job(id)
	if a.Status != types.AUDIT_STATUS_PASSED || a.VerdictHeight != e.f.Height() || !a.Slashed.IsZero() ||
		!a.ProviderRevealed || !bytes.Equal(a.ProviderHash, honestHash(id)) || !a.Verifiers[0].Revealed {
		t.Fatalf("audit after the reveals: %+v", a)
	}
	if j.Status != tasktypes.JOB_STATUS_SETTLED || !j.FeePaid.Equal(coin(jobFee)) || !j.Refunded.Equal(coin(100_000-jobFee)) {
		t.Fatalf("job: %s fee %s refund %s", j.Status, j.FeePaid, j.Refunded)
	}
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
	if vp.AuditsPassed != 1 || vp.AuditsFailed != 0 || vp.AuditsMissed != 0 || !vp.Bond.Equal(coin(baseBond)) {
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

// TestCheatingProviderIsSlashed: the provider reveals a hash that opens its commitment but
// differs from the verifier's. The audit escalates to escalation_k fresh verifiers of the
// profile (never the provider's other address, the first verifier or another profile);
// the majority fails the provider: slashed max(collateral, provider_slash_fraction ×
// bond) and jailed, the submitter refunded the whole max_fee, every honest verifier paid
// the fee and an equal part of bounty_fraction of the slash, the rest burned.
func TestCheatingProviderIsSlashed(t *testing.T) {
	for _, tc := range []struct {
		name   string
		maxFee int64
		slash  int64
	}{
		{"collateral below the bond fraction", 100_000, baseBond / 10}, // collateral 200,000
		{"collateral above the bond fraction", 1_000_000, 2_000_000},   // collateral 2,000,000
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, defaultSetup())
			id, aliceBefore, tries := e.auditedJob(tc.maxFee, wrongHash)
			if c := e.job(id).Collateral; !c.Equal(sdkmath.NewInt(2 * tc.maxFee)) {
				t.Fatalf("collateral %s, want 2 × max_fee", c)
			}
			a := e.audit(id)
			first := e.of(a.Verifiers[0].Operator)
			e.commitAll(id, a.Verifiers, honestFor(id))
			e.revealAll(id, true, a.Verifiers, honestFor(id))

			a = e.audit(id)
			if a.Status != types.AUDIT_STATUS_COMMIT || a.Round != 2 || a.PhaseDeadline != e.f.Height()+3 {
				t.Fatalf("after a mismatch: %s round %d deadline %d (height %d), want round 2's commit phase", a.Status, a.Round, a.PhaseDeadline, e.f.Height())
			}
			r2 := round(a, 2)
			if len(r2) != 3 {
				t.Fatalf("escalation drew %d verifiers, want escalation_k = 3", len(r2))
			}
			seen := map[string]bool{first.name: true}
			for _, v := range r2 {
				p := e.of(v.Operator)
				if seen[p.name] || p.name == "prov" || p.name == "sybil" || p.spec.profile != cpuProfile {
					t.Fatalf("escalation drew %s (round-1 verifier %s)", p.name, first.name)
				}
				seen[p.name] = true
			}
			if j := e.job(id); j.Status != tasktypes.JOB_STATUS_AUDITING {
				t.Fatalf("job during escalation: %s", j.Status)
			}

			e.commitAll(id, r2, honestFor(id))
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

			e.revealAll(id, false, r2, honestFor(id))
			h := e.f.Height()
			a, j := e.audit(id), e.job(id)
			if a.Status != types.AUDIT_STATUS_FAILED || a.VerdictHeight != h || !a.Slashed.Equal(coin(tc.slash)) {
				t.Fatalf("audit: %s at %d slashed %s, want FAILED at %d with %d", a.Status, a.VerdictHeight, a.Slashed, h, tc.slash)
			}
			if j.Status != tasktypes.JOB_STATUS_SLASHED || !j.Refunded.Equal(coin(tc.maxFee)) || !j.FeePaid.IsZero() {
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
				pp.JailedUntil != h+20 || pp.AuditsFailed != 1 || pp.AuditsPassed != 0 || !pp.Locked.IsZero() || pp.ActiveJobs != 0 {
				t.Fatalf("provider after failing: %+v", pp)
			}
			bounty := dec("0.50").MulInt64(tc.slash).TruncateInt().QuoRaw(4)
			for _, v := range honest {
				p := e.of(v.Operator)
				vp := e.provider(p.name)
				if vp.AuditsPassed != 1 || !vp.Bond.Equal(coin(baseBond)) {
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
			// Jailed: no new job is assigned to it; its other address and the other
			// profile are untouched.
			for _, n := range []string{"sybil", "alien"} {
				if p := e.provider(n); p.AuditsPassed+p.AuditsFailed+p.AuditsMissed != 0 || !p.Bond.Equal(coin(bigBond)) {
					t.Fatalf("%s took part: %+v", n, p)
				}
			}
		})
	}
}

// TestGriefingVerifierIsSlashed: on an honest job the verifier reveals a wrong hash. The
// escalation's majority sides with the provider, who is paid and not slashed; the
// griefer loses verifier_slash_fraction of its bond (not jailed, not paid) and the three
// honest verifiers share half of it, the rest burns.
func TestGriefingVerifierIsSlashed(t *testing.T) {
	e := newEnv(t, defaultSetup())
	id, aliceBefore, tries := e.auditedJob(100_000, honestHash)
	a := e.audit(id)
	griefer := e.of(a.Verifiers[0].Operator)
	e.commitAll(id, a.Verifiers, func(*party) []byte { return wrongHash(id) })
	e.revealAll(id, true, a.Verifiers, func(*party) []byte { return wrongHash(id) })
	r2 := round(e.audit(id), 2)
	if len(r2) != 3 {
		t.Fatalf("escalation drew %d verifiers", len(r2))
	}
	e.commitAll(id, r2, honestFor(id))
	rp, _ := e.f.App.RewardsKeeper.Params.Get(e.f.Ctx())
	split := rewardstypes.SplitFee(sdk.NewCoins(coin(jobFee)), rp)
	poolBefore := e.poolBalance()
	provJobs := e.pending(e.p("prov").op.Address, rewardstypes.SourceJobs)

	e.revealAll(id, false, r2, honestFor(id))
	a, j := e.audit(id), e.job(id)
	const griefSlash = baseBond * 2 / 100
	if a.Status != types.AUDIT_STATUS_PASSED || !a.Slashed.Equal(coin(griefSlash)) {
		t.Fatalf("audit: %s slashed %s", a.Status, a.Slashed)
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
	if !gp.Bond.Equal(coin(baseBond-griefSlash)) || gp.Status != providertypes.PROVIDER_STATUS_ACTIVE || gp.AuditsFailed != 1 || gp.AuditsPassed != 0 {
		t.Fatalf("griefer: %+v", gp)
	}
	if got := e.pending(griefer.op.Address, rewardstypes.SourceAudits); !got.IsZero() {
		t.Fatalf("griefer was paid %s", got)
	}
	bounty := sdkmath.NewInt(griefSlash / 2).QuoRaw(3) // 33,333 each
	for _, v := range r2 {
		p := e.of(v.Operator)
		if got := e.pending(p.op.Address, rewardstypes.SourceBounties); !got.Equal(bounty) {
			t.Fatalf("verifier %s bounty %s, want %s", p.name, got, bounty)
		}
		if got := e.pending(p.op.Address, rewardstypes.SourceAudits); !got.Equal(sdkmath.NewInt(jobFee)) {
			t.Fatalf("verifier %s pay %s", p.name, got)
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
// (the drawn ones stay silent, or none is eligible), must not settle and be paid.
func TestMismatchTieIsNoPass(t *testing.T) {
	for _, tc := range []struct {
		name      string
		providers []providerSpec
	}{
		{"escalation verifiers stay silent", defaultProviders()},
		{"nobody left to escalate to", []providerSpec{
			{name: "prov", profile: cpuProfile, bond: baseBond, price: cheapPrice, models: []string{testModel, soloModel}},
			{name: "v1", profile: cpuProfile, bond: baseBond, price: dearPrice},
			{name: "alien", profile: gpuProfile, bond: bigBond, price: dearPrice},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := defaultSetup()
			s.providers = tc.providers
			e := newEnv(t, s)
			id, _, _ := e.auditedJob(100_000, wrongHash)
			a := e.audit(id)
			honest := e.of(a.Verifiers[0].Operator)
			e.commitAll(id, a.Verifiers, honestFor(id))
			e.revealAll(id, true, a.Verifiers, honestFor(id))
			if a = e.audit(id); a.Round == 2 {
				e.advanceTo(a.PhaseDeadline) // the escalation verifiers never commit
			}
			a = e.audit(id)
			if a.Status == types.AUDIT_STATUS_COMMIT || a.Status == types.AUDIT_STATUS_REVEAL {
				t.Fatalf("audit still open: %+v", a)
			}
			j := e.job(id)
			t.Logf("provider %x vs verifier %s %x: audit %s, job %s, provider bond %s, verifier bond %s",
				a.ProviderHash[:4], honest.name, a.Verifiers[0].OutputHash[:4], a.Status, j.Status, e.provider("prov").Bond, e.provider(honest.name).Bond)
			if a.Status == types.AUDIT_STATUS_PASSED || j.Status == tasktypes.JOB_STATUS_SETTLED {
				t.Errorf("a 1-1 mismatch passed the provider: audit %s, job %s paid %s", a.Status, j.Status, j.FeePaid)
			}
			if got := e.pending(e.p("prov").op.Address, rewardstypes.SourceJobs); !got.IsZero() {
				t.Errorf("the provider that disagreed with the only verifier was paid %s", got)
			}
			if vp := e.provider(honest.name); !vp.Bond.Equal(coin(baseBond)) {
				t.Errorf("the honest verifier was slashed: %+v", vp)
			}
		})
	}
}
