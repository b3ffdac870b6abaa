package keeper_test

import (
	"testing"

	errorsmod "cosmossdk.io/errors"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"

	"github.com/sovra-network/sovra/testutil/appfixture"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	"github.com/sovra-network/sovra/x/verify/types"
)

// twoVerifierSetup draws two verifiers per audit (so one can commit while the other has
// not) and gives every phase 20 blocks, room for one refused message per block. The
// pool share 0.9 covers audit_rate 0.45 × k 2.
func twoVerifierSetup() setup {
	s := defaultSetup()
	s.verify.AuditRate = dec("0.45")
	s.verify.VerifiersPerAudit = 2
	s.verify.CollateralMultiplier = 3
	s.verify.CommitPhaseBlocks = 20
	s.verify.RevealPhaseBlocks = 20
	s.rewards.ProviderShare = dec("0.08")
	s.rewards.VerificationShare = dec("0.90")
	return s
}

// refused delivers msg from acc in its own block and checks that it fails with want and
// leaves x/verify's state and every provider's bond and counters as they were.
func (e *env) refused(what string, acc *appfixture.Account, msg sdk.Msg, want *errorsmod.Error) {
	e.t.Helper()
	before, parties := e.verifyState(), e.partiesState()
	expectErr(e.t, what, e.deliver(acc, msg), want)
	if after := e.verifyState(); after != before {
		e.t.Fatalf("%s: refused, but x/verify's state changed", what)
	}
	if after := e.partiesState(); after != parties {
		e.t.Fatalf("%s: refused, but providers changed:\n%s\nwas\n%s", what, after, parties)
	}
}

// notDrawn returns a provider of prov's profile that is no verifier of the audit.
func (e *env) notDrawn(a types.Audit) *party {
	e.t.Helper()
	for _, n := range []string{"v1", "v2", "v3", "v4", "v5"} {
		p := e.p(n)
		drawn := false
		for _, v := range a.Verifiers {
			drawn = drawn || v.Operator == p.op.Address.String()
		}
		if !drawn {
			return p
		}
	}
	e.t.Fatal("every provider is a verifier")
	return nil
}

// TestBadInputLeavesStateUnchanged sends every kind of wrong commit and reveal through
// real blocks: wrong signer, wrong phase, after a deadline, twice, not matching a
// commitment, unknown job, job not under audit, malformed. Each is refused with its
// error and changes nothing. Worker and operator keys both act for a provider.
func TestBadInputLeavesStateUnchanged(t *testing.T) {
	e := newEnv(t, twoVerifierSetup())
	prov, alice, outsider := e.p("prov"), e.f.Accounts["alice"], e.f.Accounts["outsider"]
	id, _, _ := e.auditedJob(100_000, honestHash)
	a := e.audit(id)
	if len(a.Verifiers) != 2 {
		t.Fatalf("%d verifiers drawn, want 2", len(a.Verifiers))
	}
	v1, v2, other := e.of(a.Verifiers[0].Operator), e.of(a.Verifiers[1].Operator), e.notDrawn(a)
	// A job that is assigned and not audited.
	plainMsg := e.submitMsg("alice", testModel, 100_000)
	plainMsg.DeadlineBlocks = 500 // outlives the test
	plain := jobIDs(t, e.mustBlock(tx{alice, []sdk.Msg{plainMsg}})[0])[0]
	e.f.NextBlock()
	if s := e.job(plain).Status; s != tasktypes.JOB_STATUS_ASSIGNED {
		t.Fatalf("plain job %s", s)
	}

	// Commit phase.
	h := honestHash(id)
	e.refused("commit from a provider that was not drawn", other.worker, e.commitMsg(other, id, h), types.ErrNotSelected)
	e.refused("commit from an address that is no provider", outsider,
		&types.MsgCommitVerification{Signer: outsider.Address.String(), JobId: id, Commitment: h}, types.ErrNotSelected)
	e.refused("commit from the audited provider's worker", prov.worker, e.commitMsg(prov, id, h), types.ErrNotSelected)
	e.refused("commit from the audited provider's operator", prov.op,
		&types.MsgCommitVerification{Signer: prov.op.Address.String(), JobId: id, Commitment: h}, types.ErrNotSelected)
	e.refused("commit from the provider's other address", e.p("sybil").op,
		&types.MsgCommitVerification{Signer: e.p("sybil").op.Address.String(), JobId: id, Commitment: h}, types.ErrNotSelected)
	e.refused("provider reveal in the commit phase", prov.worker, e.providerReveal(id), types.ErrWrongPhase)
	e.refused("verifier reveal in the commit phase", v1.worker, e.revealMsg(v1, id, h), types.ErrWrongPhase)
	e.refused("commit for an unknown job", v1.worker, e.commitMsg(v1, 1_000_000, h), types.ErrAuditNotFound)
	e.refused("commit for a job not under audit", v1.worker, e.commitMsg(v1, plain, h), types.ErrAuditNotFound)
	e.refused("reveal for a job not under audit", prov.worker,
		&types.MsgReveal{Signer: prov.worker.Address.String(), JobId: plain, OutputHash: h, Salt: make([]byte, 16)}, types.ErrAuditNotFound)
	short := e.commitMsg(v1, id, h)
	short.Commitment = short.Commitment[:31]
	e.refused("commitment of 31 bytes", v1.worker, short, types.ErrInvalidMsg)
	zero := e.commitMsg(v1, id, h)
	zero.JobId = 0
	e.refused("commit for job 0", v1.worker, zero, types.ErrInvalidMsg)

	// The worker key acts for its operator; the operator key is the same party.
	e.mustBlock(tx{v1.worker, []sdk.Msg{e.commitMsg(v1, id, h)}})
	a = e.audit(id)
	if a.Status != types.AUDIT_STATUS_COMMIT || len(a.Verifiers[0].Commitment) != 32 || len(a.Verifiers[1].Commitment) != 0 {
		t.Fatalf("after the first commit: %+v", a)
	}
	again := &types.MsgCommitVerification{Signer: v1.op.Address.String(), JobId: id, Commitment: wrongHash(id)}
	e.refused("second commit, by the operator key", v1.op, again, types.ErrAlreadyCommitted)
	e.refused("second commit, by the worker key", v1.worker, e.commitMsg(v1, id, h), types.ErrAlreadyCommitted)

	// v2 stays silent: the commit phase ends at its deadline.
	e.advanceTo(a.PhaseDeadline)
	a = e.audit(id)
	if a.Status != types.AUDIT_STATUS_REVEAL {
		t.Fatalf("after the commit deadline: %s", a.Status)
	}
	e.refused("commit after the commit deadline", v2.worker, e.commitMsg(v2, id, h), types.ErrWrongPhase)
	e.refused("commit in the reveal phase by a verifier that committed", v1.worker, e.commitMsg(v1, id, h), types.ErrWrongPhase)
	e.refused("reveal by a verifier that did not commit", v2.worker, e.revealMsg(v2, id, h), types.ErrWrongPhase)
	badSalt := e.revealMsg(v1, id, h)
	badSalt.Salt = make([]byte, 24)
	e.refused("verifier reveal with another salt", v1.worker, badSalt, types.ErrRevealMismatch)
	e.refused("verifier reveal of another hash", v1.worker, e.revealMsg(v1, id, wrongHash(id)), types.ErrRevealMismatch)
	lie := e.providerReveal(id)
	lie.OutputHash = wrongHash(id)
	e.refused("provider reveal that does not open the job's commitment", prov.worker, lie, types.ErrRevealMismatch)
	e.refused("reveal by a provider that was not drawn", other.worker, e.revealMsg(other, id, h), types.ErrNotSelected)
	e.refused("reveal by an address that is no provider", outsider,
		&types.MsgReveal{Signer: outsider.Address.String(), JobId: id, OutputHash: h, Salt: make([]byte, 16)}, types.ErrNotSelected)
	e.refused("reveal for an unknown job", prov.worker,
		&types.MsgReveal{Signer: prov.worker.Address.String(), JobId: 1_000_000, OutputHash: h, Salt: make([]byte, 16)}, types.ErrAuditNotFound)
	for _, bad := range []struct {
		what string
		mut  func(*types.MsgReveal)
	}{
		{"reveal of a 31-byte hash", func(m *types.MsgReveal) { m.OutputHash = m.OutputHash[:31] }},
		{"reveal with a 15-byte salt", func(m *types.MsgReveal) { m.Salt = make([]byte, 15) }},
		{"reveal with a 65-byte salt", func(m *types.MsgReveal) { m.Salt = make([]byte, 65) }},
		{"reveal for job 0", func(m *types.MsgReveal) { m.JobId = 0 }},
	} {
		m := e.providerReveal(id)
		bad.mut(m)
		e.refused(bad.what, prov.worker, m, types.ErrInvalidMsg)
	}

	// The provider reveals with its operator key; a second reveal is refused.
	rev := e.providerReveal(id)
	rev.Signer = prov.op.Address.String()
	e.mustBlock(tx{prov.op, []sdk.Msg{rev}})
	if a := e.audit(id); !a.ProviderRevealed || a.Status != types.AUDIT_STATUS_REVEAL {
		t.Fatalf("after the provider's reveal: %+v", a)
	}
	e.refused("second provider reveal", prov.worker, e.providerReveal(id), types.ErrAlreadyRevealed)
	// v1's reveal is the last one possible (v2 never committed): the round resolves.
	e.mustBlock(tx{v1.worker, []sdk.Msg{e.revealMsg(v1, id, h)}})
	if a := e.audit(id); a.Status != types.AUDIT_STATUS_PASSED {
		t.Fatalf("after v1's reveal: %s", a.Status)
	}
	if p := e.provider(v2.name); p.AuditsMissed != 1 {
		t.Fatalf("silent v2: %+v", p)
	}
	e.refused("reveal after the verdict", v1.worker, e.revealMsg(v1, id, h), types.ErrWrongPhase)
	e.refused("commit after the verdict", v2.worker, e.commitMsg(v2, id, h), types.ErrWrongPhase)

	// Malformed signers never reach a block: the Msg service refuses them too.
	ctx, _ := e.f.Ctx().CacheContext()
	before := e.verifyState()
	if _, err := e.ms.CommitVerification(ctx, &types.MsgCommitVerification{Signer: "sovra1bad", JobId: id, Commitment: h}); !sdkerrors.ErrInvalidAddress.Is(err) {
		t.Fatalf("commit from a bad address: %v", err)
	}
	if _, err := e.ms.Reveal(ctx, &types.MsgReveal{Signer: "", JobId: id, OutputHash: h, Salt: make([]byte, 16)}); !sdkerrors.ErrInvalidAddress.Is(err) {
		t.Fatalf("reveal from an empty address: %v", err)
	}
	if e.verifyState() != before {
		t.Fatal("bad addresses changed the state")
	}
}

// TestRoundOneVerifiersAreDoneInRoundTwo: after an escalation, a round-1 verifier can
// neither commit nor reveal in round 2, and a reveal after its round's deadline is refused.
func TestRoundOneVerifiersAreDoneInRoundTwo(t *testing.T) {
	e := newEnv(t, twoVerifierSetup())
	id, _, _ := e.auditedJob(100_000, honestHash)
	a := e.audit(id)
	griefer, late := e.of(a.Verifiers[0].Operator), e.of(a.Verifiers[1].Operator)
	h := honestHash(id)
	e.mustBlock(
		tx{griefer.worker, []sdk.Msg{e.commitMsg(griefer, id, wrongHash(id))}},
		tx{late.worker, []sdk.Msg{e.commitMsg(late, id, h)}},
	)
	e.mustBlock(
		tx{e.p("prov").worker, []sdk.Msg{e.providerReveal(id)}},
		tx{griefer.worker, []sdk.Msg{e.revealMsg(griefer, id, wrongHash(id))}},
	)
	a = e.audit(id)
	if a.Status != types.AUDIT_STATUS_REVEAL {
		t.Fatalf("with one reveal missing: %s", a.Status)
	}
	e.advanceTo(a.PhaseDeadline)
	a = e.audit(id)
	r2 := round(a, 2)
	if a.Round != 2 || a.Status != types.AUDIT_STATUS_COMMIT || len(r2) != 3 {
		t.Fatalf("after a disputed round 1: round %d %s with %d new verifiers", a.Round, a.Status, len(r2))
	}
	e.refused("round-1 reveal after its deadline", late.worker, e.revealMsg(late, id, h), types.ErrWrongPhase)
	e.refused("round-1 verifier commits in round 2", late.worker, e.commitMsg(late, id, h), types.ErrNotSelected)
	e.commitAll(id, r2, honestFor(id))
	if s := e.audit(id).Status; s != types.AUDIT_STATUS_REVEAL {
		t.Fatalf("round 2 after its commits: %s", s)
	}
	e.refused("round-1 verifier that never revealed reveals in round 2", late.worker, e.revealMsg(late, id, h), types.ErrWrongPhase)
	e.refused("round-1 verifier that revealed reveals in round 2", griefer.worker, e.revealMsg(griefer, id, wrongHash(id)), types.ErrWrongPhase)
	e.revealAll(id, false, r2, honestFor(id))
	if a := e.audit(id); a.Status != types.AUDIT_STATUS_PASSED {
		t.Fatalf("verdict: %s", a.Status)
	}
	if p := e.provider(griefer.name); p.AuditsFailed != 1 {
		t.Fatalf("griefer: %+v", p)
	}
	if p := e.provider(late.name); p.AuditsMissed != 1 {
		t.Fatalf("late verifier: %+v", p)
	}
	if s := e.stats(); s.Audits != 1 || s.Passes != 1 || s.Failures != 0 || s.Escalations != 1 || s.VerifierSlashes != 2 {
		t.Fatalf("stats %+v", s)
	}
}
