package keeper_test

import (
	"testing"

	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/testutil/appfixture"

	providertypes "github.com/sovra-network/sovra/x/provider/types"
	rewardstypes "github.com/sovra-network/sovra/x/rewards/types"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	"github.com/sovra-network/sovra/x/verify/types"
)

// TestSilentPartiesCountAsWrong: a party that does not commit or reveal in time counts as
// wrong, and every audit ends by its deadlines. A silent verifier loses
// verifier_slash_fraction of its bond and counts audits_missed, and its silence is no pass:
// the audit escalates and the fresh verifiers decide. A provider that does not reveal
// fails (slashed, jailed, audits_missed, submitter refunded).
func TestSilentPartiesCountAsWrong(t *testing.T) {
	const verifierSlash = baseBond * 2 / 100
	const providerSlash = baseBond / 10 // collateral 200,000 is below 10% of the bond
	for _, tc := range []struct {
		name                             string
		verifierCommits, verifierReveals bool
		providerReveals                  bool
	}{
		{"verifier never commits", false, false, true},
		{"verifier never reveals", true, false, true},
		{"provider never reveals", true, true, false},
		{"nobody acts", false, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, defaultSetup())
			id, aliceBefore, _ := e.auditedJob(100_000, honestHash)
			a := e.audit(id)
			silent := e.of(a.Verifiers[0].Operator)
			commitEnd := a.PhaseDeadline
			if tc.verifierCommits {
				e.commitAll(id, a.Verifiers, honestFor(id))
			} else {
				// The commit phase ends at the end of its deadline block, not earlier.
				e.advanceTo(commitEnd - 1)
				if s := e.audit(id).Status; s != types.AUDIT_STATUS_COMMIT {
					t.Fatalf("height %d, commit deadline %d: %s", e.f.Height(), commitEnd, s)
				}
				e.f.NextBlock()
				a = e.audit(id)
				if a.Status != types.AUDIT_STATUS_REVEAL || a.PhaseDeadline != commitEnd+3 {
					t.Fatalf("after the commit deadline: %s deadline %d, want REVEAL until %d", a.Status, a.PhaseDeadline, commitEnd+3)
				}
			}
			revealEnd := e.audit(id).PhaseDeadline
			var txs []tx
			if tc.providerReveals {
				txs = append(txs, tx{e.p("prov").worker, []sdk.Msg{e.providerReveal(id)}})
			}
			if tc.verifierReveals {
				txs = append(txs, tx{silent.worker, []sdk.Msg{e.revealMsg(silent, id, honestHash(id))}})
			}
			if len(txs) > 0 {
				e.mustBlock(txs...)
			}
			if tc.providerReveals && !tc.verifierCommits {
				// Nobody else can reveal: round 1 resolves at once, into an escalation.
				if a := e.audit(id); a.Round != 2 || a.Status != types.AUDIT_STATUS_COMMIT {
					t.Fatalf("provider revealed, verifier silent: round %d %s, want round 2", a.Round, a.Status)
				}
			} else {
				e.advanceTo(revealEnd - 1)
				if a := e.audit(id); a.Status != types.AUDIT_STATUS_REVEAL || a.Round != 1 {
					t.Fatalf("height %d, reveal deadline %d: round %d %s", e.f.Height(), revealEnd, a.Round, a.Status)
				}
				e.f.NextBlock()
			}

			a = e.audit(id)
			if tc.providerReveals {
				// The silent verifier is no pass: round 2 decides, without it.
				r2 := round(a, 2)
				if a.Round != 2 || len(r2) != 3 {
					t.Fatalf("after round 1: round %d with %d new verifiers, want an escalation", a.Round, len(r2))
				}
				for _, v := range r2 {
					if v.Operator == silent.op.Address.String() {
						t.Fatal("the silent verifier was drawn again")
					}
				}
				e.commitAll(id, r2, honestFor(id))
				e.revealAll(id, false, r2, honestFor(id))
				a = e.audit(id)
				if a.Status != types.AUDIT_STATUS_PASSED || e.job(id).Status != tasktypes.JOB_STATUS_SETTLED {
					t.Fatalf("honest provider with a silent verifier: audit %s job %s", a.Status, e.job(id).Status)
				}
				if pp := e.provider("prov"); !pp.Bond.Equal(coin(baseBond)) || pp.AuditsPassed != 1 {
					t.Fatalf("honest provider: %+v", pp)
				}
			} else {
				if a.Status != types.AUDIT_STATUS_FAILED || a.Round != 1 || a.VerdictHeight != revealEnd {
					t.Fatalf("provider silent: %s round %d verdict at %d, want FAILED in round 1 at %d", a.Status, a.Round, a.VerdictHeight, revealEnd)
				}
				j := e.job(id)
				if j.Status != tasktypes.JOB_STATUS_SLASHED || !j.Refunded.Equal(coin(100_000)) {
					t.Fatalf("job: %s refund %s", j.Status, j.Refunded)
				}
				if got := e.f.Balance(e.f.Accounts["alice"].Address); !got.Equal(aliceBefore) {
					t.Fatalf("alice has %s, want %s", got, aliceBefore)
				}
				pp := e.provider("prov")
				if !pp.Bond.Equal(coin(baseBond-providerSlash)) || pp.Status != providertypes.PROVIDER_STATUS_JAILED ||
					pp.AuditsMissed != 1 || pp.AuditsFailed != 0 || !pp.Locked.IsZero() {
					t.Fatalf("silent provider: %+v", pp)
				}
			}

			vp := e.provider(silent.name)
			paid := e.pending(silent.op.Address, rewardstypes.SourceAudits)
			bounty := e.pending(silent.op.Address, rewardstypes.SourceBounties)
			if tc.verifierReveals {
				if !vp.Bond.Equal(coin(baseBond)) || vp.AuditsPassed != 1 || !paid.Equal(sdkmath.NewInt(jobFee)) ||
					!bounty.Equal(sdkmath.NewInt(providerSlash/2)) {
					t.Fatalf("honest verifier against a silent provider: %+v paid %s bounty %s", vp, paid, bounty)
				}
			} else {
				if !vp.Bond.Equal(coin(baseBond-verifierSlash)) || vp.AuditsMissed != 1 || vp.AuditsFailed != 0 ||
					vp.Status != providertypes.PROVIDER_STATUS_ACTIVE || !paid.IsZero() || !bounty.IsZero() {
					t.Fatalf("silent verifier: %+v paid %s bounty %s", vp, paid, bounty)
				}
			}
			s := e.stats()
			switch {
			case !tc.providerReveals && !tc.verifierReveals:
				// Nobody on the winning side: both slashes burn.
				if _, burned, _ := appfixture.MintedAndBurned(e.f.LastBlock); !burned.Equal(sdkmath.NewInt(providerSlash + verifierSlash)) {
					t.Fatalf("burned %s, want %d", burned, providerSlash+verifierSlash)
				}
				if !a.Slashed.Equal(coin(providerSlash+verifierSlash)) || s.ProviderSlashes != 1 || s.VerifierSlashes != 1 || s.Failures != 1 {
					t.Fatalf("audit slashed %s, stats %+v", a.Slashed, s)
				}
			case !tc.providerReveals:
				if s.ProviderSlashes != 1 || s.VerifierSlashes != 0 || s.Failures != 1 || s.Escalations != 0 {
					t.Fatalf("stats %+v", s)
				}
			default:
				if s.ProviderSlashes != 0 || s.VerifierSlashes != 1 || s.Passes != 1 || s.Escalations != 1 {
					t.Fatalf("stats %+v", s)
				}
			}
			if has, _ := e.f.App.VerifyKeeper.PhaseQueue.Has(e.f.Ctx(), collectionsPairI64Of(a.PhaseDeadline, id)); has {
				t.Fatal("a decided audit is still queued")
			}
		})
	}
}

// TestVerdictAfterVerifierLeft: a drawn verifier may unbond at once (it locks nothing)
// and be gone, past x/provider's departed window, by the verdict. The verdict must still
// happen; an error there refuses the last reveal and, at the phase deadline, fails the
// EndBlocker, which halts the chain.
func TestVerdictAfterVerifierLeft(t *testing.T) {
	s := defaultSetup()
	s.unbondingPeriod = 1 // gone one block after unbonding, forgotten one block later
	e := newEnv(t, s)
	id, _, _ := e.auditedJob(100_000, honestHash)
	a := e.audit(id)
	leaver := e.of(a.Verifiers[0].Operator)
	e.mustBlock(tx{leaver.op, []sdk.Msg{&providertypes.MsgUnbond{Operator: leaver.op.Address.String()}}})
	e.f.NextBlock()
	e.f.NextBlock()
	if _, err := e.f.App.ProviderKeeper.GetProvider(e.f.Ctx(), leaver.op.Address); err == nil {
		t.Fatal("the verifier has not left")
	}
	e.advanceTo(a.PhaseDeadline) // it never commits
	e.mustBlock(tx{e.p("prov").worker, []sdk.Msg{e.providerReveal(id)}})
	r2 := round(e.audit(id), 2)
	if len(r2) != 3 {
		t.Fatalf("escalation drew %d", len(r2))
	}
	e.commitAll(id, r2, honestFor(id))
	var txs []tx
	for _, v := range r2 {
		p := e.of(v.Operator)
		txs = append(txs, tx{p.worker, []sdk.Msg{e.revealMsg(p, id, honestHash(id))}})
	}
	res := e.block(txs...)
	if last := res[len(res)-1]; last.Code != 0 {
		t.Errorf("the reveal that completes the audit was refused because a verifier left: %s", last.Log)
		e.advanceTo(e.audit(id).PhaseDeadline) // FinalizeBlock fails here today
	}
	if a := e.audit(id); a.Status != types.AUDIT_STATUS_PASSED {
		t.Fatalf("audit: %s", a.Status)
	}
}
