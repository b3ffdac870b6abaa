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

// TestSilentPartiesCountAsWrong: a party that does not act in time counts as wrong, and
// every audit ends by its deadlines. A provider that does not open the claimed output to
// its verifiers fails at the end of the OPEN phase (slashed, jailed, audits_missed,
// submitter refunded), and the verifiers it never opened to are neither paid nor slashed
// (their stake is released). A silent verifier (after an opening) loses its stake,
// verifier_slash_fraction of its bond, and counts audits_missed, and its silence is no
// pass: the audit escalates in the next block and the fresh verifiers decide. A provider
// that does not reveal fails.
func TestSilentPartiesCountAsWrong(t *testing.T) {
	const providerSlash = baseBond / 10 // collateral 68,000 is below 10% of the bond
	for _, tc := range []struct {
		name                             string
		providerOpens                    bool
		verifierCommits, verifierReveals bool
		providerReveals                  bool
	}{
		{"provider never opens", false, false, false, false},
		{"verifier never commits", true, false, false, true},
		{"verifier never reveals", true, true, false, true},
		{"provider never reveals", true, true, true, false},
		{"nobody acts after the opening", true, false, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, defaultSetup())
			id, aliceBefore, _ := e.auditedJob(100_000, honestResult)
			a := e.audit(id)
			silent := e.of(a.Verifiers[0].Operator)
			verifierSlash := stakeOf(silent)
			openEnd := a.PhaseDeadline
			if !tc.providerOpens {
				// The open phase ends at the end of its deadline block, not earlier.
				e.advanceTo(openEnd - 1)
				if s := e.audit(id).Status; s != types.AUDIT_STATUS_OPEN {
					t.Fatalf("height %d, open deadline %d: %s", e.f.Height(), openEnd, s)
				}
				if vp := e.provider(silent.name); !vp.Locked.Equal(sdkmath.NewInt(verifierSlash)) || vp.OpenAudits != 1 {
					t.Fatalf("drawn verifier before the verdict: %+v, want its stake %d locked", vp, verifierSlash)
				}
				e.f.NextBlock()
				a = e.audit(id)
				if a.Status != types.AUDIT_STATUS_FAILED || a.VerdictHeight != openEnd || len(a.Verifiers[0].Opening) != 0 {
					t.Fatalf("after the open deadline: %s at %d, want FAILED at %d", a.Status, a.VerdictHeight, openEnd)
				}
			} else {
				e.open(id)
				a = e.audit(id)
				commitEnd := a.PhaseDeadline
				if tc.verifierCommits {
					e.commitAll(id, a.Verifiers, e.honestFor(id))
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
					txs = append(txs, tx{silent.worker, []sdk.Msg{e.revealMsg(silent, id, e.honestFor(id)(silent))}})
				}
				if len(txs) > 0 {
					e.mustBlock(txs...)
				}
				if tc.providerReveals && !tc.verifierCommits {
					// Nobody else can reveal: round 1 resolves at once, into an escalation
					// drawn in the next block.
					if a := e.audit(id); a.Round != 1 || a.Status != types.AUDIT_STATUS_ESCALATING || a.PhaseDeadline != e.f.Height()+1 {
						t.Fatalf("provider revealed, verifier silent: round %d %s, want ESCALATING", a.Round, a.Status)
					}
				} else {
					e.advanceTo(revealEnd - 1)
					if a := e.audit(id); a.Status != types.AUDIT_STATUS_REVEAL || a.Round != 1 {
						t.Fatalf("height %d, reveal deadline %d: round %d %s", e.f.Height(), revealEnd, a.Round, a.Status)
					}
					e.f.NextBlock()
					if a := e.audit(id); tc.providerReveals && (a.Status != types.AUDIT_STATUS_ESCALATING || a.PhaseDeadline != revealEnd+1) {
						t.Fatalf("at the reveal deadline, a verifier silent: %s deadline %d, want ESCALATING until %d", a.Status, a.PhaseDeadline, revealEnd+1)
					}
				}
				if tc.providerReveals {
					e.f.NextBlock() // the escalation's draw
				}

				a = e.audit(id)
				if tc.providerReveals {
					// The silent verifier is no pass: round 2 decides, without it.
					r2 := round(a, 2)
					if a.Round != 2 || a.Status != types.AUDIT_STATUS_OPEN || len(r2) != 3 {
						t.Fatalf("after round 1: round %d %s with %d new verifiers, want an escalation", a.Round, a.Status, len(r2))
					}
					for _, v := range r2 {
						if v.Operator == silent.op.Address.String() {
							t.Fatal("the silent verifier was drawn again")
						}
					}
					e.open(id)
					e.commitAll(id, r2, e.honestFor(id))
					e.revealAll(id, false, r2, e.honestFor(id))
					a = e.audit(id)
					if a.Status != types.AUDIT_STATUS_PASSED || e.job(id).Status != tasktypes.JOB_STATUS_SETTLED {
						t.Fatalf("honest provider with a silent verifier: audit %s job %s", a.Status, e.job(id).Status)
					}
					if pp := e.provider("prov"); !pp.Bond.Equal(coin(baseBond)) || pp.AuditsPassed != 1 {
						t.Fatalf("honest provider: %+v", pp)
					}
				} else if a.Status != types.AUDIT_STATUS_FAILED || a.Round != 1 || a.VerdictHeight != revealEnd {
					t.Fatalf("provider silent: %s round %d verdict at %d, want FAILED in round 1 at %d", a.Status, a.Round, a.VerdictHeight, revealEnd)
				}
			}
			if !tc.providerReveals {
				j := e.job(id)
				if j.Status != tasktypes.JOB_STATUS_SLASHED || !j.Refunded.Equal(coin(100_000)) || !j.FeePaid.IsZero() {
					t.Fatalf("job: %s refund %s", j.Status, j.Refunded)
				}
				if got := e.f.Balance(e.f.Accounts["alice"].Address); !got.Equal(aliceBefore) {
					t.Fatalf("alice has %s, want %s", got, aliceBefore)
				}
				pp := e.provider("prov")
				if !pp.Bond.Equal(coin(baseBond-providerSlash)) || pp.Status != providertypes.PROVIDER_STATUS_JAILED ||
					pp.AuditsMissed != 1 || pp.AuditsFailed != 0 || !pp.Locked.IsZero() || pp.OpenAudits != 0 {
					t.Fatalf("silent provider: %+v", pp)
				}
				if got := e.pending(e.p("prov").op.Address, rewardstypes.SourceJobs); !got.IsZero() {
					t.Fatalf("silent provider paid %s", got)
				}
			}

			vp := e.provider(silent.name)
			paid := e.pending(silent.op.Address, rewardstypes.SourceAudits)
			bounty := e.pending(silent.op.Address, rewardstypes.SourceBounties)
			switch {
			case !tc.providerOpens:
				if !vp.Bond.Equal(coin(silent.spec.bond)) || vp.AuditsPassed+vp.AuditsFailed+vp.AuditsMissed != 0 ||
					!vp.Locked.IsZero() || vp.OpenAudits != 0 || !paid.IsZero() || !bounty.IsZero() {
					t.Fatalf("verifier never opened to: %+v paid %s bounty %s, want neither paid nor slashed", vp, paid, bounty)
				}
			case tc.verifierReveals:
				if !vp.Bond.Equal(coin(silent.spec.bond)) || vp.AuditsPassed != 1 || !paid.Equal(sdkmath.NewInt(jobFee)) ||
					!bounty.Equal(bountyShare(providerSlash, 1)) || !vp.Locked.IsZero() {
					t.Fatalf("honest verifier against a silent provider: %+v paid %s bounty %s", vp, paid, bounty)
				}
			default:
				if !vp.Bond.Equal(coin(silent.spec.bond-verifierSlash)) || vp.AuditsMissed != 1 || vp.AuditsFailed != 0 ||
					vp.Status != providertypes.PROVIDER_STATUS_ACTIVE || !paid.IsZero() || !bounty.IsZero() || !vp.Locked.IsZero() {
					t.Fatalf("silent verifier: %+v paid %s bounty %s", vp, paid, bounty)
				}
			}
			s := e.stats()
			switch {
			case !tc.providerReveals && !tc.verifierReveals:
				// Nobody on the winning side: every slash burns.
				want := int64(providerSlash)
				if tc.providerOpens {
					want += verifierSlash
				}
				if _, burned, _ := appfixture.MintedAndBurned(e.f.LastBlock); !burned.Equal(sdkmath.NewInt(want)) {
					t.Fatalf("burned %s, want %d", burned, want)
				}
				wantVerifierSlashes := uint64(0) // a verifier never opened to is not slashed
				if tc.providerOpens {
					wantVerifierSlashes = 1
				}
				if !a.Slashed.Equal(coin(want)) || s.ProviderSlashes != 1 || s.VerifierSlashes != wantVerifierSlashes ||
					s.Failures != 1 || s.Escalations != 0 {
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

// TestDrawnVerifierCannotLeave: a drawn verifier locks its stake, so it cannot unbond (and
// be gone by the verdict, its stake out of reach) while the audit runs; the audit reaches
// its verdict, and once its stake is released the verifier may leave.
func TestDrawnVerifierCannotLeave(t *testing.T) {
	s := defaultSetup()
	s.unbondingPeriod = 1
	e := newEnv(t, s)
	id, _, _ := e.auditedJob(100_000, honestResult)
	a := e.audit(id)
	leaver := e.of(a.Verifiers[0].Operator)
	unbond := &providertypes.MsgUnbond{Operator: leaver.op.Address.String()}
	expectErr(t, "unbond of a drawn verifier", e.deliver(leaver.op, unbond), providertypes.ErrCollateralLocked)
	e.open(id)
	expectErr(t, "unbond of a drawn verifier after the opening", e.deliver(leaver.op, unbond), providertypes.ErrCollateralLocked)
	e.commitAll(id, a.Verifiers, e.honestFor(id))
	e.revealAll(id, true, a.Verifiers, e.honestFor(id))
	if a := e.audit(id); a.Status != types.AUDIT_STATUS_PASSED {
		t.Fatalf("audit: %s", a.Status)
	}
	if vp := e.provider(leaver.name); !vp.Locked.IsZero() || vp.OpenAudits != 0 {
		t.Fatalf("verifier after the verdict: %+v", vp)
	}
	if res := e.deliver(leaver.op, unbond); res.Code != 0 {
		t.Fatalf("unbond after the verdict: %s", res.Log)
	}
	e.f.NextBlock()
	e.f.NextBlock()
	if _, err := e.f.App.ProviderKeeper.GetProvider(e.f.Ctx(), leaver.op.Address); err == nil {
		t.Fatal("the verifier has not left")
	}
}

// TestVerdictAfterVerifierLeft: with verifier_slash_fraction 0 a drawn verifier locks
// nothing, so it may unbond at once and be gone, past x/provider's departed window, by
// the verdict. The verdict must still happen; an error there refuses the last reveal and,
// at a phase deadline, fails the EndBlocker, which halts the chain.
func TestVerdictAfterVerifierLeft(t *testing.T) {
	s := defaultSetup()
	s.unbondingPeriod = 1 // gone one block after unbonding, forgotten one block later
	s.verify.VerifierSlashFraction = dec("0")
	s.verify.OpenPhaseBlocks = 10 // room for the verifier to leave first
	e := newEnv(t, s)
	id, _, _ := e.auditedJob(100_000, honestResult)
	a := e.audit(id)
	leaver := e.of(a.Verifiers[0].Operator)
	if !a.Verifiers[0].Stake.IsZero() {
		t.Fatalf("stake %s with verifier_slash_fraction 0", a.Verifiers[0].Stake)
	}
	e.mustBlock(tx{leaver.op, []sdk.Msg{&providertypes.MsgUnbond{Operator: leaver.op.Address.String()}}})
	e.f.NextBlock()
	e.f.NextBlock()
	if _, err := e.f.App.ProviderKeeper.GetProvider(e.f.Ctx(), leaver.op.Address); err == nil {
		t.Fatal("the verifier has not left")
	}
	e.open(id)                             // the provider opens to every verifier of the round, gone or not
	e.advanceTo(e.audit(id).PhaseDeadline) // the verifier never commits
	e.mustBlock(tx{e.p("prov").worker, []sdk.Msg{e.providerReveal(id)}})
	e.f.NextBlock() // the escalation's draw
	r2 := round(e.audit(id), 2)
	if len(r2) != 3 {
		t.Fatalf("escalation drew %d", len(r2))
	}
	for _, v := range r2 {
		if v.Operator == leaver.op.Address.String() {
			t.Fatal("the departed verifier was drawn again")
		}
	}
	e.open(id)
	e.commitAll(id, r2, e.honestFor(id))
	var txs []tx
	honest := e.honestFor(id)
	for _, v := range r2 {
		p := e.of(v.Operator)
		txs = append(txs, tx{p.worker, []sdk.Msg{e.revealMsg(p, id, honest(p))}})
	}
	res := e.block(txs...)
	if last := res[len(res)-1]; last.Code != 0 {
		t.Errorf("the reveal that completes the audit was refused because a verifier left: %s", last.Log)
		e.advanceTo(e.audit(id).PhaseDeadline)
	}
	if a := e.audit(id); a.Status != types.AUDIT_STATUS_PASSED {
		t.Fatalf("audit: %s", a.Status)
	}
	if pp := e.provider("prov"); !pp.Bond.Equal(coin(baseBond)) || pp.OpenAudits != 0 || !pp.Locked.IsZero() {
		t.Fatalf("provider: %+v", pp)
	}
}
