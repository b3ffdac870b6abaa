package keeper_test

import (
	"bytes"
	"encoding/json"
	"sort"
	"testing"

	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"

	"github.com/sovra-network/sovra/testutil/appfixture"
	providertypes "github.com/sovra-network/sovra/x/provider/types"
	rewardstypes "github.com/sovra-network/sovra/x/rewards/types"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	"github.com/sovra-network/sovra/x/verify/keeper"
	"github.com/sovra-network/sovra/x/verify/types"
)

// TestUpdateParams: only the authority may change the params, and never to values that
// break audit_rate × collateral_multiplier ≥ 1, need more than the rewards
// verification_share, or leave a phase or a trace tolerance out of bounds; a refused
// update changes nothing. A valid one applies at once: new jobs lock the new collateral,
// collateral_multiplier × the provider's price × (prompt bound + max output tokens).
func TestUpdateParams(t *testing.T) {
	e := newEnv(t, defaultSetup())
	k := e.f.App.VerifyKeeper
	authority := k.GetAuthority()
	if authority != sdk.AccAddress(govModuleAddr()).String() {
		t.Fatalf("authority %s is not the gov module account", authority)
	}
	orig := e.s.verify
	alice := e.f.Accounts["alice"]
	valid := orig
	valid.AuditRate = dec("0.5")
	before := e.verifyState()
	expectErr(t, "update by a non-authority", e.deliver(alice, &types.MsgUpdateParams{Authority: alice.Address.String(), Params: valid}), types.ErrInvalidAuthority)
	if e.verifyState() != before {
		t.Fatal("a refused update changed the state")
	}

	for _, tc := range []struct {
		name string
		edit func(*types.Params)
	}{
		{"audit_rate × collateral_multiplier below 1", func(p *types.Params) { p.AuditRate, p.CollateralMultiplier = dec("0.3"), 3 }},
		{"audit rate above the pool share", func(p *types.Params) { p.AuditRate = dec("0.96") }},
		{"two verifiers need 1.9 of the fee", func(p *types.Params) { p.VerifiersPerAudit = 2 }},
		{"zero audit rate", func(p *types.Params) { p.AuditRate = sdkmath.LegacyZeroDec() }},
		{"audit rate above 1", func(p *types.Params) { p.AuditRate = dec("1.01") }},
		{"no escalation verifiers", func(p *types.Params) { p.EscalationK = 0 }},
		{"empty open phase", func(p *types.Params) { p.OpenPhaseBlocks = 0 }},
		{"empty commit phase", func(p *types.Params) { p.CommitPhaseBlocks = 0 }},
		{"empty reveal phase", func(p *types.Params) { p.RevealPhaseBlocks = 0 }},
		{"bounty above 1", func(p *types.Params) { p.BountyFraction = dec("1.5") }},
		{"missing slash fraction", func(p *types.Params) { p.VerifierSlashFraction = sdkmath.LegacyDec{} }},
		{"collateral multiplier above 1000", func(p *types.Params) { p.CollateralMultiplier = 1001 }},
		{"zero logprob tolerance", func(p *types.Params) { p.LogprobTolerance = 0 }},
		{"mean tolerance above the per-value one", func(p *types.Params) { p.MeanLogprobToleranceMilli = 1000*p.LogprobTolerance + 1 }},
		{"zero margin tolerance", func(p *types.Params) { p.MarginTolerance = 0 }},
		{"interval tolerance above 2^31", func(p *types.Params) { p.IntervalTolerance = 1<<31 + 1 }},
		{"one verifier and one escalation verifier", func(p *types.Params) { p.VerifiersPerAudit, p.EscalationK = 1, 1 }},
	} {
		p := orig
		tc.edit(&p)
		ctx, _ := e.f.Ctx().CacheContext()
		_, err := e.ms.UpdateParams(ctx, &types.MsgUpdateParams{Authority: authority, Params: p})
		if !types.ErrInvalidParams.Is(err) {
			t.Fatalf("%s: %v, want ErrInvalidParams", tc.name, err)
		}
		got, err := k.Params.Get(ctx)
		if err != nil || !paramsEqual(got, orig) {
			t.Fatalf("%s: params now %+v", tc.name, got)
		}
	}

	ctx, _ := e.f.Ctx().CacheContext()
	if _, err := e.ms.UpdateParams(ctx, &types.MsgUpdateParams{Authority: authority, Params: valid}); err != nil {
		t.Fatalf("valid update: %v", err)
	}
	if got, _ := k.Params.Get(ctx); !paramsEqual(got, valid) {
		t.Fatalf("params after the update: %+v", got)
	}
	valid.CollateralMultiplier = 7
	if _, err := e.ms.UpdateParams(ctx, &types.MsgUpdateParams{Authority: authority, Params: valid}); err != nil {
		t.Fatalf("valid update: %v", err)
	}
	job := tasktypes.Job{Prompt: promptText, MaxOutputTokens: maxOutput, MaxFee: coin(1_000_000_000)}
	if c, err := e.f.App.TaskKeeper.Collateral(ctx, job, sdkmath.NewInt(cheapPrice)); err != nil || !c.Equal(sdkmath.NewInt(7*maxCharge)) {
		t.Fatalf("collateral after the update: %s %v, want 7 × price × (prompt bound + max tokens) = %d, whatever the max_fee", c, err, 7*maxCharge)
	}
	res, err := e.qs.Params(e.f.Ctx(), &types.QueryParamsRequest{})
	if err != nil || !paramsEqual(res.Params, orig) {
		t.Fatalf("committed params changed by updates on a discarded context: %+v %v", res, err)
	}
}

func govModuleAddr() []byte { return authtypes.NewModuleAddress(govtypes.ModuleName) }

func paramsEqual(a, b types.Params) bool {
	return a.AuditRate.Equal(b.AuditRate) && a.VerifiersPerAudit == b.VerifiersPerAudit && a.EscalationK == b.EscalationK &&
		a.OpenPhaseBlocks == b.OpenPhaseBlocks && a.CommitPhaseBlocks == b.CommitPhaseBlocks && a.RevealPhaseBlocks == b.RevealPhaseBlocks &&
		a.ProviderSlashFraction.Equal(b.ProviderSlashFraction) && a.VerifierSlashFraction.Equal(b.VerifierSlashFraction) &&
		a.BountyFraction.Equal(b.BountyFraction) && a.CollateralMultiplier == b.CollateralMultiplier &&
		a.LogprobTolerance == b.LogprobTolerance && a.MeanLogprobToleranceMilli == b.MeanLogprobToleranceMilli &&
		a.MarginTolerance == b.MarginTolerance && a.IntervalTolerance == b.IntervalTolerance
}

// TestGenesisRoundTripWithOpenAudits exports x/verify with a passed audit and one audit in
// each open status (OPEN, COMMIT, REVEAL and ESCALATING, exported between the block that
// resolved round 1 and the one that draws round 2), wipes the module's store, imports the
// export (through JSON) and finds the same state: audits, stats, every index and the
// phase queue. The chain then ends every open audit: the escalation draws its verifiers in
// the next block, the others end at their deadlines or with their parties' messages.
func TestGenesisRoundTripWithOpenAudits(t *testing.T) {
	s := defaultSetup()
	s.verify.OpenPhaseBlocks, s.verify.CommitPhaseBlocks, s.verify.RevealPhaseBlocks = 40, 40, 40
	e := newEnv(t, s)
	done, _, _ := e.auditedJob(100_000, honestResult)
	a := e.audit(done)
	e.open(done)
	e.commitAll(done, a.Verifiers, e.honestFor(done))
	e.revealAll(done, true, a.Verifiers, e.honestFor(done))
	revealing, _, _ := e.auditedJob(100_000, honestResult)
	e.open(revealing)
	e.commitAll(revealing, e.audit(revealing).Verifiers, e.honestFor(revealing))
	committing, _, _ := e.auditedJob(100_000, cheatResult)
	e.open(committing)
	opening, _, _ := e.auditedJob(100_000, cheatResult)
	escalating, _, _ := e.auditedJob(100_000, honestResult)
	e.open(escalating)
	e.commitAll(escalating, e.audit(escalating).Verifiers, e.dissentFor(escalating))
	e.revealAll(escalating, true, e.audit(escalating).Verifiers, e.dissentFor(escalating))
	for id, want := range map[uint64]types.AuditStatus{
		done: types.AUDIT_STATUS_PASSED, revealing: types.AUDIT_STATUS_REVEAL, committing: types.AUDIT_STATUS_COMMIT,
		opening: types.AUDIT_STATUS_OPEN, escalating: types.AUDIT_STATUS_ESCALATING,
	} {
		if got := e.audit(id).Status; got != want {
			t.Fatalf("audit %d: %s, want %s", id, got, want)
		}
	}

	k := e.f.App.VerifyKeeper
	ctx := e.f.Ctx()
	before := e.verifyState()
	gs, err := k.ExportGenesis(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := gs.Validate(); err != nil {
		t.Fatalf("exported genesis invalid: %v", err)
	}
	cdc := e.f.App.AppCodec()
	var imported types.GenesisState
	cdc.MustUnmarshalJSON(cdc.MustMarshalJSON(gs), &imported)
	if !bytes.Equal(cdc.MustMarshal(&imported), cdc.MustMarshal(gs)) {
		t.Fatal("genesis changed through JSON")
	}

	// Wipe the store as a fresh chain has it, then import.
	for _, clear := range []func() error{
		func() error { return k.Audits.Clear(ctx, nil) },
		func() error { return k.PhaseQueue.Clear(ctx, nil) },
		func() error { return k.ByVerifier.Clear(ctx, nil) },
		func() error { return k.ByProvider.Clear(ctx, nil) },
		func() error { return k.ByStatus.Clear(ctx, nil) },
		func() error { return k.PruneQueue.Clear(ctx, nil) },
		func() error { return k.Stats.Remove(ctx) },
	} {
		if err := clear(); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := k.PhaseQueue.Has(ctx, collectionsPairI64Of(e.audit2(committing).PhaseDeadline, committing)); n {
		t.Fatal("wipe left the phase queue")
	}
	if err := k.InitGenesis(ctx, &imported); err != nil {
		t.Fatalf("import: %v", err)
	}
	if after := e.verifyState(); after != before {
		t.Fatalf("state after export and import differs:\n%s\nwas\n%s", after, before)
	}
	if err := k.CheckInvariants(ctx); err != nil {
		t.Fatal(err)
	}

	// The escalation draws round 2 in the next block, from the restored queue.
	e.f.NextBlock()
	if a := e.audit(escalating); a.Status != types.AUDIT_STATUS_OPEN || a.Round != 2 || len(round(a, 2)) != 3 {
		t.Fatalf("escalating audit after import: %s round %d with %d round-2 verifiers", a.Status, a.Round, len(round(a, 2)))
	}
	e.settleHonestly([]uint64{escalating}, 20)
	if s := e.audit(escalating).Status; s != types.AUDIT_STATUS_PASSED {
		t.Fatalf("escalated audit after import: %s", s)
	}
	// The other open audits end on the restored queue.
	ra := e.audit(revealing)
	e.mustBlock(tx{e.p("prov").worker, []sdk.Msg{e.providerReveal(revealing)}})
	e.revealAll(revealing, false, ra.Verifiers, e.honestFor(revealing))
	if s := e.audit(revealing).Status; s != types.AUDIT_STATUS_PASSED {
		t.Fatalf("revealing audit after import: %s", s)
	}
	// Deadlines in order: committing's commit phase, opening's open phase (it was decided
	// after committing opened), committing's reveal phase.
	ca, oa := e.audit(committing), e.audit(opening)
	if ca.PhaseDeadline >= oa.PhaseDeadline {
		t.Fatalf("commit deadline %d, open deadline %d", ca.PhaseDeadline, oa.PhaseDeadline)
	}
	e.advanceTo(ca.PhaseDeadline)
	if a := e.audit(committing); a.Status != types.AUDIT_STATUS_REVEAL {
		t.Fatalf("committing audit at its deadline %d after import: %s", ca.PhaseDeadline, a.Status)
	}
	e.advanceTo(oa.PhaseDeadline)
	if a := e.audit(opening); a.Status != types.AUDIT_STATUS_FAILED || e.job(opening).Status != tasktypes.JOB_STATUS_SLASHED {
		t.Fatalf("audit never opened, at its open deadline %d after import: audit %s job %s", oa.PhaseDeadline, a.Status, e.job(opening).Status)
	}
	e.advanceTo(e.audit(committing).PhaseDeadline)
	if a := e.audit(committing); a.Status != types.AUDIT_STATUS_FAILED || e.job(committing).Status != tasktypes.JOB_STATUS_SLASHED {
		t.Fatalf("silent provider after import: audit %s job %s", a.Status, e.job(committing).Status)
	}

	// Genesis validation refuses what InitGenesis could not index.
	bad := *gs
	bad.Audits = append([]types.Audit{}, gs.Audits...)
	bad.Audits = append(bad.Audits, gs.Audits[0])
	if err := bad.Validate(); !types.ErrInvalidGenesis.Is(err) {
		t.Fatalf("duplicate audit: %v", err)
	}
	round3 := *gs
	round3.Audits = append([]types.Audit{}, gs.Audits...)
	round3.Audits[0].Round = 3
	if err := round3.Validate(); !types.ErrInvalidGenesis.Is(err) {
		t.Fatalf("audit in round 3: %v", err)
	}
	low := *gs
	low.Params.AuditRate = dec("0.99")
	low.Params.CollateralMultiplier = 2
	if err := k.InitGenesis(func() sdk.Context { c, _ := e.f.Ctx().CacheContext(); return c }(), &low); !types.ErrInvalidGenesis.Is(err) {
		t.Fatalf("genesis audit rate above the pool share: %v", err)
	}
}

// audit2 reads an audit that may be missing (zero value).
func (e *env) audit2(id uint64) types.Audit {
	a, _ := e.f.App.VerifyKeeper.Audits.Get(e.f.Ctx(), id)
	return a
}

// TestWeakBeaconDecisions: on a dev chain (no VRF key anywhere, require_vrf off) every
// beacon is weak and usable; audit decisions taken on them are flagged on the audit and
// counted in the stats.
func TestWeakBeaconDecisions(t *testing.T) {
	s := defaultSetup()
	s.noVRF = true
	e := newEnv(t, s)
	id, _, tries := e.auditedJob(100_000, honestResult)
	a := e.audit(id)
	b, err := e.f.App.BeaconKeeper.GetBeacon(e.f.Ctx(), a.DecisionHeight)
	if err != nil || !b.Weak {
		t.Fatalf("beacon at the decision height: %+v %v", b, err)
	}
	if !a.WeakBeacon {
		t.Fatal("audit decided on a weak beacon is not flagged")
	}
	st := e.stats()
	if st.Decisions != uint64(tries) || st.WeakBeaconDecisions != st.Decisions || st.Audits != 1 {
		t.Fatalf("stats %+v after %d decisions on weak beacons", st, tries)
	}
	e.open(id)
	e.commitAll(id, a.Verifiers, e.honestFor(id))
	e.revealAll(id, true, a.Verifiers, e.honestFor(id))
	if s := e.audit(id).Status; s != types.AUDIT_STATUS_PASSED {
		t.Fatalf("verdict: %s", s)
	}
}

// TestUnverifiableJobIsRefunded: a job is assigned only while another operator could verify
// it, but that operator may leave the model before the decision. An audit that then finds
// no verifier refunds the job in full (FAILED, the provider unpaid and its collateral
// released, nobody convicted, no audit stored) and counts as unverifiable, not as an
// audit: no result is paid without a real chance of audit.
func TestUnverifiableJobIsRefunded(t *testing.T) {
	s := defaultSetup()
	s.providers = []providerSpec{
		{name: "prov", profile: cpuProfile, bond: baseBond, price: cheapPrice, models: []string{testModel, soloModel}},
		{name: "v1", profile: gpuProfile, bond: baseBond, price: dearPrice, models: []string{testModel, soloModel}},
		{name: "v2", profile: cpuProfile, bond: baseBond, price: dearPrice, models: []string{testModel, soloModel}},
		{name: "v3", profile: cpuProfile, bond: baseBond, price: dearPrice, models: []string{testModel, soloModel}},
	}
	e := newEnv(t, s)
	prov, v1, alice := e.p("prov"), e.p("v1"), e.f.Accounts["alice"]
	leave := &providertypes.MsgUpdateProvider{Operator: v1.op.Address.String(), Models: []string{testModel}}
	rejoin := &providertypes.MsgUpdateProvider{Operator: v1.op.Address.String(), Models: []string{testModel, soloModel}}
	for tries := 1; ; tries++ {
		if tries > 10 {
			t.Fatal("no audit decision in 10 jobs")
		}
		aliceBefore := e.f.Balance(alice.Address)
		id := jobIDs(t, e.mustBlock(tx{alice, []sdk.Msg{e.submitMsg("alice", soloModel, 100_000)}})[0])[0]
		e.f.NextBlock()
		if j := e.job(id); j.Status != tasktypes.JOB_STATUS_ASSIGNED || j.Provider != prov.op.Address.String() {
			t.Fatalf("solo job: %s to %s, want ASSIGNED to prov (v1, v2 and v3 can verify it)", j.Status, j.Provider)
		}
		provJobs := e.pending(prov.op.Address, rewardstypes.SourceJobs)
		// v1 leaves the model as the result is committed: two verifiers are left, too few
		// for an audit that could convict (MinVerifiers 3 with one verifier per audit).
		e.mustBlock(tx{prov.worker, []sdk.Msg{e.resultMsg(prov, []uint64{id}, honestResult)}}, tx{v1.op, []sdk.Msg{leave}})
		e.advanceUntil(10, func() bool { return e.job(id).Status != tasktypes.JOB_STATUS_COMMITTED })
		j := e.job(id)
		if j.Status == tasktypes.JOB_STATUS_SETTLED { // not drawn for audit
			e.mustBlock(tx{v1.op, []sdk.Msg{rejoin}})
			continue
		}
		if j.Status != tasktypes.JOB_STATUS_FAILED || !j.Refunded.Equal(coin(100_000)) || !j.FeePaid.IsZero() {
			t.Fatalf("unverifiable job: %s refund %s fee %s, want FAILED and refunded in full", j.Status, j.Refunded, j.FeePaid)
		}
		if got := e.f.Balance(alice.Address); !got.Equal(aliceBefore) {
			t.Fatalf("alice has %s, want all of %s back", got, aliceBefore)
		}
		if got := e.pending(prov.op.Address, rewardstypes.SourceJobs); !got.Equal(provJobs) {
			t.Fatalf("the provider was paid %s for an unverifiable result", got.Sub(provJobs))
		}
		if pp := e.provider("prov"); !pp.Bond.Equal(coin(baseBond)) || !pp.Locked.IsZero() || pp.ActiveJobs != 0 || pp.OpenAudits != 0 ||
			pp.Status != providertypes.PROVIDER_STATUS_ACTIVE || pp.AuditsFailed+pp.AuditsMissed+pp.AuditsPassed != 0 {
			t.Fatalf("provider of an unverifiable job: %+v", pp)
		}
		if has, _ := e.f.App.VerifyKeeper.Audits.Has(e.f.Ctx(), id); has {
			t.Fatal("an unverifiable job has an audit")
		}
		if st := e.stats(); st.Decisions != uint64(tries) || st.Audits != 0 || st.Unverifiable != 1 || st.Failures != 0 {
			t.Fatalf("stats %+v after %d decisions", st, tries)
		}
		return
	}
}

// reimport exports the whole app at the current height and starts a new chain from that
// state (the fixture's keys are deterministic, so every account and the validator carry
// over), returning an env on it.
func (e *env) reimport() *env {
	e.t.Helper()
	exp, err := e.f.App.ExportAppStateAndValidators(false, nil, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	var state map[string]json.RawMessage
	if err := json.Unmarshal(exp.AppState, &state); err != nil {
		e.t.Fatal(err)
	}
	var names []string
	for name := range e.f.Accounts {
		if name != "operator" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	f2 := appfixture.New(e.t, appfixture.Options{Accounts: names, NoVRFKey: e.s.noVRF, Genesis: func(g appfixture.GenesisEditor) {
		for k, v := range state {
			g.State[k] = v
		}
	}})
	for _, acc := range f2.Accounts {
		if a := f2.App.AccountKeeper.GetAccount(f2.Ctx(), acc.Address); a != nil {
			acc.Number, acc.Seq = a.GetAccountNumber(), a.GetSequence()
		}
	}
	e2 := &env{
		t: e.t, f: f2, s: e.s, parties: map[string]*party{}, byOp: map[string]*party{},
		provHash: e.provHash, provTrace: e.provTrace, provSalt: e.provSalt,
		ms: keeper.NewMsgServerImpl(f2.App.VerifyKeeper), qs: keeper.NewQueryServerImpl(f2.App.VerifyKeeper),
	}
	for name, p := range e.parties {
		p2 := &party{name: name, op: f2.Accounts[p.op.Name], worker: f2.Accounts[p.worker.Name], spec: p.spec}
		e2.parties[name] = p2
		e2.byOp[p2.op.Address.String()] = p2
	}
	e2.checker = f2.CheckEveryBlock()
	return e2
}

// TestAppExportImportWithOpenAudit restarts the chain from an export of the whole app
// taken while an audit waits for its provider's opening: the new chain holds the same
// audit, stats and phase queue, and the audit runs to its verdict there (escalation
// included). An audit whose provider never opens ends on the imported queue too.
func TestAppExportImportWithOpenAudit(t *testing.T) {
	s := defaultSetup()
	s.verify.OpenPhaseBlocks, s.verify.CommitPhaseBlocks, s.verify.RevealPhaseBlocks = 30, 30, 30
	e := newEnv(t, s)
	id, aliceBefore, _ := e.auditedJob(100_000, cheatResult)
	before, stats := e.verifyState(), e.stats()

	e2 := e.reimport()
	if after := e2.verifyState(); after != before {
		t.Fatalf("x/verify after export and import:\n%s\nwas\n%s", after, before)
	}
	if e2.stats() != stats {
		t.Fatalf("stats %+v, were %+v", e2.stats(), stats)
	}
	a := e2.audit(id)
	if e2.f.Height() >= a.PhaseDeadline {
		t.Fatalf("new chain at %d is past the deadline %d", e2.f.Height(), a.PhaseDeadline)
	}
	e2.open(id)
	e2.commitAll(id, a.Verifiers, e2.honestFor(id))
	e2.revealAll(id, true, a.Verifiers, e2.honestFor(id))
	e2.f.NextBlock()
	r2 := round(e2.audit(id), 2)
	if len(r2) != 3 {
		t.Fatalf("escalation on the new chain drew %d verifiers", len(r2))
	}
	e2.open(id)
	e2.commitAll(id, r2, e2.honestFor(id))
	e2.revealAll(id, false, r2, e2.honestFor(id))
	if a := e2.audit(id); a.Status != types.AUDIT_STATUS_FAILED || e2.job(id).Status != tasktypes.JOB_STATUS_SLASHED {
		t.Fatalf("after the import: audit %s job %s", a.Status, e2.job(id).Status)
	}
	if got := e2.f.Balance(e2.f.Accounts["alice"].Address); !got.Equal(aliceBefore) {
		t.Fatalf("alice has %s, want %s back", got, aliceBefore)
	}

	// An audit whose provider never opens ends on the imported queue too.
	e3 := e.reimport()
	e3.advanceTo(a.PhaseDeadline - 1)
	if s := e3.audit(id).Status; s != types.AUDIT_STATUS_OPEN {
		t.Fatalf("before the imported open deadline %d: %s", a.PhaseDeadline, s)
	}
	e3.f.NextBlock()
	if s := e3.audit(id).Status; s != types.AUDIT_STATUS_FAILED || e3.job(id).Status != tasktypes.JOB_STATUS_SLASHED {
		t.Fatalf("at the imported open deadline: %s", s)
	}
	if pp := e3.provider("prov"); pp.Status != providertypes.PROVIDER_STATUS_JAILED || pp.AuditsMissed != 1 {
		t.Fatalf("provider that never opened, on the imported chain: %+v", pp)
	}
}
