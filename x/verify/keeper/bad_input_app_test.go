package keeper_test

import (
	"bytes"
	"strings"
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
	s.verify.OpenPhaseBlocks = 20
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

// refusedByServer runs msg through the Msg service on a discarded context (messages a tx
// could not carry, for size or gas) and checks that it fails with want and changes nothing.
func (e *env) refusedByServer(what string, call func(ctx sdk.Context) error, want *errorsmod.Error) {
	e.t.Helper()
	ctx, _ := e.f.Ctx().CacheContext()
	before := e.verifyState()
	if err := call(ctx); !want.Is(err) {
		e.t.Fatalf("%s: %v, want %s", what, err, want)
	}
	if e.verifyState() != before {
		e.t.Fatalf("%s: refused, but x/verify's state changed", what)
	}
}

// notDrawn returns a provider of the model that is no verifier of the audit.
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

// traceWith returns a copy of t changed by edit.
func traceWith(t types.Trace, edit func(*types.Trace)) types.Trace {
	c := types.Trace{
		Chosen: append([]int32(nil), t.Chosen...), Top: append([]int32(nil), t.Top...),
		Lo: append([]uint64(nil), t.Lo...), Hi: append([]uint64(nil), t.Hi...), Challenge: append([]int32(nil), t.Challenge...),
	}
	edit(&c)
	return c
}

// TestBadInputLeavesStateUnchanged sends every kind of wrong opening, commit and reveal
// through real blocks: wrong signer, wrong phase, after a deadline, twice, missing, extra
// or duplicate openings, traces of the wrong length or shape, reveals that do not open a
// commitment, unknown job, job not under audit, malformed. Each is refused with its error
// and changes nothing. Worker and operator keys both act for a provider.
func TestBadInputLeavesStateUnchanged(t *testing.T) {
	s := twoVerifierSetup()
	s.verify.OpenPhaseBlocks, s.verify.CommitPhaseBlocks, s.verify.RevealPhaseBlocks = 40, 40, 40 // one refusal a block
	e := newEnv(t, s)
	prov, alice, outsider := e.p("prov"), e.f.Accounts["alice"], e.f.Accounts["outsider"]
	id, _, _ := e.auditedJob(100_000, honestResult)
	a := e.audit(id)
	if len(a.Verifiers) != 2 || a.Status != types.AUDIT_STATUS_OPEN {
		t.Fatalf("%d verifiers drawn, audit %s, want 2 in the open phase", len(a.Verifiers), a.Status)
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
	h := honestHash(id)
	honest := e.honestFor(id)
	anyTrace := honestTrace(id)

	// Open phase.
	open := func(signer *appfixture.Account, edit func(*types.MsgOpenAudit)) *types.MsgOpenAudit {
		m := e.openMsg(id)
		m.Signer = signer.Address.String()
		if edit != nil {
			edit(m)
		}
		return m
	}
	sealed := tagged("opening", id, nil)
	e.refused("opening by a verifier", v1.worker, open(v1.worker, nil), types.ErrNotSelected)
	e.refused("opening by a provider that was not drawn", other.worker, open(other.worker, nil), types.ErrNotSelected)
	e.refused("opening by an address that is no provider", outsider, open(outsider, nil), types.ErrNotSelected)
	e.refused("opening by the provider's other address", e.p("sybil").op, open(e.p("sybil").op, nil), types.ErrNotSelected)
	e.refused("opening with one of two openings missing", prov.worker, open(prov.worker, func(m *types.MsgOpenAudit) {
		m.Openings = m.Openings[:1]
	}), types.ErrInvalidMsg)
	e.refused("opening with an extra opening for a provider that was not drawn", prov.worker, open(prov.worker, func(m *types.MsgOpenAudit) {
		m.Openings = append(m.Openings, types.AuditOpening{Verifier: other.op.Address.String(), Sealed: sealed})
	}), types.ErrInvalidMsg)
	e.refused("opening for a provider that was not drawn instead of a verifier", prov.worker, open(prov.worker, func(m *types.MsgOpenAudit) {
		m.Openings[1].Verifier = other.op.Address.String()
	}), types.ErrNotSelected)
	e.refused("opening for the provider itself instead of a verifier", prov.worker, open(prov.worker, func(m *types.MsgOpenAudit) {
		m.Openings[1].Verifier = prov.op.Address.String()
	}), types.ErrNotSelected)
	e.refused("opening with a duplicate opening instead of the second verifier's", prov.worker, open(prov.worker, func(m *types.MsgOpenAudit) {
		m.Openings[1] = m.Openings[0]
	}), types.ErrInvalidMsg)
	e.refused("opening with an empty sealed opening", prov.worker, open(prov.worker, func(m *types.MsgOpenAudit) {
		m.Openings[0].Sealed = nil
	}), types.ErrInvalidMsg)
	e.refused("opening with a malformed verifier address", prov.worker, open(prov.worker, func(m *types.MsgOpenAudit) {
		m.Openings[0].Verifier = "sovra1notanaddress"
	}), sdkerrors.ErrInvalidAddress)
	e.refused("opening with no openings", prov.worker, open(prov.worker, func(m *types.MsgOpenAudit) { m.Openings = nil }), types.ErrInvalidMsg)
	e.refused("opening for job 0", prov.worker, open(prov.worker, func(m *types.MsgOpenAudit) { m.JobId = 0 }), types.ErrInvalidMsg)
	e.refused("opening for an unknown job", prov.worker, open(prov.worker, func(m *types.MsgOpenAudit) { m.JobId = 1_000_000 }), types.ErrAuditNotFound)
	e.refused("opening for a job not under audit", prov.worker, open(prov.worker, func(m *types.MsgOpenAudit) { m.JobId = plain }), types.ErrAuditNotFound)
	e.refused("commit in the open phase", v1.worker, e.commitMsg(v1, id, honest(v1)), types.ErrWrongPhase)
	e.refused("provider reveal in the open phase", prov.worker, e.providerReveal(id), types.ErrWrongPhase)
	// Messages no tx could carry (size, gas) are refused by the Msg service itself.
	e.refusedByServer("opening of MaxOpeningBytes + 1", func(ctx sdk.Context) error {
		_, err := e.ms.OpenAudit(ctx, open(prov.worker, func(m *types.MsgOpenAudit) { m.Openings[0].Sealed = make([]byte, types.MaxOpeningBytes+1) }))
		return err
	}, types.ErrInvalidMsg)
	e.refusedByServer("65 openings", func(ctx sdk.Context) error {
		_, err := e.ms.OpenAudit(ctx, open(prov.worker, func(m *types.MsgOpenAudit) {
			for i := 0; len(m.Openings) < 65; i++ {
				addr := sdk.AccAddress(tagged("extra-verifier", uint64(i), nil)[:20]).String()
				m.Openings = append(m.Openings, types.AuditOpening{Verifier: addr, Sealed: sealed})
			}
		}))
		return err
	}, types.ErrInvalidMsg)
	e.refusedByServer("opening from a malformed signer", func(ctx sdk.Context) error {
		_, err := e.ms.OpenAudit(ctx, open(prov.worker, func(m *types.MsgOpenAudit) { m.Signer = "sovra1bad" }))
		return err
	}, sdkerrors.ErrInvalidAddress)

	// The provider's operator key acts for it too; the commit phase opens at once.
	e.mustBlock(tx{prov.op, []sdk.Msg{open(prov.op, nil)}})
	a = e.audit(id)
	if a.Status != types.AUDIT_STATUS_COMMIT || len(a.Verifiers[0].Opening) == 0 || len(a.Verifiers[1].Opening) == 0 {
		t.Fatalf("after the opening: %+v", a)
	}
	e.refused("second opening, in the commit phase", prov.worker, open(prov.worker, nil), types.ErrWrongPhase)

	// Commit phase.
	e.refused("commit from a provider that was not drawn", other.worker, e.commitMsg(other, id, honest(other)), types.ErrNotSelected)
	e.refused("commit from an address that is no provider", outsider,
		&types.MsgCommitVerification{Signer: outsider.Address.String(), JobId: id, Commitment: h}, types.ErrNotSelected)
	e.refused("commit from the audited provider's worker", prov.worker, e.commitMsg(prov, id, honest(prov)), types.ErrNotSelected)
	e.refused("commit from the audited provider's operator", prov.op,
		&types.MsgCommitVerification{Signer: prov.op.Address.String(), JobId: id, Commitment: h}, types.ErrNotSelected)
	e.refused("commit from the provider's other address", e.p("sybil").op,
		&types.MsgCommitVerification{Signer: e.p("sybil").op.Address.String(), JobId: id, Commitment: h}, types.ErrNotSelected)
	e.refused("provider reveal in the commit phase", prov.worker, e.providerReveal(id), types.ErrWrongPhase)
	e.refused("verifier reveal in the commit phase", v1.worker, e.revealMsg(v1, id, honest(v1)), types.ErrWrongPhase)
	e.refused("commit for an unknown job", v1.worker, e.commitMsg(v1, 1_000_000, honest(v1)), types.ErrAuditNotFound)
	e.refused("commit for a job not under audit", v1.worker, e.commitMsg(v1, plain, honest(v1)), types.ErrAuditNotFound)
	e.refused("reveal for a job not under audit", prov.worker,
		&types.MsgReveal{Signer: prov.worker.Address.String(), JobId: plain, OutputHash: h, Salt: make([]byte, 16), Trace: anyTrace}, types.ErrAuditNotFound)
	short := e.commitMsg(v1, id, honest(v1))
	short.Commitment = short.Commitment[:31]
	e.refused("commitment of 31 bytes", v1.worker, short, types.ErrInvalidMsg)
	zero := e.commitMsg(v1, id, honest(v1))
	zero.JobId = 0
	e.refused("commit for job 0", v1.worker, zero, types.ErrInvalidMsg)

	// The worker key acts for its operator; the operator key is the same party.
	e.mustBlock(tx{v1.worker, []sdk.Msg{e.commitMsg(v1, id, honest(v1))}})
	a = e.audit(id)
	if a.Status != types.AUDIT_STATUS_COMMIT || len(a.Verifiers[0].Commitment) != 32 || len(a.Verifiers[1].Commitment) != 0 {
		t.Fatalf("after the first commit: %+v", a)
	}
	again := &types.MsgCommitVerification{Signer: v1.op.Address.String(), JobId: id, Commitment: wrongHash(id)}
	e.refused("second commit, by the operator key", v1.op, again, types.ErrAlreadyCommitted)
	e.refused("second commit, by the worker key", v1.worker, e.commitMsg(v1, id, honest(v1)), types.ErrAlreadyCommitted)

	// v2 stays silent: the commit phase ends at its deadline.
	e.advanceTo(a.PhaseDeadline)
	a = e.audit(id)
	if a.Status != types.AUDIT_STATUS_REVEAL {
		t.Fatalf("after the commit deadline: %s", a.Status)
	}
	e.refused("commit after the commit deadline", v2.worker, e.commitMsg(v2, id, honest(v2)), types.ErrWrongPhase)
	e.refused("commit in the reveal phase by a verifier that committed", v1.worker, e.commitMsg(v1, id, honest(v1)), types.ErrWrongPhase)
	e.refused("opening in the reveal phase", prov.worker, open(prov.worker, nil), types.ErrWrongPhase)
	e.refused("reveal by a verifier that did not commit", v2.worker, e.revealMsg(v2, id, honest(v2)), types.ErrWrongPhase)
	badSalt := e.revealMsg(v1, id, honest(v1))
	badSalt.Salt = make([]byte, 24)
	e.refused("verifier reveal with another salt", v1.worker, badSalt, types.ErrRevealMismatch)
	e.refused("verifier reveal of another hash", v1.worker, e.revealMsg(v1, id, verification{wrongHash(id), honest(v1).trace}), types.ErrRevealMismatch)
	e.refused("verifier reveal of another trace", v1.worker, e.revealMsg(v1, id, verification{h, traceWith(honest(v1).trace, func(t *types.Trace) {
		t.Chosen[3]++
	})}), types.ErrRevealMismatch)
	e.refused("verifier reveal of another round's challenge values", v1.worker, e.revealMsg(v1, id, verification{h, modelTrace(id, tracePositions, v1.name, 4, []byte("another round"))}),
		types.ErrRevealMismatch)
	e.refused("verifier reveal without challenge values", v1.worker, e.revealMsg(v1, id, verification{h, traceWith(honest(v1).trace, func(t *types.Trace) {
		t.Challenge = nil
	})}), types.ErrInvalidTrace)
	e.refused("verifier reveal with intervals in a greedy job", v1.worker, e.revealMsg(v1, id, verification{h, traceWith(honest(v1).trace, func(t *types.Trace) {
		t.Lo, t.Hi = make([]uint64, tracePositions), make([]uint64, tracePositions)
	})}), types.ErrInvalidTrace)
	e.refused("verifier reveal with fewer top values than positions", v1.worker, e.revealMsg(v1, id, verification{h, traceWith(honest(v1).trace, func(t *types.Trace) {
		t.Top = t.Top[:len(t.Top)-1]
	})}), types.ErrInvalidTrace)
	lie := e.providerReveal(id)
	lie.OutputHash = wrongHash(id)
	e.refused("provider reveal that does not open the job's commitment", prov.worker, lie, types.ErrRevealMismatch)
	for _, bad := range []struct {
		what string
		edit func(*types.Trace)
		want *errorsmod.Error
	}{
		{"provider trace that does not open the job's commitment", func(t *types.Trace) { t.Top[0]-- }, types.ErrRevealMismatch},
		{"provider trace of output_tokens positions (the output did not reach max_output_tokens)", func(t *types.Trace) {
			t.Chosen, t.Top = t.Chosen[:outputTokens], t.Top[:outputTokens]
		}, types.ErrInvalidTrace},
		{"provider trace of output_tokens + 2 positions", func(t *types.Trace) {
			t.Chosen, t.Top = append(t.Chosen, -5), append(t.Top, -5)
		}, types.ErrInvalidTrace},
		{"provider trace of max_output_tokens positions", func(t *types.Trace) {
			for len(t.Chosen) < maxOutput {
				t.Chosen, t.Top = append(t.Chosen, -5), append(t.Top, -5)
			}
		}, types.ErrInvalidTrace},
		{"provider trace with fewer chosen values than top values", func(t *types.Trace) { t.Chosen = t.Chosen[:len(t.Chosen)-1] }, types.ErrInvalidTrace},
		{"provider trace with challenge values", func(t *types.Trace) { t.Challenge = make([]int32, tracePositions) }, types.ErrInvalidTrace},
		{"provider trace with intervals in a greedy job", func(t *types.Trace) {
			t.Lo, t.Hi = make([]uint64, tracePositions), make([]uint64, tracePositions)
		}, types.ErrInvalidTrace},
	} {
		m := e.providerReveal(id)
		m.Trace = traceWith(m.Trace, bad.edit)
		e.refused(bad.what, prov.worker, m, bad.want)
	}
	e.refused("reveal by a provider that was not drawn", other.worker, e.revealMsg(other, id, honest(other)), types.ErrNotSelected)
	e.refused("reveal by an address that is no provider", outsider,
		&types.MsgReveal{Signer: outsider.Address.String(), JobId: id, OutputHash: h, Salt: make([]byte, 16), Trace: anyTrace}, types.ErrNotSelected)
	e.refused("reveal for an unknown job", prov.worker,
		&types.MsgReveal{Signer: prov.worker.Address.String(), JobId: 1_000_000, OutputHash: h, Salt: make([]byte, 16), Trace: anyTrace}, types.ErrAuditNotFound)
	for _, bad := range []struct {
		what string
		mut  func(*types.MsgReveal)
		want *errorsmod.Error
	}{
		{"reveal of a 31-byte hash", func(m *types.MsgReveal) { m.OutputHash = m.OutputHash[:31] }, types.ErrInvalidMsg},
		{"reveal with a 15-byte salt", func(m *types.MsgReveal) { m.Salt = make([]byte, 15) }, types.ErrInvalidMsg},
		{"reveal with a 65-byte salt", func(m *types.MsgReveal) { m.Salt = make([]byte, 65) }, types.ErrInvalidMsg},
		{"reveal for job 0", func(m *types.MsgReveal) { m.JobId = 0 }, types.ErrInvalidMsg},
		{"reveal of an empty trace", func(m *types.MsgReveal) { m.Trace = types.Trace{} }, types.ErrInvalidTrace},
	} {
		m := e.providerReveal(id)
		bad.mut(m)
		e.refused(bad.what, prov.worker, m, bad.want)
	}
	e.refusedByServer("reveal of a trace of MaxTracePositions + 1", func(ctx sdk.Context) error {
		m := e.providerReveal(id)
		m.Trace = types.Trace{Chosen: make([]int32, types.MaxTracePositions+1), Top: make([]int32, types.MaxTracePositions+1)}
		_, err := e.ms.Reveal(ctx, m)
		return err
	}, types.ErrInvalidTrace)

	// The provider reveals with its operator key; a second reveal is refused.
	rev := e.providerReveal(id)
	rev.Signer = prov.op.Address.String()
	e.mustBlock(tx{prov.op, []sdk.Msg{rev}})
	if a := e.audit(id); !a.ProviderRevealed || a.Status != types.AUDIT_STATUS_REVEAL || !bytes.Equal(a.ProviderHash, h) {
		t.Fatalf("after the provider's reveal: %+v", a)
	}
	e.refused("second provider reveal", prov.worker, e.providerReveal(id), types.ErrAlreadyRevealed)
	// v1's reveal is the last one possible (v2 never committed): the round resolves.
	e.mustBlock(tx{v1.worker, []sdk.Msg{e.revealMsg(v1, id, honest(v1))}})
	if a := e.audit(id); a.Status != types.AUDIT_STATUS_PASSED {
		t.Fatalf("after v1's reveal: %s (%s)", a.Status, a.Reason)
	}
	if p := e.provider(v2.name); p.AuditsMissed != 1 {
		t.Fatalf("silent v2: %+v", p)
	}
	e.refused("reveal after the verdict", v1.worker, e.revealMsg(v1, id, honest(v1)), types.ErrWrongPhase)
	e.refused("commit after the verdict", v2.worker, e.commitMsg(v2, id, honest(v2)), types.ErrWrongPhase)
	e.refused("opening after the verdict", prov.worker, open(prov.worker, nil), types.ErrWrongPhase)

	// Malformed signers never reach a block: the Msg service refuses them too.
	ctx, _ := e.f.Ctx().CacheContext()
	before := e.verifyState()
	if _, err := e.ms.CommitVerification(ctx, &types.MsgCommitVerification{Signer: "sovra1bad", JobId: id, Commitment: h}); !sdkerrors.ErrInvalidAddress.Is(err) {
		t.Fatalf("commit from a bad address: %v", err)
	}
	if _, err := e.ms.Reveal(ctx, &types.MsgReveal{Signer: "", JobId: id, OutputHash: h, Salt: make([]byte, 16), Trace: anyTrace}); !sdkerrors.ErrInvalidAddress.Is(err) {
		t.Fatalf("reveal from an empty address: %v", err)
	}
	if e.verifyState() != before {
		t.Fatal("bad addresses changed the state")
	}
}

// TestOpeningCannotSkipAVerifier: MsgOpenAudit must give each verifier of the round its
// own opening. bech32 is case-insensitive, so the same verifier in upper case is the same
// verifier: two openings for it (and none for the other) must be refused as a duplicate,
// or the provider picks which of its verifiers never sees the claimed output (a verifier
// never opened to is neither paid nor slashed, so nothing ever happens to anyone).
func TestOpeningCannotSkipAVerifier(t *testing.T) {
	e := newEnv(t, twoVerifierSetup())
	prov := e.p("prov")
	id, _, _ := e.auditedJob(100_000, honestResult)
	a := e.audit(id)
	m := e.openMsg(id)
	m.Openings[1] = types.AuditOpening{Verifier: strings.ToUpper(m.Openings[0].Verifier), Sealed: m.Openings[0].Sealed}
	before := e.verifyState()
	res := e.deliver(prov.worker, m)
	if res.Code == 0 {
		got := e.audit(id)
		t.Errorf("two openings for %s (one in upper case) and none for %s were accepted: audit %s, openings %d and %d bytes",
			e.of(a.Verifiers[0].Operator).name, e.of(a.Verifiers[1].Operator).name, got.Status, len(got.Verifiers[0].Opening), len(got.Verifiers[1].Opening))
		return
	}
	expectErr(t, "duplicate opening in upper case", res, types.ErrInvalidMsg)
	if e.verifyState() != before {
		t.Fatal("a refused opening changed the state")
	}
}

// TestRoundOneVerifiersAreDoneInRoundTwo: after an escalation, a round-1 verifier can
// neither be opened to, commit nor reveal in round 2, nothing is accepted while the
// audit is ESCALATING, and a reveal after its round's deadline is refused.
func TestRoundOneVerifiersAreDoneInRoundTwo(t *testing.T) {
	e := newEnv(t, twoVerifierSetup())
	prov := e.p("prov")
	id, _, _ := e.auditedJob(100_000, honestResult)
	a := e.audit(id)
	griefer, late := e.of(a.Verifiers[0].Operator), e.of(a.Verifiers[1].Operator)
	e.open(id)
	honest, dissent := e.honestFor(id), e.dissentFor(id)
	e.mustBlock(
		tx{griefer.worker, []sdk.Msg{e.commitMsg(griefer, id, dissent(griefer))}},
		tx{late.worker, []sdk.Msg{e.commitMsg(late, id, honest(late))}},
	)
	e.mustBlock(
		tx{prov.worker, []sdk.Msg{e.providerReveal(id)}},
		tx{griefer.worker, []sdk.Msg{e.revealMsg(griefer, id, dissent(griefer))}},
	)
	a = e.audit(id)
	if a.Status != types.AUDIT_STATUS_REVEAL {
		t.Fatalf("with one reveal missing: %s", a.Status)
	}
	e.advanceTo(a.PhaseDeadline - 1)
	// The reveal phase ends in the next block: round 1 does not pass (a dissent), so the
	// audit escalates, and the block after draws round 2.
	res := e.block(tx{prov.worker, []sdk.Msg{e.openMsg(id)}})
	expectErr(t, "opening in round 1's reveal phase", res[0], types.ErrWrongPhase)
	a = e.audit(id)
	if a.Status != types.AUDIT_STATUS_ESCALATING || len(round(a, 2)) != 0 {
		t.Fatalf("after round 1's reveal deadline: %s with %d round-2 verifiers", a.Status, len(round(a, 2)))
	}
	e.refusedByServer("reveal while escalating", func(ctx sdk.Context) error {
		_, err := e.ms.Reveal(ctx, e.revealMsg(late, id, honest(late)))
		return err
	}, types.ErrWrongPhase)
	e.refusedByServer("opening while escalating", func(ctx sdk.Context) error {
		_, err := e.ms.OpenAudit(ctx, e.openMsg(id))
		return err
	}, types.ErrWrongPhase)
	e.f.NextBlock()
	a = e.audit(id)
	r2 := round(a, 2)
	if a.Round != 2 || a.Status != types.AUDIT_STATUS_OPEN || len(r2) != 3 {
		t.Fatalf("after a disputed round 1: round %d %s with %d new verifiers", a.Round, a.Status, len(r2))
	}
	e.refused("round-1 reveal after its deadline", late.worker, e.revealMsg(late, id, honest(late)), types.ErrWrongPhase)
	withRound1 := e.openMsg(id)
	withRound1.Openings[2].Verifier = late.op.Address.String()
	e.refused("round-2 opening for a round-1 verifier", prov.worker, withRound1, types.ErrNotSelected)
	withAll := e.openMsg(id)
	withAll.Openings = append(withAll.Openings, types.AuditOpening{Verifier: late.op.Address.String(), Sealed: []byte("x")})
	e.refused("round-2 opening with an extra one for a round-1 verifier", prov.worker, withAll, types.ErrInvalidMsg)
	e.open(id)
	if a := e.audit(id); len(a.Verifiers[0].Opening) == 0 || len(a.Verifiers[1].Opening) == 0 {
		t.Fatalf("the round-2 opening changed round 1's: %+v", a.Verifiers[:2])
	}
	honest = e.honestFor(id) // round 2's challenge seed
	e.refused("round-1 verifier commits in round 2", late.worker, e.commitMsg(late, id, honest(late)), types.ErrNotSelected)
	e.commitAll(id, r2, honest)
	if s := e.audit(id).Status; s != types.AUDIT_STATUS_REVEAL {
		t.Fatalf("round 2 after its commits: %s", s)
	}
	e.refused("round-1 verifier that never revealed reveals in round 2", late.worker, e.revealMsg(late, id, honest(late)), types.ErrWrongPhase)
	e.refused("round-1 verifier that revealed reveals in round 2", griefer.worker, e.revealMsg(griefer, id, dissent(griefer)), types.ErrWrongPhase)
	e.refused("second provider reveal in round 2", prov.worker, e.providerReveal(id), types.ErrAlreadyRevealed)
	e.revealAll(id, false, r2, honest)
	if a := e.audit(id); a.Status != types.AUDIT_STATUS_PASSED {
		t.Fatalf("verdict: %s (%s)", a.Status, a.Reason)
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
