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
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	"github.com/sovra-network/sovra/x/verify/keeper"
	"github.com/sovra-network/sovra/x/verify/types"
)

// TestUpdateParams: only the authority may change the params, and never to values that
// break audit_rate × collateral_multiplier ≥ 1 or need more than the rewards
// verification_share; a refused update changes nothing. A valid one applies at once:
// new jobs lock the new collateral.
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
	expectErr(t, "update by a non-authority", e.deliver(alice, &types.MsgUpdateParams{Authority: alice.Address.String(), Params: valid}), govtypes.ErrInvalidSigner)
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
		{"empty commit phase", func(p *types.Params) { p.CommitPhaseBlocks = 0 }},
		{"bounty above 1", func(p *types.Params) { p.BountyFraction = dec("1.5") }},
		{"missing slash fraction", func(p *types.Params) { p.VerifierSlashFraction = sdkmath.LegacyDec{} }},
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
	if c, err := e.f.App.TaskKeeper.Collateral(ctx, tasktypes.Job{MaxFee: coin(1_000)}); err != nil || !c.Equal(sdkmath.NewInt(7_000)) {
		t.Fatalf("collateral after the update: %s %v, want 7 × max_fee", c, err)
	}
	res, err := e.qs.Params(e.f.Ctx(), &types.QueryParamsRequest{})
	if err != nil || !paramsEqual(res.Params, orig) {
		t.Fatalf("committed params changed by updates on a discarded context: %+v %v", res, err)
	}
}

func govModuleAddr() []byte { return authtypes.NewModuleAddress(govtypes.ModuleName) }

func paramsEqual(a, b types.Params) bool {
	return a.AuditRate.Equal(b.AuditRate) && a.VerifiersPerAudit == b.VerifiersPerAudit && a.EscalationK == b.EscalationK &&
		a.CommitPhaseBlocks == b.CommitPhaseBlocks && a.RevealPhaseBlocks == b.RevealPhaseBlocks &&
		a.ProviderSlashFraction.Equal(b.ProviderSlashFraction) && a.VerifierSlashFraction.Equal(b.VerifierSlashFraction) &&
		a.BountyFraction.Equal(b.BountyFraction) && a.CollateralMultiplier == b.CollateralMultiplier
}

// TestGenesisRoundTripWithOpenAudits exports x/verify with a passed audit, one in its
// reveal phase and one in its commit phase, wipes the module's store, imports the export
// (through JSON) and finds the same state: audits, stats, every index and the phase
// queue. The chain then ends both open audits at their deadlines.
func TestGenesisRoundTripWithOpenAudits(t *testing.T) {
	s := defaultSetup()
	s.verify.CommitPhaseBlocks, s.verify.RevealPhaseBlocks = 20, 20
	e := newEnv(t, s)
	done, _, _ := e.auditedJob(100_000, honestHash)
	a := e.audit(done)
	e.commitAll(done, a.Verifiers, honestFor(done))
	e.revealAll(done, true, a.Verifiers, honestFor(done))
	revealing, _, _ := e.auditedJob(100_000, honestHash)
	e.commitAll(revealing, e.audit(revealing).Verifiers, honestFor(revealing))
	committing, _, _ := e.auditedJob(100_000, wrongHash)
	for id, want := range map[uint64]types.AuditStatus{done: types.AUDIT_STATUS_PASSED, revealing: types.AUDIT_STATUS_REVEAL, committing: types.AUDIT_STATUS_COMMIT} {
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

	// Both open audits end on the restored queue.
	ra := e.audit(revealing)
	e.mustBlock(tx{e.p("prov").worker, []sdk.Msg{e.providerReveal(revealing)}})
	e.revealAll(revealing, false, ra.Verifiers, honestFor(revealing))
	if s := e.audit(revealing).Status; s != types.AUDIT_STATUS_PASSED {
		t.Fatalf("revealing audit after import: %s", s)
	}
	ca := e.audit(committing)
	e.advanceTo(ca.PhaseDeadline)
	if a := e.audit(committing); a.Status != types.AUDIT_STATUS_REVEAL {
		t.Fatalf("committing audit at its deadline %d after import: %s", ca.PhaseDeadline, a.Status)
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

// TestWeakBeaconDecisions: a proposer without a registered VRF key makes weak beacons;
// audit decisions taken on them are flagged on the audit and counted in the stats.
func TestWeakBeaconDecisions(t *testing.T) {
	s := defaultSetup()
	s.noVRF = true
	e := newEnv(t, s)
	id, _, tries := e.auditedJob(100_000, honestHash)
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
	e.commitAll(id, a.Verifiers, honestFor(id))
	e.revealAll(id, true, a.Verifiers, honestFor(id))
	if s := e.audit(id).Status; s != types.AUDIT_STATUS_PASSED {
		t.Fatalf("verdict: %s", s)
	}
}

// TestUnverifiableJobSettles: an audit that finds no verifier of the job's model and
// profile (demo-solo is served by prov alone) settles the job unchecked and counts as
// unverifiable, not as an audit.
func TestUnverifiableJobSettles(t *testing.T) {
	e := newEnv(t, defaultSetup())
	prov, alice := e.p("prov"), e.f.Accounts["alice"]
	for tries := 1; e.stats().Unverifiable == 0; tries++ {
		if tries > 10 {
			t.Fatal("no audit decision in 10 jobs")
		}
		id := jobIDs(t, e.mustBlock(tx{alice, []sdk.Msg{e.submitMsg("alice", soloModel, 100_000)}})[0])[0]
		e.f.NextBlock()
		e.mustBlock(tx{prov.worker, []sdk.Msg{e.resultMsg(prov, []uint64{id}, honestHash)}})
		e.advanceUntil(10, func() bool { return e.job(id).Status != tasktypes.JOB_STATUS_COMMITTED })
		if j := e.job(id); j.Status != tasktypes.JOB_STATUS_SETTLED || !j.FeePaid.Equal(coin(jobFee)) {
			t.Fatalf("solo job: %s fee %s", j.Status, j.FeePaid)
		}
		if has, _ := e.f.App.VerifyKeeper.Audits.Has(e.f.Ctx(), id); has {
			t.Fatal("an unverifiable job has an audit")
		}
		if st := e.stats(); st.Decisions != uint64(tries) || st.Audits != 0 {
			t.Fatalf("stats %+v after %d decisions", st, tries)
		}
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
		provHash: e.provHash, provSalt: e.provSalt,
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
// taken while an audit waits for its verifier: the new chain holds the same audit, stats
// and phase queue, and the audit runs to its verdict there (escalation included).
func TestAppExportImportWithOpenAudit(t *testing.T) {
	s := defaultSetup()
	s.verify.CommitPhaseBlocks, s.verify.RevealPhaseBlocks = 30, 30
	e := newEnv(t, s)
	id, aliceBefore, _ := e.auditedJob(100_000, wrongHash)
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
	e2.commitAll(id, a.Verifiers, honestFor(id))
	e2.revealAll(id, true, a.Verifiers, honestFor(id))
	r2 := round(e2.audit(id), 2)
	e2.commitAll(id, r2, honestFor(id))
	e2.revealAll(id, false, r2, honestFor(id))
	if a := e2.audit(id); a.Status != types.AUDIT_STATUS_FAILED || e2.job(id).Status != tasktypes.JOB_STATUS_SLASHED {
		t.Fatalf("after the import: audit %s job %s", a.Status, e2.job(id).Status)
	}
	if got := e2.f.Balance(e2.f.Accounts["alice"].Address); !got.Equal(aliceBefore) {
		t.Fatalf("alice has %s, want %s back", got, aliceBefore)
	}

	// An audit whose parties all stay silent ends on the imported queue too.
	e3 := e.reimport()
	e3.advanceTo(a.PhaseDeadline)
	if s := e3.audit(id).Status; s != types.AUDIT_STATUS_REVEAL {
		t.Fatalf("at the imported commit deadline %d: %s", a.PhaseDeadline, s)
	}
	e3.advanceTo(e3.audit(id).PhaseDeadline)
	if s := e3.audit(id).Status; s != types.AUDIT_STATUS_FAILED {
		t.Fatalf("at the reveal deadline: %s", s)
	}
}
